/**
 * The channels page in a real browser against a gateway with a Telegram channel (the fake Bot
 * API): the channel's state, traffic and lease, and pairing: a stranger's direct message gets a
 * code and reaches nobody; the operator approves it with the console's button; the stranger's
 * next message reaches the agent and is answered. A reply that failed for good is listed with its
 * error, and its Retry button delivers it once.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Browser } from "playwright-core";
import { launchBrowser, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { brainWithFailedReply } from "../channels/telegram-support.ts";
import { reapAll, track } from "../gateway/support.ts";
import { eventually } from "../server/raw-ws.ts";
import { goTo, openConsole, signIn, SLOW, waitBanner, type Console } from "./console-page.ts";

const token = "tok_e2e_channels_".padEnd(40, "t");
const model = new FakeModelServer();
const tg = new FakeTelegram();
let browser: Browser;
let gw: RunningGateway;
let tab: Console;

/** A gateway with the console's token, the fake model, and Telegram on the fake Bot API (on `stateDir`, if given). */
async function telegramGateway(stateDir?: string): Promise<RunningGateway> {
  return track(
    await startGateway({
      ...(stateDir ? { stateDir } : {}),
      config: {
        gateway: { auth: { token } },
        models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
        channels: { telegram: { botToken: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 5 } },
      },
      env: { ONEBRAIN_LEASE_DIR: path.join(tmpDir(), "leases"), TELEGRAM_BOT_TOKEN: undefined },
    }),
  );
}

before(async () => {
  await model.start();
  await tg.start();
  browser = await launchBrowser();
  gw = await telegramGateway();
});

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-channels"));

after(async () => {
  await tab?.close().catch(() => {});
  await browser?.close();
  await gw?.stop();
  await tg.close();
  await model.close();
  reapAll();
});

test("the channels page shows Telegram connected, with its lease held by this gateway", { timeout: 90_000 }, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
  await goTo(tab.page, "channels");
  const row = tab.page.locator('[data-testid="channel-row"][data-channel="telegram"][data-state="connected"]');
  await row.waitFor({ state: "visible", timeout: SLOW });
  assert.equal((await row.locator('[data-testid="channel-lease"]').innerText()).trim(), "this gateway");
  assert.equal((await row.locator('[data-testid="channel-last-inbound"]').innerText()).trim(), "—");
});

test("a stranger gets a code and reaches nobody; Approve in the console lets their next message through", { timeout: 90_000 }, async () => {
  const { page } = tab;
  const stranger = 777_001;
  tg.userSays(stranger, "hello, who are you?", { from: { first_name: "Grace", username: "grace_h" } });
  await eventually(() => tg.sentTo(stranger).length === 1, "the stranger is sent a pairing code", SLOW);
  const code = /pairing approve telegram ([A-Z0-9]{8})/.exec(tg.sentTo(stranger)[0]!.plain)?.[1];
  assert.ok(code, `the stranger was told a code: ${tg.sentTo(stranger)[0]!.plain}`);
  assert.equal(model.requests.length, 0, "nothing reached the agent");

  const pending = page.locator(`[data-testid="pairing-row"][data-state="pending"][data-code="${code}"]`);
  await pending.waitFor({ state: "visible", timeout: SLOW });
  assert.match(await pending.innerText(), /Grace \(@grace_h\) \(777001\)/);
  await screenshot(page, "e2e-channels-pairing");
  await pending.locator('[data-testid="pairing-approve"]').click();
  await page.locator('[data-testid="pairing-row"][data-state="approved"][data-channel="telegram"]').waitFor({ state: "visible", timeout: SLOW });
  await pending.waitFor({ state: "detached" });
  assert.equal(model.requests.length, 0, "approval alone reaches nobody");

  const next = tg.userSays(stranger, "now may I?", { from: { first_name: "Grace", username: "grace_h" } });
  await eventually(() => tg.sentTo(stranger).some((m) => m.replyTo === next.message!.message_id), "the approved stranger is answered", SLOW);
  assert.equal(model.requests.length, 1, "the next message reached the agent");
  assert.match(tg.sentTo(stranger).find((m) => m.replyTo === next.message!.message_id)!.plain, /echo: now may I\?/);
  const row = page.locator('[data-testid="channel-row"][data-channel="telegram"]');
  await eventually(
    async () => (await row.locator('[data-testid="channel-last-outbound"]').innerText()).trim() !== "—",
    "the page shows the last outbound message",
    SLOW,
  );
  await screenshot(page, "e2e-channels-approved");
});

test("a reply that failed for good is listed with its error, and Retry delivers it once", { timeout: 90_000 }, async () => {
  // The failure is made by an in-process brain on a state dir of its own, while no gateway polls the bot.
  await tab.close();
  await gw.stop();
  const chat = 778_001;
  gw = await telegramGateway(await brainWithFailedReply(tg, chat));
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
  await goTo(tab.page, "channels");
  const row = tab.page.locator('[data-testid="failed-reply"]');
  await row.waitFor({ state: "visible", timeout: SLOW });
  assert.match(await row.innerText(), /telegram[\s\S]*778001[\s\S]*403 Forbidden: bot was blocked by the user/);
  await screenshot(tab.page, "e2e-channels-failed-reply");
  await row.locator('[data-testid="failed-reply-retry"]').click();
  await eventually(() => tg.sentTo(chat).length === 1, "the retried reply reaches Telegram", SLOW);
  assert.equal(tg.sentTo(chat)[0]!.plain, "echo: hello?");
  await row.waitFor({ state: "detached", timeout: SLOW });
  assert.equal(tg.sentTo(chat).length, 1, "once");
});
