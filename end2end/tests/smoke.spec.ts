import { test, expect } from "@playwright/test";
import { hydrated, screenshot, watchErrors } from "./helpers";

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
