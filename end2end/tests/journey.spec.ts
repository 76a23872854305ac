import { expect, test, ACME, api, GLOBEX, INITECH, UMBRELLA, hydrated, openSubscription, screenshot, signIn, watchErrors } from "./helpers";

// One server for the suite; each test starts from the demo scenario (`test` resets the
// state through the mock controls first), so none depends on another's order.

// Simulated MS tenants of the demo: Alpha Telecom's and Beta Voice's.
const CONTOSO = "a1000000-0000-4000-8000-000000000001";
const LITWARE = "a1000000-0000-4000-8000-000000000007";
const COHO_WINERY = "a2000000-0000-4000-8000-000000000003";

test("each admin level signs in and sees who and where it is; a wrong password is refused", async ({ page }, testInfo) => {
  for (const [username, level, node] of [
    ["group.admin", "group", "Netaxis Group"],
    ["distributor.admin", "distributor", "Benelux Distribution"],
    ["alpha.admin", "reseller", "Alpha Telecom"],
    ["acme.admin", "tenant", "Acme Corp"],
  ]) {
    await signIn(page, username);
    await expect(page.getByTestId("signed-in-user")).toContainText(`${level} admin · ${node}`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();
  }

  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill("alpha.admin");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Invalid username or password");
  await expect(page.getByTestId("signed-in-user")).toHaveCount(0);
  await screenshot(page, testInfo, "wrong-password");
});

test("the home page lists the tree of authority with MS Teams states, searchable", async ({ page }, testInfo) => {
  await signIn(page, "alpha.admin");
  await page.goto("/");
  await hydrated(page);
  await expect(page.getByTestId("subscription-1").getByTestId("msteams-state")).toHaveText("Onboarded · acme.draas.demo");
  await expect(page.getByTestId("subscription-3").getByTestId("msteams-state")).toHaveText("Not onboarded");
  // Beta's tenants are not Alpha's.
  await expect(page.getByText("Initech")).toHaveCount(0);
  await page.getByLabel("Search tenants").fill("glob");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("subscription-3")).toBeVisible();
  await expect(page.getByTestId("subscription-1")).toHaveCount(0);
  await page.getByLabel("Search tenants").fill("nothing-like-this");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("empty")).toContainText("No tenant matches");
  await screenshot(page, testInfo, "home-search");
});

test("a read-only user cannot change anything", async ({ page }, testInfo) => {
  await signIn(page, "readonly");
  await openSubscription(page, ACME, 1);
  await expect(page.getByRole("heading", { name: "Acme Teams (#1)" })).toBeVisible();
  for (const name of ["Download create_app.ps1", "Save the application", "Save the administrator", "Remove the administrator…", "Reset the secret", "Update voice routing", "Unlink…"]) {
    await expect(page.getByRole("button", { name })).toBeDisabled();
  }
  await expect(page.getByTestId("link-section")).toHaveCount(0);
  await expect(page.getByText("Your profile does not grant tenants.instance.subscriptions.instance.msteams.unlink")).toBeVisible();
  // The reasons come from the roles, not from the page still loading.
  await expect(page.getByText("Your profile does not grant tenants.instance.subscriptions.instance.msteams.applications.create").first()).toBeVisible();
  await expect(page.getByText("Your profile does not grant tenants.instance.subscriptions.instance.msteams.update.vrp").first()).toBeVisible();
  await screenshot(page, testInfo, "read-only");
});

test("link as a reseller admin, unlink refused then allowed, and no link for a tenant admin", async ({ page }, testInfo) => {
  await signIn(page, "beta.admin");
  // Initech Teams still has a direct-routing user: the refusal says so.
  await openSubscription(page, INITECH, 5);
  await page.getByTestId("unlink-button").click();
  await expect(page.getByTestId("unlink-confirm")).toContainText("Initech Teams (#5)");
  await page.getByTestId("unlink-confirm-button").click();
  await expect(page.getByTestId("unlink-section").getByRole("alert")).toContainText("still have direct routing enabled");

  // Umbrella Teams links to Initech's onboarded tenant, then unlinks.
  await openSubscription(page, UMBRELLA, 7);
  const link = page.getByTestId("link-section");
  await link.getByLabel("Source subscription").selectOption({ label: "Initech · Initech Teams (#5)" });
  await link.getByTestId("link-button").click();
  await expect(page.getByTestId("linked-note")).toContainText("subscription #5");
  await hydrated(page);
  await screenshot(page, testInfo, "linked");
  await page.getByTestId("unlink-button").click();
  await page.getByTestId("unlink-confirm-button").click();
  await expect(page.getByTestId("link-section")).toBeVisible();
  await expect(page.getByTestId("msteams-state")).toHaveText("Not onboarded");
  await hydrated(page);

  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, "acme.admin");
  await openSubscription(page, ACME, 1);
  await expect(page.getByRole("heading", { name: "Acme Teams (#1)" })).toBeVisible();
  await expect(page.getByTestId("link-section")).toHaveCount(0);
  await screenshot(page, testInfo, "tenant-admin");
});

test("reset the secret and update voice routing on an onboarded tenant", async ({ page }, testInfo) => {
  await signIn(page, "alpha.admin");
  await openSubscription(page, ACME, 1);
  const reset = page.getByTestId("reset-secret-form");
  await reset.getByLabel("Application id").fill("not-a-guid");
  await reset.getByRole("button", { name: "Reset the secret" }).click();
  await expect(reset.getByText("Application id must be a GUID")).toBeVisible();
  await expect(reset.getByLabel("Application id")).toHaveAttribute("aria-invalid", "true");
  await reset.getByLabel("Application id").fill("c035894c-81c3-49aa-8e3e-f245d9b30000");
  await reset.getByLabel("New secret").fill("n3w~Secret-Value-1234");
  await reset.getByRole("button", { name: "Reset the secret" }).click();
  await expect(reset.getByRole("status")).toHaveText("The new secret is stored");
  await hydrated(page); // the change reloaded the page

  await page.getByRole("button", { name: "Update voice routing" }).click();
  const table = page.getByTestId("update-vrp").getByTestId("voice-routing-status");
  await expect(table.getByTestId("vrs-status")).toHaveText(["already_exists", "already_exists", "already_exists"]);
  await expect(table).toContainText("Identity Draas-VR already exists");
  await screenshot(page, testInfo, "maintenance");
});

test("the administrator's password changes alone; the account is removed and stored again", async ({ page }, testInfo) => {
  await signIn(page, "alpha.admin");
  await openSubscription(page, ACME, 1);
  const rest = api(page);
  const admins = `/api/v01/draas/demo/tenants/${ACME}/subscriptions/1/msteams/admins`;
  const administrator = page.getByTestId("administrator-form");
  await expect(administrator).toContainText("Stored: admin@acme.onmicrosoft.com");
  // An empty username keeps the stored account and changes its password.
  await administrator.getByLabel("Password").fill("N3w-Adm1n-Passw0rd");
  await administrator.getByRole("button", { name: "Save the administrator" }).click();
  await expect(administrator.getByRole("status")).toHaveText("The administrator credentials are stored");
  await hydrated(page); // the change reloaded the page
  expect(await (await rest.get(admins)).json()).toEqual({ id: 1, msUsername: "admin@acme.onmicrosoft.com" });

  await administrator.getByTestId("remove-administrator").click();
  await expect(administrator.getByTestId("remove-administrator-confirm")).toContainText("admin@acme.onmicrosoft.com");
  await administrator.getByRole("button", { name: "Yes, remove" }).click();
  await expect(administrator.getByRole("status")).toHaveText("The administrator account is removed");
  await hydrated(page);
  await expect(administrator.getByTestId("remove-administrator")).toHaveCount(0);
  expect(await (await rest.get(admins)).json()).toEqual({ id: null, msUsername: null });

  // Stored again, as the next tests expect it.
  await administrator.getByLabel("Username").fill("admin@acme.onmicrosoft.com");
  await administrator.getByLabel("Password").fill("Adm1n-Passw0rd");
  await administrator.getByRole("button", { name: "Save the administrator" }).click();
  await expect(administrator.getByRole("status")).toHaveText("The administrator credentials are stored");
  await hydrated(page);
  expect(await (await rest.get(admins)).json()).toEqual({ id: 1, msUsername: "admin@acme.onmicrosoft.com" });
  await screenshot(page, testInfo, "administrator");
});

test("full onboarding as a reseller admin: script, simulator credentials, wizard to the end", async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  await signIn(page, "alpha.admin");
  await openSubscription(page, GLOBEX, 3);

  // The script: the page calls the REST API itself (with its session cookie), and the
  // saved file holds exactly the Base64-decoded API payload.
  const subscriptionApi = `/api/v01/draas/demo/tenants/${GLOBEX}/subscriptions/3`;
  const downloadPromise = page.waitForEvent("download");
  const scriptCall = page.waitForResponse(
    (response) => response.url().endsWith(`${subscriptionApi}/downloads/create_app`) && response.request().method() === "POST",
  );
  await page.getByTestId("download-script").click();
  expect((await scriptCall).status()).toBe(200);
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe("create_app.ps1");
  const saved = require("node:fs").readFileSync(await download.path());
  const payload = await api(page).post(`/api/v01/draas/demo/tenants/${GLOBEX}/subscriptions/3/downloads/create_app`);
  expect(payload.ok()).toBeTruthy();
  const expected = Buffer.from((await payload.json()).fileBody, "base64");
  expect(Buffer.compare(saved, expected)).toBe(0);
  expect(saved.toString("utf8")).toContain("Netaxis Group");

  // Inline validation before anything is sent.
  const application = page.getByTestId("application-form");
  await application.getByRole("button", { name: "Save the application" }).click();
  await expect(application.getByText("MS Teams tenant id is required")).toBeVisible();
  await expect(application.getByText("Secret is required")).toBeVisible();

  // The simulator mints the credentials and fills the form.
  await application.getByLabel("Simulator: run create_app.ps1 in").selectOption(CONTOSO);
  await application.getByTestId("sim-mint").click();
  await expect(application.getByLabel("MS Teams tenant id")).toHaveValue(CONTOSO);
  await application.getByRole("button", { name: "Save the application" }).click();
  await expect(application.getByRole("status").last()).toHaveText("The application integration is stored");
  await hydrated(page); // the change reloaded the page

  const administrator = page.getByTestId("administrator-form");
  await administrator.getByLabel("Username").fill("admin@contoso.onmicrosoft.com");
  await administrator.getByLabel("Password").fill("Adm1n-Passw0rd");
  await administrator.getByRole("button", { name: "Save the administrator" }).click();
  await expect(administrator.getByRole("status")).toHaveText("The administrator credentials are stored");
  await hydrated(page); // the change reloaded the page
  await expect(page.getByTestId("msteams-status")).toHaveText("not_initiated");

  // The wizard's progress is polled from the REST API itself.
  const wizardPoll = page.waitForResponse(
    (response) => response.url().endsWith(`${subscriptionApi}/msteams/wizard`) && response.request().method() === "GET",
  );
  await page.getByTestId("start-wizard").click();
  expect([200, 404]).toContain((await wizardPoll).status());
  const wizard = page.getByTestId("wizard");
  for (let step = 0; step < 6; step++) {
    await expect(wizard.getByTestId(`wizard-step-${step}`)).toHaveAttribute("data-state", "executed", { timeout: 60_000 });
  }
  await expect(wizard.getByTestId("wizard-summary")).toHaveText("The MS Teams tenant is onboarded.");
  await expect(wizard.getByTestId("voice-routing-status").getByTestId("vrs-status")).toHaveText(["created", "created", "created"]);
  await expect(page.getByTestId("msteams-state").first()).toContainText("Onboarded · globex-3.draas.demo");
  await expect(page.getByTestId("msteams-status")).toHaveText("onboarded");
  await screenshot(page, testInfo, "onboarded");
  expect(errors).toEqual([]);
});

test("a run started from the API shows on the page, survives a reload, and fits a phone", async ({ page }, testInfo) => {
  await signIn(page, "group.admin");
  const base = `/api/v01/draas/demo/tenants/${INITECH}/subscriptions/6`;
  // Initech Teams EU is linked to #5: unlink it, store credentials, start over the API.
  const rest = api(page);
  expect((await rest.post(`${base}/msteams/unlink`)).status()).toBe(204);
  const minted = await (await rest.post(`/sim/v1/tenants/${LITWARE}/create_app`)).json();
  const stored = await rest.post(`${base}/msteams/applications`, {
    msTeamsTenantId: minted.msTeamsTenantId,
    applicationId: minted.applicationId,
    secret: minted.secret,
  });
  expect(stored.status()).toBe(204);
  expect((await rest.post(`${base}/msteams/admins`, { msUsername: "admin@litware.onmicrosoft.com", msPassword: "Adm1n-Passw0rd" })).status()).toBe(204);
  const started = await rest.post(`${base}/msteams/wizard`);
  expect(started.status()).toBe(200);

  await page.setViewportSize({ width: 390, height: 844 });
  await openSubscription(page, INITECH, 6);
  await expect(page.getByTestId("wizard")).toBeVisible();
  await page.reload();
  await hydrated(page);
  // Litware throttles Graph: the run still ends, retried after Retry-After.
  await expect(page.getByTestId("wizard-step-5")).toHaveAttribute("data-state", "executed", { timeout: 60_000 });
  await expect(page.getByTestId("wizard-summary")).toHaveText("The MS Teams tenant is onboarded.");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await screenshot(page, testInfo, "phone");
});

test("a fault fails the wizard at its step; switching it off in the simulator console and resuming completes it", async ({ page }, testInfo) => {
  await signIn(page, "beta.admin");
  await openSubscription(page, UMBRELLA, 7);
  const application = page.getByTestId("application-form");
  // Beta Voice's own simulated tenants are offered, not Alpha Telecom's.
  const simulated = application.getByLabel("Simulator: run create_app.ps1 in");
  await expect(simulated.locator(`option[value="${CONTOSO}"]`)).toHaveCount(0);
  await simulated.selectOption(COHO_WINERY);
  await application.getByTestId("sim-mint").click();
  await expect(application.getByLabel("MS Teams tenant id")).toHaveValue(COHO_WINERY);
  await application.getByRole("button", { name: "Save the application" }).click();
  await expect(application.getByRole("status").last()).toHaveText("The application integration is stored");
  await hydrated(page); // the change reloaded the page
  const administrator = page.getByTestId("administrator-form");
  await administrator.getByLabel("Username").fill("admin@cohowinery.onmicrosoft.com");
  await administrator.getByLabel("Password").fill("Adm1n-Passw0rd");
  await administrator.getByRole("button", { name: "Save the administrator" }).click();
  await expect(administrator.getByRole("status")).toHaveText("The administrator credentials are stored");
  await hydrated(page); // the change reloaded the page

  await page.getByTestId("start-wizard").click();
  const failure = page.getByTestId("wizard-failure");
  await expect(failure).toContainText("The wizard stopped at step 4", { timeout: 60_000 });
  await expect(failure).toContainText("no free E1 (STANDARDPACK)");
  await expect(page.getByTestId("wizard-step-4")).toHaveAttribute("data-state", "failed");
  await expect(page.getByTestId("wizard-step-3")).toHaveAttribute("data-state", "executed");
  await screenshot(page, testInfo, "failed");

  await page.goto(`/simulator?tenant=${COHO_WINERY}`);
  await hydrated(page);
  await page.getByTestId("fault-no_free_license").uncheck();
  await page.getByTestId("save-faults").click();
  await expect(page.getByText("Faults saved")).toBeVisible();
  await expect(page.getByTestId("sim-journal")).toContainText("no_free_license");
  await screenshot(page, testInfo, "simulator");

  await openSubscription(page, UMBRELLA, 7);
  await page.getByRole("button", { name: "Resume the wizard" }).click();
  await expect(page.getByTestId("wizard-step-5")).toHaveAttribute("data-state", "executed", { timeout: 60_000 });
  await expect(page.getByTestId("wizard-summary")).toHaveText("The MS Teams tenant is onboarded.");
  await screenshot(page, testInfo, "resumed");
});
