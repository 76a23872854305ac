import { expect, test, ACME, ORIGIN, hydrated, screenshot, signIn, watchErrors } from "./helpers";

test("pages carry a nonce-based CSP that the hydration scripts satisfy, and the other security headers", async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  const response = await page.goto("/login", { waitUntil: "networkidle" });
  const headers = response!.headers();
  const csp = headers["content-security-policy"];
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce, csp).toBeTruthy();
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("'wasm-unsafe-eval'");
  expect(csp).not.toContain("unsafe-inline");
  // Every inline script carries this response's nonce (the browser hides it from the DOM).
  const html = await response!.text();
  const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]);
  expect(inline.length).toBeGreaterThan(0);
  for (const attributes of inline) expect(attributes).toContain(`nonce="${nonce}"`);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["cache-control"]).toBe("no-store");
  // The policy lets the islands hydrate: no violation is reported.
  await hydrated(page);
  expect(errors).toEqual([]);
  // A second response gets a fresh nonce.
  const again = await page.request.get("/login");
  expect(again.headers()["content-security-policy"]).not.toContain(`'nonce-${nonce}'`);
  await screenshot(page, testInfo, "csp");
});

test("a change sent with the session cookie from another origin is refused", async ({ page }) => {
  await signIn(page, "alpha.admin");
  const unlink = `/api/v01/draas/demo/tenants/${ACME}/subscriptions/1/msteams/update_vrp`;
  for (const origin of ["https://evil.example", "http://sibling.127.0.0.1.nip.io:3100", "null"]) {
    const refused = await page.request.put(unlink, { headers: { Origin: origin } });
    expect(refused.status(), origin).toBe(403);
    expect((await refused.json()).code).toBe("cross_site_request");
  }
  // Without any Origin or Sec-Fetch-Site the cookie alone is not trusted either.
  expect((await page.request.put(unlink)).status()).toBe(403);
  // The site's own origin is fine.
  expect((await page.request.put(unlink, { headers: { Origin: ORIGIN } })).status()).toBe(200);
  // So is the sign-in form of another site: refused (login CSRF).
  const login = await page.request.post("/api/v01/auth/login", {
    headers: { Origin: "https://evil.example" },
    data: { username: "alpha.admin", password: "demo-alpha" },
  });
  expect(login.status()).toBe(403);
});

test("repeated wrong passwords are throttled with a clear message", async ({ page }, testInfo) => {
  await page.goto("/login");
  await hydrated(page);
  const username = "nobody.in.particular";
  let message = "";
  for (let attempt = 0; attempt < 8 && !message.includes("Too many"); attempt++) {
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(`wrong-${attempt}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toBeVisible();
    message = (await page.getByRole("alert").textContent()) ?? "";
  }
  expect(message).toContain("Too many failed sign-ins");
  await screenshot(page, testInfo, "throttled");
  // Another account from the same browser still signs in.
  await signIn(page, "beta.admin");
});

test("a reseller admin's simulator console shows only its own tree's simulated tenants", async ({ page }, testInfo) => {
  await signIn(page, "beta.admin");
  await page.goto("/simulator");
  await hydrated(page);
  const tenants = page.getByTestId("sim-tenants");
  await expect(tenants).toContainText("Coho Winery");
  await expect(tenants).not.toContainText("Contoso");
  // Alpha's tenant is not found, as if it did not exist.
  await page.goto("/simulator?tenant=a1000000-0000-4000-8000-000000000001");
  await expect(page.getByText("No simulated MS tenant").first()).toBeVisible();
  await screenshot(page, testInfo, "simulator-scoped");
});
