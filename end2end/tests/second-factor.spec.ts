import { request as playwrightRequest } from "@playwright/test";
import { createHmac } from "node:crypto";
import { expect, test, ORIGIN, hydrated, screenshot } from "./helpers";

/** When a message was sent, in milliseconds (the fraction cut to milliseconds first). */
function sentAtMillis(sentAt: string): number {
  return Date.parse(sentAt.replace(/(\.\d{3})\d+/, "$1"));
}

/**
 * The sign-in code e-mailed to `recipient` by the sign-in started at `since` (ms): the
 * newest message to that address sent since then, read from the simulated outbox by a
 * group admin's script (the outbox shows a caller the mail of administrators of nodes
 * below its own). Other messages (other users, earlier sign-ins) are ignored.
 */
async function emailedCode(recipient: string, since: number): Promise<string> {
  const api = await playwrightRequest.newContext({ baseURL: ORIGIN });
  const login = await api.post("/api/v01/auth/login", { data: { username: "group.admin", password: "demo-group" } });
  expect(login.status()).toBe(200);
  const { access_token } = await login.json();
  type Mail = { to: string; subject: string; body: string; sentAt: string };
  const deadline = Date.now() + 5_000;
  for (;;) {
    const outbox = await api.get("/sim/v1/outbox", { headers: { Authorization: `Bearer ${access_token}` } });
    expect(outbox.status()).toBe(200);
    const mails: Mail[] = await outbox.json();
    // Newest first; a second of slack for clocks that tick coarsely.
    const mail = mails.find((m) => m.to === recipient && sentAtMillis(m.sentAt) >= since - 1000);
    if (mail) {
      await api.dispose();
      const code = /\b(\d{6})\b/.exec(mail.body)?.[1];
      expect(code, mail.body).toBeTruthy();
      return code!;
    }
    expect(Date.now(), `a message to ${recipient} sent since ${new Date(since).toISOString()}`).toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The current TOTP code (RFC 6238: HMAC-SHA1, 30 s, 6 digits) of a Base32 secret. */
function totp(secret: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const digest = createHmac("sha1", key).update(counter).digest();
  const offset = digest[19] & 0x0f;
  const value = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

async function signInWithPassword(page: import("@playwright/test").Page, username: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a second factor by e-mail, trusted, is not asked again on this browser", async ({ page }, testInfo) => {
  const signInStarted = Date.now();
  await signInWithPassword(page, "alpha.mail", "demo-alpha-mail");
  await expect(page.getByRole("heading", { name: "Enter your sign-in code" })).toBeVisible();
  await expect(page.getByTestId("second-factor-help")).toContainText("e-mailed");
  await hydrated(page);
  await screenshot(page, testInfo, "code-asked");

  // A wrong code first: refused, and the page says so.
  const code = await emailedCode("mia@alpha-telecom.example", signInStarted);
  await page.getByLabel("Code", { exact: true }).fill(code === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("alert")).toContainText("Invalid code");

  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByLabel("Trust this browser").check();
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByTestId("signed-in-user")).toContainText("Mia Mail");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();
  // Trusted: the password alone signs in now.
  await signInWithPassword(page, "alpha.mail", "demo-alpha-mail");
  await expect(page.getByTestId("signed-in-user")).toContainText("Mia Mail");
  await screenshot(page, testInfo, "trusted");
});

test("a second factor from an authenticator app", async ({ page }, testInfo) => {
  await signInWithPassword(page, "alpha.totp", "demo-alpha-totp");
  await expect(page.getByTestId("second-factor-help")).toContainText("authenticator app");
  await hydrated(page);
  await page.getByLabel("Code", { exact: true }).fill(totp("JBSWY3DPEHPK3PXP"));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByTestId("signed-in-user")).toContainText("Tom Totp");
  await screenshot(page, testInfo, "totp");
});
