/**
 * The operator console in a real browser against a real gateway and a fake model: sign in, a
 * streamed chat reply, the session on the sessions page, every page's screenshot, and a wrong
 * token that stops at "auth failed" instead of retrying. One chromium for the whole file.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { launchBrowser, pause, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { eventually } from "../server/raw-ws.ts";
import {
  assistantTexts,
  byTestId,
  chatMessages,
  goTo,
  openConsole,
  recordAssistantTexts,
  screenshotEveryPage,
  sendChat,
  signIn,
  SLOW,
  waitBanner,
  type Console,
} from "./console-page.ts";

const token = "tok_e2e_chat_".padEnd(40, "c");
const fake = new FakeModelServer();
let browser: Browser;
let gw: RunningGateway;
let tab: Console;

before(async () => {
  await fake.start();
  browser = await launchBrowser();
  gw = track(
    await startGateway({
      config: { gateway: { auth: { token } }, models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } } },
    }),
  );
});

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-chat"));

after(async () => {
  await tab?.close().catch(() => {});
  await browser?.close();
  await gw?.stop();
  await fake.close();
  reapAll();
});

test("a new tab asks for the token, then the banner says connected", bounded, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await byTestId(tab.page, "token-input").waitFor({ state: "visible" });
  await screenshot(tab.page, "e2e-chat-sign-in");
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
  await byTestId(tab.page, "token-input").waitFor({ state: "hidden" });
  // Kept for the origin: a second tab of the same browser profile connects without asking.
  const second = await tab.context.newPage();
  try {
    await second.goto(`http://127.0.0.1:${gw.port}/`);
    await second.locator('[data-testid="banner"][data-state="connected"]').waitFor({ state: "visible" });
    assert.equal(await byTestId(second, "token-input").count(), 0);
  } finally {
    await second.close();
  }
});

test("a chat message gets the model's reply streamed into the page word by word", bounded, async () => {
  const { page } = tab;
  await goTo(page, "chat");
  // Slow chunks keep the reply streaming long enough for the page to show it partial.
  fake.behaviour = { kind: "reply", delayMs: 200 };
  const text = "please stream this reply back to me slowly";
  await recordAssistantTexts(page);
  await sendChat(page, text);
  await chatMessages(page, "user", text).first().waitFor({ state: "visible" });

  const streaming = page.locator('[data-testid="chat-message"][data-role="assistant"][data-streaming="true"]');
  await streaming.first().waitFor({ state: "visible" });
  await screenshot(page, "e2e-chat-streaming");

  await chatMessages(page, "assistant", `echo: ${text}`).first().waitFor({ state: "visible" });
  await streaming.first().waitFor({ state: "detached" });
  const seen = await assistantTexts(page);
  assert.ok(
    seen.some((t) => t.includes("echo:") && !t.includes("slowly")),
    `the page showed the reply partially before it was complete; it showed: ${JSON.stringify(seen)}`,
  );
  assert.equal(fake.requests.length, 1, "one message, one model request");
  fake.behaviour = { kind: "reply" };
  await screenshot(page, "e2e-chat-replied");
});

test("Stop aborts a reply in flight: the run ends as Stopped. and the composer is free again", bounded, async () => {
  const { page } = tab;
  await goTo(page, "chat");
  fake.behaviour = { kind: "hang" };
  try {
    await sendChat(page, "this one will never be answered by the model");
    await byTestId(page, "chat-abort").and(page.locator(":enabled")).waitFor({ state: "visible" });
    await byTestId(page, "chat-abort").click();
    await page.locator('[data-testid="chat-message"]').filter({ hasText: "Stopped." }).first().waitFor({ state: "visible" });
    await byTestId(page, "chat-abort").and(page.locator(":disabled")).waitFor({ state: "visible" });
    await screenshot(page, "e2e-chat-stopped");
  } finally {
    fake.behaviour = { kind: "reply" };
  }
});

test("the sessions page lists the chat's session and shows its transcript", bounded, async () => {
  const { page } = tab;
  await goTo(page, "sessions");
  const row = page.locator('[data-testid="session-row"][data-key="agent:main:main"]');
  await row.waitFor({ state: "visible" });
  await row.click();
  await page.locator('[data-testid="transcript-message"][data-role="user"]').filter({ hasText: "please stream this reply" }).waitFor({ state: "visible" });
  await page.locator('[data-testid="transcript-message"][data-role="assistant"]').filter({ hasText: "echo: please stream" }).waitFor({ state: "visible" });
  await screenshot(page, "e2e-chat-session-transcript");
});

test("every page renders its data from the gateway alone: no request leaves its origin (screenshots in test-artifacts/screenshots)", bounded, async () => {
  const origins = new Set<string>();
  tab.page.on("request", (r) => void origins.add(new URL(r.url()).host));
  await tab.page.reload({ waitUntil: "load" });
  await waitBanner(tab, "connected");
  await screenshotEveryPage(tab.page, "e2e-chat-page");
  for (const u of tab.sockets.urls) origins.add(new URL(u).host);
  assert.deepEqual([...origins], [`127.0.0.1:${gw.port}`], "documents, scripts, styles and the WebSocket all come from the gateway");
  await goTo(tab.page, "brain");
  await tab.page
    .locator('[data-testid="brain-field"][data-field="pid"]')
    .filter({ hasText: String(gw.pid) })
    .first()
    .waitFor({ state: "visible" });
  assert.deepEqual(tab.errors, [], "no uncaught errors in the page");
});

test("a gateway URL in the page's query string or fragment is never connected to (CVE-2026-25253)", bounded, async () => {
  // A decoy that would receive the token if the console believed the link it was opened with.
  let decoyHits = 0;
  const decoy = http.createServer((_req, res) => (decoyHits++, res.end()));
  decoy.on("upgrade", (_req, socket) => (decoyHits++, socket.destroy()));
  await new Promise<void>((r) => decoy.listen(0, "127.0.0.1", r));
  const evil = `ws://127.0.0.1:${(decoy.address() as AddressInfo).port}/`;
  const q = new URLSearchParams({ gateway: evil, gatewayUrl: evil, url: evil, ws: evil, host: evil });
  const tricked = await openConsole(browser, `http://127.0.0.1:${gw.port}/?${q.toString()}#gatewayUrl=${encodeURIComponent(evil)}`);
  try {
    await byTestId(tricked.page, "token-input").waitFor({ state: "visible" });
    await signIn(tricked.page, token);
    await waitBanner(tricked, "connected");
    assert.ok(tricked.sockets.count() >= 1);
    for (const u of tricked.sockets.urls) assert.equal(new URL(u).host, `127.0.0.1:${gw.port}`, `every WebSocket goes to the page's own origin: ${u}`);
    assert.equal(decoyHits, 0, "the decoy was never contacted");
  } finally {
    await tricked.close();
    await new Promise((r) => decoy.close(r));
  }
});

test("a wrong token shows auth failed and makes no further attempts until a new one is typed", bounded, async () => {
  const wrong = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  try {
    await byTestId(wrong.page, "token-input").waitFor({ state: "visible" });
    const before = wrong.sockets.count();
    await signIn(wrong.page, "tok_wrong_".padEnd(40, "w"));
    // The banner may already say auth-failed (no token at first): wait for the wrong token's attempt to end.
    await eventually(() => wrong.sockets.count() > before && wrong.sockets.ended() === wrong.sockets.count(), "the wrong token's attempt ended", SLOW);
    await waitBanner(wrong, "auth-failed");
    await byTestId(wrong.page, "token-input").waitFor({ state: "visible" });
    await screenshot(wrong.page, "e2e-chat-auth-failed");

    // A retry loop would show up as more WebSocket attempts while nobody acts.
    const attempts = wrong.sockets.count();
    await pause(5000);
    assert.equal(wrong.sockets.count(), attempts, `no attempt after auth failed; attempts: ${wrong.sockets.urls.join(", ")}`);
    assert.ok(attempts <= 2, `at most one attempt before the token and one with it, got ${attempts}`);
    await waitBanner(wrong, "auth-failed", 1000);

    await signIn(wrong.page, token);
    await waitBanner(wrong, "connected");
    assert.ok(wrong.sockets.count() > attempts, "the new token was tried");
  } finally {
    await wrong.close();
  }
});
