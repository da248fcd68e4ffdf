/**
 * The console in a real browser through a real nginx: the docs' example carries the pages, chat
 * and live logs; a proxy without the upgrade headers gets a clear banner and no retry loop; a
 * gateway that is down behind the proxy shows the proxy's 502, and the page recovers when it is
 * back. One chromium for the whole file; every page is opened through the nginx port.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { launchBrowser, pause, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { freePort, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { startNginx, type RunningNginx } from "../helpers/nginx.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { eventually } from "../server/raw-ws.ts";
import {
  assistantTexts,
  banner,
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
import { connectWeb } from "./web-socket-client.ts";

const token = "tok_e2e_proxy_".padEnd(40, "e");
const fake = new FakeModelServer();
let browser: Browser;
let gw: RunningGateway;
let docs: RunningNginx;
let noUpgrade: RunningNginx;
let tab: Console;

before(async () => {
  await fake.start();
  browser = await launchBrowser();
  // The browser's origin is the proxy's, so the gateway must allow it (docs/reverse-proxy.md).
  const [docsPort, noUpgradePort] = [await freePort(), await freePort()];
  const origins = [docsPort, noUpgradePort].map((p) => `http://127.0.0.1:${p}`);
  gw = track(
    await startGateway({
      config: {
        gateway: { auth: { token }, allowedOrigins: origins, trustedProxies: ["127.0.0.1"] },
        models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } },
      },
    }),
  );
  docs = await startNginx({ upstreamPort: gw.port, port: docsPort, fromDocs: true });
  noUpgrade = await startNginx({ upstreamPort: gw.port, port: noUpgradePort, upgrade: false });
});

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-proxy"));

after(async () => {
  await tab?.close().catch(() => {});
  await browser?.close();
  await docs?.stop();
  await noUpgrade?.stop();
  await gw?.stop();
  await fake.close();
  reapAll();
});

/**
 * Waits until the page's latest attempt has ended and the console has asked /api/ws-check about
 * it (through nginx), and the banner says proxy-no-upgrade: the diagnosis of that attempt, not a
 * stale one.
 */
async function diagnosed(c: Console): Promise<void> {
  const last = () => new URL(c.sockets.urls.at(-1) ?? "ws://x/").searchParams.get("attempt");
  await eventually(() => c.sockets.count() > 0 && c.sockets.ended() === c.sockets.count(), "the page's attempts ended", SLOW);
  await eventually(() => noUpgrade.accessLog().includes(`GET /api/ws-check?attempt=${last()} 200`), "the console asked ws-check about its last attempt", SLOW);
  await waitBanner(c, "proxy-no-upgrade");
}

/** WebSocket attempts nginx saw (any outcome). */
const wsAttempts = (p: RunningNginx) => p.accessLog().filter((l) => l.startsWith("GET /ws")).length;

test("through the docs' nginx the console signs in and chats with a streamed reply", bounded, async () => {
  tab = await openConsole(browser, `${docs.url}/`);
  const { page } = tab;
  await signIn(page, token);
  await waitBanner(tab, "connected");
  await goTo(page, "chat");
  // Slow chunks, so the page shows the reply partially if the deltas really stream through nginx.
  fake.behaviour = { kind: "reply", delayMs: 150 };
  await recordAssistantTexts(page);
  await sendChat(page, "hello via the proxy, word by word");
  await chatMessages(page, "assistant", "echo: hello via the proxy, word by word").first().waitFor({ state: "visible" });
  fake.behaviour = { kind: "reply" };
  const seen = await assistantTexts(page);
  assert.ok(
    seen.some((t) => t.includes("echo:") && !t.includes("word by word")),
    `the reply was shown partially first: ${JSON.stringify(seen)}`,
  );
  await screenshot(page, "e2e-proxy-chat");
  assert.ok(
    docs.accessLog().some((l) => l.startsWith("GET /assets/") && l.endsWith(" 200")),
    "the assets came through nginx",
  );
});

test("through the docs' nginx the logs page shows lines as they are written", bounded, async () => {
  const { page } = tab;
  await goTo(page, "logs");
  await byTestId(page, "log-line").first().waitFor({ state: "visible" });
  // A new connection makes the gateway log a line naming its client id.
  const marker = `proxy-live-log-${process.pid}-${Date.now().toString(36)}`;
  const other = await connectWeb(`ws://127.0.0.1:${docs.port}/ws`, token, marker);
  await other.close();
  await page.locator('[data-testid="log-line"]').filter({ hasText: marker }).first().waitFor({ state: "visible" });
  await screenshot(page, "e2e-proxy-logs");
  await screenshotEveryPage(page, "e2e-proxy-page");
  assert.deepEqual(tab.errors, [], "no uncaught errors in the page");
});

test("through nginx without the upgrade headers the banner says the proxy did not upgrade, with no retry loop", bounded, async () => {
  const c = await openConsole(browser, `${noUpgrade.url}/`);
  try {
    const { page } = c;
    // The console may ask for the token before its first attempt, or find the broken link first.
    const form = byTestId(page, "token-input");
    await form.or(page.locator('[data-testid="banner"][data-state="proxy-no-upgrade"]')).first().waitFor({ state: "visible" });
    if (await form.isVisible()) await signIn(page, token);
    await diagnosed(c);
    const { text } = await banner(page);
    assert.match(text, /proxy/i, "the banner names the proxy");
    assert.match(text, /upgrade/i, "the banner says the upgrade was lost");
    await screenshot(page, "e2e-proxy-no-upgrade");

    // No automatic retry: it cannot succeed until the proxy is fixed.
    const atNginx = wsAttempts(noUpgrade);
    const inPage = c.sockets.count();
    await pause(6000);
    assert.equal(wsAttempts(noUpgrade), atNginx, `no new attempt reached nginx: ${noUpgrade.accessLog().join(" | ")}`);
    assert.equal(c.sockets.count(), inPage, `the page opened no new WebSocket: ${c.sockets.urls.join(", ")}`);
    assert.ok(inPage <= 3, `a handful of attempts at most, got ${inPage}`);
    assert.equal((await banner(page)).state, "proxy-no-upgrade");

    // Retry is the operator's call: one click, one more attempt, same diagnosis.
    await byTestId(page, "retry").click();
    await eventually(() => c.sockets.count() > inPage, "the retry opened a WebSocket", 15_000);
    await diagnosed(c);
    assert.ok(wsAttempts(noUpgrade) > atNginx, "the retry reached nginx");
  } finally {
    await c.close();
  }
});

test("with the gateway down behind nginx the banner shows the proxy error, and the page recovers when it is back", bounded, async () => {
  const { page } = tab;
  await goTo(page, "chat");
  await waitBanner(tab, ["connected", "replaced"]);
  const port = gw.port;
  await gw.stop();
  await waitBanner(tab, "proxy-error");
  assert.match((await banner(page)).text, /502/, "the banner shows the proxy's status");
  await screenshot(page, "e2e-proxy-gateway-down");
  // Unlike a missing upgrade, a proxy error can heal by itself: the console keeps trying.
  await eventually(() => docs.accessLog().filter((l) => /^GET \/ws\S* 502$/.test(l)).length >= 2, "the console retried and nginx answered 502 again", 30_000);

  gw = track(await startGateway({ stateDir: gw.stateDir, port }));
  await waitBanner(tab, ["connected", "replaced"]);
  await sendChat(page, "back again");
  await chatMessages(page, "assistant", "echo: back again").first().waitFor({ state: "visible" });
  assert.equal(tab.navigations(), 0, "the page was not reloaded");
  await screenshot(page, "e2e-proxy-recovered");
});
