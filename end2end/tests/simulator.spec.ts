import { expect, test, hydrated, screenshot, signIn } from "./helpers";

test("the console creates a simulated tenant, and a blank name is refused in words", async ({ page }, testInfo) => {
  await signIn(page, "alpha.admin");
  await page.goto("/simulator");
  await hydrated(page);
  const form = page.getByTestId("new-sim-tenant");
  // By keyboard alone: the button is reached and pressed without a name.
  await form.getByRole("button", { name: "Create tenant" }).focus();
  await page.keyboard.press("Enter");
  await expect(form.getByText("Give the tenant a name")).toBeVisible();
  await form.getByLabel("Name").fill("Tailwind Traders");
  await form.getByLabel("ENTERPRISEPREMIUM").fill("5");
  await form.getByRole("checkbox", { name: "mfa_enabled" }).check();
  await form.getByRole("button", { name: "Create tenant" }).click();
  await expect(page).toHaveURL(/\/simulator\?tenant=[0-9a-f-]{36}$/);
  const tenant = page.getByTestId("sim-tenant");
  await expect(tenant.getByRole("heading", { name: "Tailwind Traders" })).toBeVisible();
  await expect(tenant).toContainText("tailwindtraders.onmicrosoft.com");
  await expect(tenant.getByTestId("fault-mfa_enabled")).toBeChecked();
  await expect(page.getByTestId("sim-tenants")).toContainText("Tailwind Traders");
  // A reseller admin has no mock controls.
  await expect(page.getByTestId("mock-controls")).toHaveCount(0);
  await screenshot(page, testInfo, "sim-tenant-created");
});

test("a group admin resets the state to the scenario from the console, asked first", async ({ page }, testInfo) => {
  await signIn(page, "group.admin");
  await page.goto("/simulator");
  await hydrated(page);
  const form = page.getByTestId("new-sim-tenant");
  await form.getByLabel("Name").fill("Passing Through");
  await form.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByTestId("sim-tenants")).toContainText("Passing Through");
  await hydrated(page);
  const controls = page.getByTestId("mock-controls");
  await expect(controls.getByTestId("mock-export")).toHaveAttribute("href", "/mock/v1/export");
  await controls.getByTestId("mock-reset").click();
  await expect(controls.getByTestId("mock-reset-yes")).toBeFocused();
  await screenshot(page, testInfo, "mock-reset-question");
  await controls.getByTestId("mock-reset-yes").click();
  // Every session ended: the console sends the admin to sign in again.
  await expect(page).toHaveURL(/\/login/);
  await signIn(page, "group.admin");
  await page.goto("/simulator");
  await hydrated(page);
  await expect(page.getByTestId("sim-tenants")).toContainText("Contoso");
  await expect(page.getByTestId("sim-tenants")).not.toContainText("Passing Through");
});
