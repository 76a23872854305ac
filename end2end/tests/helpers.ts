import {
  test as base,
  expect,
  type APIRequestContext,
  type APIResponse,
  type Page,
  type TestInfo,
} from "@playwright/test";

export { expect };

export const PASSWORDS: Record<string, string> = {
  "group.admin": "demo-group",
  "distributor.admin": "demo-distributor",
  "alpha.admin": "demo-alpha",
  "beta.admin": "demo-beta",
  "acme.admin": "demo-acme",
  readonly: "demo-readonly",
};

export const ACME = "40000000-0000-4000-8000-000000000001";
export const GLOBEX = "40000000-0000-4000-8000-000000000002";
export const INITECH = "40000000-0000-4000-8000-000000000003";
export const UMBRELLA = "40000000-0000-4000-8000-000000000004";

/** Waits until the wasm has hydrated the page, so clicks reach Leptos. */
export async function hydrated(page: Page) {
  await expect(page.getByTestId("hydration-status")).toHaveText("Interactive");
}

/** Signs in through the login form and waits for the header to show who. */
export async function signIn(page: Page, username: string, password = PASSWORDS[username]) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-user")).toBeVisible();
}

export async function openSubscription(page: Page, tenant: string, subscription: number) {
  await page.goto(`/tenants/${tenant}/subscriptions/${subscription}`);
  await hydrated(page);
}

export async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

/**
 * Collects page errors and console errors, to assert none happened. The browser logs a
 * console error for every 4xx answer, so a documented one the page expects is left out:
 * `GET …/msteams/wizard` answers 404 until a started wizard's preparation is over.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const expected =
      message.text().includes("status of 404") && message.location().url.endsWith("/msteams/wizard");
    if (!expected) errors.push(`${message.text()} (${message.location().url})`);
  });
  return errors;
}

/** This site's origin, as the browser names it on its own requests. */
export const ORIGIN = `http://127.0.0.1:${process.env.E2E_PORT ?? 3100}`;

/**
 * The REST API with the page's session cookie, as the site's own pages call it: a
 * cookie-authenticated change must name this site as its Origin, or it is refused.
 */
export function api(page: Page) {
  const request: APIRequestContext = page.request;
  const headers = { Origin: ORIGIN };
  return {
    get: (url: string): Promise<APIResponse> => request.get(url),
    post: (url: string, data?: unknown): Promise<APIResponse> => request.post(url, { headers, data }),
    put: (url: string, data?: unknown): Promise<APIResponse> => request.put(url, { headers, data }),
  };
}

/**
 * Puts the server back to its scenario (the demo) through the mock controls, so that no
 * test depends on what an earlier one changed. The reset ends every session: each test
 * signs in afresh.
 */
export async function resetState(request: APIRequestContext) {
  const login = await request.post(`${ORIGIN}/api/v01/auth/login`, {
    data: { username: "group.admin", password: PASSWORDS["group.admin"] },
  });
  expect(login.status(), await login.text()).toBe(200);
  const { access_token: token } = await login.json();
  const reset = await request.post(`${ORIGIN}/mock/v1/reset`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(reset.status(), await reset.text()).toBe(204);
}

/** Playwright's `test`, with the state reset before each test. */
export const test = base.extend<{ freshState: void }>({
  freshState: [
    async ({ playwright }, use) => {
      const request = await playwright.request.newContext();
      await resetState(request);
      await request.dispose();
      await use();
    },
    { auto: true },
  ],
});
