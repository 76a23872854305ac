import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, ACME, GLOBEX, hydrated, signIn } from "./helpers";

/** Serious or critical axe-core findings on the page as it stands. */
async function seriousFindings(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("every page passes axe-core with no serious or critical finding", async ({ page }) => {
  const pages: [string, string][] = [
    ["home, signed out", "/"],
    ["sign-in", "/login"],
    ["sign-in code", "/login?challenge=expired-or-made-up&option=email"],
    ["not found", "/no-such-page"],
  ];
  for (const [name, url] of pages) {
    await page.goto(url);
    await hydrated(page);
    expect.soft(await seriousFindings(page), name).toEqual([]);
  }
  await signIn(page, "alpha.admin");
  const signedIn: [string, string][] = [
    ["tenants", "/"],
    ["onboarded subscription", `/tenants/${ACME}/subscriptions/1`],
    ["subscription to onboard", `/tenants/${GLOBEX}/subscriptions/3`],
    ["simulator console", "/simulator"],
    ["simulated tenant", "/simulator?tenant=a1000000-0000-4000-8000-000000000001"],
  ];
  for (const [name, url] of signedIn) {
    await page.goto(url);
    await hydrated(page);
    expect.soft(await seriousFindings(page), name).toEqual([]);
  }
});
