/**
 * A real browser for the console's end-to-end tests: playwright-core driving Debian's chromium
 * (headless, no sandbox: CI runs as root), screenshots kept as test artifacts under
 * `test-artifacts/screenshots/` (git-ignored), and a count of the WebSocket attempts a page makes.
 * Loopback only: the tests open 127.0.0.1 URLs and chromium's background networking is off.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "./gateway.ts";

/** Where chromium is looked for (`ONEBRAIN_CHROMIUM` wins); `.ci/run` installs Debian's package there. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.ONEBRAIN_CHROMIUM ?? "/usr/bin/chromium";
}

/** The flags every test browser starts with. */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

/** Launches one headless chromium; share it across a test file and `close()` it in `after`. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!fs.existsSync(executablePath)) throw new Error(`Cannot find chromium at "${executablePath}": apt-get install chromium (or set ONEBRAIN_CHROMIUM)`);
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** The folder screenshots go to (created on first use). */
export const screenshotDir = path.join(repoRoot, "test-artifacts", "screenshots");

/** Saves a full-page PNG of `page` as `test-artifacts/screenshots/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name.replace(/[^A-Za-z0-9_.-]+/g, "-")}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface WebSocketLog {
  /** Every WebSocket URL the page tried to open, in order, failed handshakes included. */
  urls: string[];
  /** Attempts so far. */
  count(): number;
  /** Attempts that have ended (closed, or failed before opening). */
  ended(): number;
}

/** Records every WebSocket the page creates (chromium reports failed handshakes too) and when each ends. */
export function watchWebSockets(page: Page): WebSocketLog {
  const urls: string[] = [];
  let ended = 0;
  page.on("websocket", (ws) => {
    urls.push(ws.url());
    ws.on("close", () => ended++);
  });
  return { urls, count: () => urls.length, ended: () => ended };
}

/** Resolves after `ms`; for observation windows, never as an assertion about timing. */
export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** For `afterEach`: keeps a screenshot of `page` as `failed-<prefix>-<test name>.png` when the test failed. */
export async function screenshotIfFailed(t: { name: string }, page: Page | undefined, prefix: string): Promise<void> {
  // `passed` is on the test context since Node 20.12, not yet in its types.
  if ((t as { passed?: boolean }).passed !== false || !page || page.isClosed()) return;
  await screenshot(page, `failed-${prefix}-${t.name.slice(0, 60)}`).catch(() => {});
}
