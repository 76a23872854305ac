import { defineConfig } from "@playwright/test";
import * as path from "node:path";
import * as os from "node:os";
import * as fs from "node:fs";

// The server binary built by `cargo leptos build`; the Makefile passes its path.
const repoRoot = path.resolve(__dirname, "..");
const serverBin = process.env.SERVER_BIN ?? path.join(repoRoot, "target/debug/server");
const port = Number(process.env.E2E_PORT ?? 3100);
// A fresh database for every run, so tests start from the demo data.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fusion-e2e-"));
// Everything the server logs; `make test` fails on a panic or a 5xx in it
// (scripts/check-server-log.sh).
const serverLog = process.env.E2E_SERVER_LOG ?? path.join(repoRoot, "end2end/.data/server.log");
fs.mkdirSync(path.dirname(serverLog), { recursive: true });
// Workers load this file too, after the server started: only the runner starts afresh.
if (process.env.TEST_WORKER_INDEX === undefined) fs.writeFileSync(serverLog, "");

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  timeout: 60_000,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    headless: true,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    command: `exec "${serverBin}" --database-url "sqlite://${dataDir}/fusion.db" >> "${serverLog}" 2>&1`,
    cwd: repoRoot,
    url: `http://127.0.0.1:${port}/api/v01/openapi.json`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      FUSION_DEMO: "true",
      RUST_LOG: "warn",
      // A throw-away key: the suite never writes a key file into the user's home.
      FUSION_SECRET_KEY: "5e".repeat(32),
      // Simulated Microsoft at a twentieth of real time: a wizard takes a few seconds.
      FUSION_TIME_SCALE: "0.05",
    },
  },
});
