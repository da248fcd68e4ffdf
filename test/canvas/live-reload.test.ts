/**
 * Live reload seen in a real browser (Debian's chromium, headless, loopback): a canvas page open
 * through its capability URL reloads and shows the new content when its file is written, on the
 * canvas port and (sandboxed) under /__canvas__/ on the gateway port, after the root is removed
 * and made again, and inside the console's Canvas page.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "../helpers/browser.ts";
import { startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { writeFileAtomic } from "../../src/shared/fs-atomic.ts";
import { byTestId, goTo, openConsole, signIn, waitBanner } from "../console/console-page.ts";
import { canvasInfo } from "./support.ts";

const TOKEN = "live-reload-token-0123456789";
let browser: Browser;
let gw: RunningGateway;
let root: string;
before(async () => {
  browser = await launchBrowser();
  gw = await startGateway({ config: { gateway: { auth: { token: TOKEN } } } });
  root = path.join(gw.stateDir, "workspace", "canvas");
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

const page = (n: string, title = "canvas") => `<!doctype html><html><head><title>${title}</title></head><body><h1 id="v">${n}</h1></body></html>`;

/** A fresh tab at `url` showing version `first`; counts its full loads. */
async function openAt(url: string, file: string, first: string): Promise<{ tab: Page; loads: () => number }> {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileAtomic(path.join(root, file), page(first), { mode: 0o644 });
  const context = await browser.newContext();
  const tab = await context.newPage();
  let loads = 0;
  tab.on("load", () => loads++);
  // The reload socket is open once the server counts it: only then is a write sure to be seen.
  const before = (await canvasInfo(gw.port, TOKEN)).reloadClients;
  await tab.goto(url);
  assert.equal(await tab.locator("#v").innerText(), first);
  const deadline = Date.now() + 10_000;
  while ((await canvasInfo(gw.port, TOKEN)).reloadClients <= before) {
    if (Date.now() > deadline) throw new Error("the page's live-reload socket never opened");
    await new Promise((r) => setTimeout(r, 50));
  }
  return { tab, loads: () => loads };
}

test("a page on the canvas port reloads and shows the new content when its file is written", async () => {
  const info = await canvasInfo(gw.port, TOKEN);
  const { tab, loads } = await openAt(`${info.urls!.canvas!}a/index.html`, "a/index.html", "one");
  writeFileAtomic(path.join(root, "a", "index.html"), page("two"), { mode: 0o644 });
  await tab.locator("#v", { hasText: "two" }).waitFor({ timeout: 15_000 });
  assert.ok(loads() >= 2, `loads: ${loads()}`);
  await tab.context().close();
});

test("a sandboxed page under /__canvas__/ on the gateway port reloads too, and an unrelated write of a sibling reloads it", async () => {
  const info = await canvasInfo(gw.port, TOKEN);
  const { tab } = await openAt(`${info.urls!.gateway}b.html`, "b.html", "one");
  assert.equal(await tab.evaluate(() => (globalThis as any).origin), "null", "an opaque origin: nothing of the console's");
  fs.writeFileSync(path.join(root, "style.css"), "h1{color:red}");
  writeFileAtomic(path.join(root, "b.html"), page("three"), { mode: 0o644 });
  await tab.locator("#v", { hasText: "three" }).waitFor({ timeout: 15_000 });
  await tab.context().close();
});

test("an open page survives its root being removed and made again, and shows what the new root holds", async () => {
  const info = await canvasInfo(gw.port, TOKEN);
  const { tab } = await openAt(`${info.urls!.canvas!}c.html`, "c.html", "before");
  fs.rmSync(root, { recursive: true });
  // The page reloads at once into a 404 page that waits for the file (its request makes the root again).
  await tab.getByText("This page reloads by itself once it is there.").waitFor({ timeout: 15_000 });
  fs.mkdirSync(root, { recursive: true });
  writeFileAtomic(path.join(root, "c.html"), page("after"), { mode: 0o644 });
  await tab.locator("#v", { hasText: "after" }).waitFor({ timeout: 15_000 });
  await tab.context().close();
});

test("the console's Canvas page frames the canvas, and the frame reloads when the agent's page changes", async () => {
  fs.mkdirSync(root, { recursive: true });
  writeFileAtomic(path.join(root, "index.html"), page("console one"), { mode: 0o644 });
  const tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  try {
    await signIn(tab.page, TOKEN);
    await waitBanner(tab, "connected");
    await goTo(tab.page, "canvas");
    await byTestId(tab.page, "canvas-frame").waitFor();
    const frame = tab.page.frameLocator('[data-testid="canvas-frame"]');
    await frame.locator("#v", { hasText: "console one" }).waitFor({ timeout: 15_000 });
    const deadline = Date.now() + 10_000;
    while ((await canvasInfo(gw.port, TOKEN)).reloadClients === 0) {
      if (Date.now() > deadline) throw new Error("the frame's live-reload socket never opened");
      await new Promise((r) => setTimeout(r, 50));
    }
    writeFileAtomic(path.join(root, "index.html"), page("console two"), { mode: 0o644 });
    await frame.locator("#v", { hasText: "console two" }).waitFor({ timeout: 15_000 });
    assert.equal(tab.navigations(), 0, "only the frame reloaded, not the console");
    assert.deepEqual(tab.errors, []);
  } finally {
    await tab.close();
  }
});
