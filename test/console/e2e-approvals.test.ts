/**
 * The approvals page in a real browser against a gateway whose brain holds pending exec
 * approvals (a restart leaves them): each shows the exact command, cwd, env names and requesting
 * session; Allow once decides it in brain.db and moves it to the history; an answer given
 * elsewhere (the CLI) takes it off the page live, through the `approval` event.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { launchBrowser, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { runCli, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { approvalRow, brainWithPendingApprovals } from "../approvals/support.ts";
import { eventually } from "../server/raw-ws.ts";
import { goTo, openConsole, signIn, SLOW, waitBanner, type Console } from "./console-page.ts";

const token = "tok_e2e_approvals_".padEnd(40, "t");
let browser: Browser;
let gw: RunningGateway;
let tab: Console;
let seeded: { stateDir: string; ids: [string, string] };

before(async () => {
  seeded = brainWithPendingApprovals({ gateway: { auth: { token } } });
  browser = await launchBrowser();
  gw = track(await startGateway({ stateDir: seeded.stateDir, env: { TELEGRAM_BOT_TOKEN: undefined } }));
});

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-approvals"));

after(async () => {
  await tab?.close().catch(() => {});
  await browser?.close();
  await gw?.stop();
  reapAll();
});

test("the approvals page lists each pending request with its exact command, cwd, env names and session", { timeout: 90_000 }, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
  await goTo(tab.page, "approvals");
  const [ls, rm] = seeded.ids;
  const row = tab.page.locator(`[data-testid="approval-row"][data-id="${ls}"][data-state="pending"]`);
  await row.waitFor({ state: "visible", timeout: SLOW });
  assert.equal((await row.locator('[data-testid="approval-argv"]').innerText()).trim(), "/usr/bin/ls -la 'my dir'");
  assert.equal((await row.locator('[data-testid="approval-cwd"]').innerText()).trim(), "/home/ada/workspace");
  assert.equal((await row.locator('[data-testid="approval-session"]').innerText()).trim(), "agent:main:webchat:default:dm:agent:main:main");
  assert.match(await row.innerText(), /LANG/);
  assert.match((await row.locator('[data-testid="approval-time-left"]').innerText()).trim(), /^expires in (59|60) min$/);
  await tab.page.locator(`[data-testid="approval-row"][data-id="${rm}"]`).waitFor({ state: "visible" });
  await screenshot(tab.page, "e2e-approvals-pending");
});

test("Allow once decides the request in the brain and moves it to the history", { timeout: 90_000 }, async () => {
  const [ls] = seeded.ids;
  const row = tab.page.locator(`[data-testid="approval-row"][data-id="${ls}"]`);
  await row.locator('[data-testid="approval-allow-once"]').click();
  await row.waitFor({ state: "detached", timeout: SLOW });
  await tab.page.locator(`[data-testid="approval-history-row"][data-id="${ls}"][data-state="allow-once"]`).waitFor({ state: "visible", timeout: SLOW });
  assert.deepEqual(approvalRow(seeded.stateDir, ls), { state: "allow-once", decided_by: "onebrain-console", reason: null });
  await screenshot(tab.page, "e2e-approvals-answered");
});

test("a request answered elsewhere (the CLI) leaves the page at once, through the approval event", { timeout: 90_000 }, async () => {
  const [, rm] = seeded.ids;
  const deny = await runCli(["approvals", "deny", rm, "--reason", "not now"], gw.env);
  assert.equal(deny.code, 0, deny.stderr);
  await tab.page.locator(`[data-testid="approval-row"][data-id="${rm}"]`).waitFor({ state: "detached", timeout: SLOW });
  const done = tab.page.locator(`[data-testid="approval-history-row"][data-id="${rm}"][data-state="deny"]`);
  await done.waitFor({ state: "visible", timeout: SLOW });
  assert.match(await done.innerText(), /denied by onebrain-cli[\s\S]*not now/);
  await eventually(async () => (await tab.page.locator('[data-testid="approval-row"]').count()) === 0, "no request is left pending", SLOW);
  assert.deepEqual(tab.errors, [], "no page errors");
});
