import { expect, test, hydrated, screenshot, watchErrors } from "./helpers";

test("the home page renders on the server and hydrates in the browser", async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  await page.goto("/", { waitUntil: "networkidle" });
  await expect(page).toHaveTitle("Fusion Teams Onboarding");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Connect MS Teams tenants to Fusion voice");
  // Only the hydrated wasm flips this text: it proves the bundle loaded and ran.
  await hydrated(page);
  await expect(page.getByRole("link", { name: "API docs", exact: true })).toHaveAttribute("href", "/api/v01/docs/");
  await screenshot(page, testInfo, "home");
  expect(errors).toEqual([]);
});

test("pages are readable without JavaScript", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Connect MS Teams tenants to Fusion voice");
  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  // The form posts without JavaScript too, and the server-rendered pages show the data.
  await page.getByLabel("Username").fill("alpha.admin");
  await page.getByLabel("Password").fill("demo-alpha");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-user")).toContainText("reseller admin · Alpha Telecom");
  await expect(page.getByTestId("subscription-1").getByTestId("msteams-state")).toHaveText("Onboarded · acme.draas.demo");
  await page.goto("/tenants/40000000-0000-4000-8000-000000000001/subscriptions/1");
  await expect(page.getByRole("heading", { name: "Acme Teams (#1)" })).toBeVisible();
  await screenshot(page, testInfo, "no-js");
  await context.close();
});

test("the API docs page is served from the app itself", async ({ page }, testInfo) => {
  const outside: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.hostname !== "127.0.0.1") outside.push(request.url());
  });
  await page.goto("/api/v01/docs/", { waitUntil: "networkidle" });
  await expect(page.getByText("Fusion MS Teams Onboarding API").first()).toBeVisible();
  await screenshot(page, testInfo, "api-docs");
  expect(outside).toEqual([]);
});
