import { test, expect } from "@playwright/test";

test("the home page renders on the server and hydrates in the browser", async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });

  await page.goto("/", { waitUntil: "networkidle" });
  await expect(page).toHaveTitle("Fusion Teams Onboarding");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Connect MS Teams tenants to Fusion voice");
  // Only the hydrated wasm flips this text: it proves the bundle loaded and ran.
  await expect(page.getByTestId("hydration-status")).toHaveText("Interactive");
  await expect(page.getByRole("link", { name: "API docs", exact: true })).toHaveAttribute("href", "/api/v01/docs/");

  await page.screenshot({ path: testInfo.outputPath("home.png"), fullPage: true });
  expect(errors).toEqual([]);
});

test("the API docs page is served from the app itself", async ({ page }, testInfo) => {
  const outside: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.hostname !== "127.0.0.1") outside.push(request.url());
  });
  await page.goto("/api/v01/docs/", { waitUntil: "networkidle" });
  await expect(page.getByText("Fusion MS Teams Onboarding API").first()).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("api-docs.png"), fullPage: true });
  expect(outside).toEqual([]);
});
