/**
 * An exec approval end to end in a real browser: the operator types a message in the console's
 * chat, the model (fake, OpenAI wire format) asks exec for a command off the allowlist, the
 * Approvals page shows the request live (no reload) with its exact argv and cwd, Allow once runs
 * the command exactly once (it appends a line: the count is the proof), and the chat shows the reply.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { displayArgv } from "../../src/approvals/text.ts";
import { launchBrowser, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import type { RunningGateway } from "../helpers/gateway.ts";
import { bounded, reapAll } from "../gateway/support.ts";
import { flowGateway, linesOf, query } from "../approvals/flow-rig.ts";
import { byTestId, chatMessages, goTo, openConsole, sendChat, signIn, SLOW, waitBanner, type Console } from "./console-page.ts";

const token = "tok_e2e_approval_flow_".padEnd(40, "a");
const fake = new FakeModelServer();
let browser: Browser;
let gw: RunningGateway;
let tab: Console;

before(async () => {
  await fake.start();
  browser = await launchBrowser();
  gw = await flowGateway(fake, { allowlist: ["echo"], ask: "on-miss" }, { gateway: { auth: { token } } });
});

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-approval-flow"));

after(async () => {
  await tab?.close().catch(() => {});
  await browser?.close();
  await gw?.stop();
  await fake.close();
  reapAll();
});

test("the model asks exec, the Approvals page shows it live, Allow once runs it once and the chat gets the reply", bounded, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
  await goTo(tab.page, "approvals");
  await byTestId(tab.page, "approvals").waitFor({ state: "visible" });
  assert.equal(await byTestId(tab.page, "approval-row").count(), 0, "nothing pending yet");

  // The message is typed in the chat; the page is left open on Approvals before the model asks.
  await goTo(tab.page, "chat");
  await sendChat(tab.page, "run echo console | tee -a console.log");
  await chatMessages(tab.page, "notice", "Approval needed").waitFor({ state: "visible", timeout: SLOW });
  await goTo(tab.page, "approvals");

  const row = tab.page.locator('[data-testid="approval-row"][data-state="pending"]');
  await row.waitFor({ state: "visible", timeout: SLOW });
  const id = (await row.getAttribute("data-id"))!;
  const [asked] = query(gw, "SELECT argv, cwd FROM approvals WHERE id = ?", id);
  const argv = JSON.parse(String(asked!.argv)) as string[];
  assert.deepEqual(argv, ["/bin/sh", "-c", "'/usr/bin/echo' 'console' | '/usr/bin/tee' '-a' 'console.log'"]);
  assert.equal((await row.locator('[data-testid="approval-argv"]').innerText()).trim(), displayArgv(argv));
  assert.equal((await row.locator('[data-testid="approval-cwd"]').innerText()).trim(), `${gw.stateDir}/workspace`);
  assert.equal(linesOf(gw, "console.log"), null, "nothing ran while it waited");
  await screenshot(tab.page, "e2e-approval-flow-pending");

  await row.locator('[data-testid="approval-allow-once"]').click();
  await row.waitFor({ state: "detached", timeout: SLOW });
  await tab.page.locator(`[data-testid="approval-history-row"][data-id="${id}"][data-state="allow-once"]`).waitFor({ state: "visible", timeout: SLOW });

  await goTo(tab.page, "chat");
  const reply = chatMessages(tab.page, "assistant", "done: exit code 0");
  await reply.waitFor({ state: "visible", timeout: SLOW });
  assert.match(await reply.innerText(), /console/);
  assert.deepEqual(linesOf(gw, "console.log"), ["console"], "the command ran exactly once");
  assert.deepEqual(query(gw, "SELECT state, decided_by FROM approvals WHERE id = ?", id), [{ state: "allow-once", decided_by: "onebrain-console" }]);
  assert.equal(tab.navigations(), 0, "no reload: the request and the reply arrived live");
  assert.deepEqual(tab.errors, [], "no page errors");
  await screenshot(tab.page, "e2e-approval-flow-done");
});

test("/approve typed in the console's chat answers the request, and a wrong id gets a notice there", bounded, async () => {
  await sendChat(tab.page, "run echo typed | tee -a typed.log");
  const request = chatMessages(tab.page, "notice", "Approval needed");
  await request.nth(1).waitFor({ state: "visible", timeout: SLOW });
  const id = /Approval needed \(([A-Z0-9]{8})\)/.exec(await request.nth(1).innerText())![1]!;

  await sendChat(tab.page, "/approve ZZZZ2222 allow-once");
  await chatMessages(tab.page, "notice", "There is no approval ZZZZ2222").waitFor({ state: "visible", timeout: SLOW });
  await sendChat(tab.page, `/approve ${id} allow-once`);
  await chatMessages(tab.page, "notice", `Allowed once (${id})`).waitFor({ state: "visible", timeout: SLOW });
  await chatMessages(tab.page, "assistant", "typed").waitFor({ state: "visible", timeout: SLOW });
  assert.deepEqual(linesOf(gw, "typed.log"), ["typed"], "the command ran exactly once");
  assert.equal(await chatMessages(tab.page, "notice", `Approval ${id}: allowed once`).count(), 0, "the answer shows once, as the reply to /approve");
  assert.deepEqual(tab.errors, [], "no page errors");
  await screenshot(tab.page, "e2e-approval-flow-chat");
});
