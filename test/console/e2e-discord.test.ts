/**
 * The console's channels page with Discord, in a real browser against a gateway on the fake
 * Discord: a stranger's DM gets a pairing code and the operator approves it with the console's
 * button; during a Discord outage the row turns `degraded` and says why, and it is `connected`
 * again once Discord is back.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Browser } from "playwright-core";
import { launchBrowser, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { FakeDiscord } from "../helpers/fake-discord.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { eventually } from "../server/raw-ws.ts";
import { goTo, openConsole, signIn, SLOW, waitBanner, type Console } from "./console-page.ts";

const token = "tok_e2e_discord_".padEnd(40, "d");
const model = new FakeModelServer();
const discord = new FakeDiscord({ heartbeatIntervalMs: 1000, identifyIntervalMs: 0 });
let browser: Browser;
let gw: RunningGateway;
let tab: Console;

before(async () => {
  await model.start();
  await discord.start();
  browser = await launchBrowser();
  gw = track(
    await startGateway({
      config: {
        gateway: { auth: { token } },
        models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
        channels: { discord: { token: discord.token, apiRoot: discord.apiRoot } },
      },
      env: { ONEBRAIN_LEASE_DIR: path.join(tmpDir(), "leases"), DISCORD_BOT_TOKEN: undefined },
    }),
  );
});

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-discord"));

after(async () => {
  await tab?.close().catch(() => {});
  await browser?.close();
  await gw?.stop();
  await discord.close();
  await model.close();
  reapAll();
});

const row = () => tab.page.locator('[data-testid="channel-row"][data-channel="discord"]');

test("a Discord stranger gets a code; Approve in the console lets their next DM through", { timeout: 90_000 }, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
  await goTo(tab.page, "channels");
  await tab.page.locator('[data-testid="channel-row"][data-channel="discord"][data-state="connected"]').waitFor({ state: "visible", timeout: SLOW });
  assert.equal((await row().locator('[data-testid="channel-lease"]').innerText()).trim(), "this gateway");

  const ada = discord.user("ada");
  const dm = discord.dm(ada);
  discord.userSays(dm, ada, "hello, who are you?");
  await eventually(() => discord.botMessages(dm).length === 1, "the stranger is sent a pairing code", SLOW);
  const code = /pairing approve discord ([A-Z0-9]{8})/.exec(discord.botMessages(dm)[0]!.content)?.[1];
  assert.ok(code, `the stranger was told a code: ${discord.botMessages(dm)[0]!.content}`);
  const pending = tab.page.locator(`[data-testid="pairing-row"][data-state="pending"][data-code="${code}"]`);
  await pending.waitFor({ state: "visible", timeout: SLOW });
  assert.match(await pending.innerText(), new RegExp(ada));
  await pending.locator('[data-testid="pairing-approve"]').click();
  await tab.page.locator('[data-testid="pairing-row"][data-state="approved"][data-channel="discord"]').waitFor({ state: "visible", timeout: SLOW });
  assert.equal(model.requests.length, 0, "approval alone reaches nobody");

  const asked = discord.userSays(dm, ada, "now may I?");
  await eventually(() => discord.botMessages(dm).some((m) => m.message_reference?.message_id === asked.id), "the approved stranger is answered", SLOW);
  assert.equal(discord.botMessages(dm).find((m) => m.message_reference?.message_id === asked.id)!.content, "echo: now may I?");
  assert.equal(model.requests.length, 1, "once");
});

test("during a Discord outage the row is `degraded` with why, and `connected` again once Discord is back", { timeout: 90_000 }, async () => {
  discord.outage = true;
  discord.dropSockets();
  const degraded = tab.page.locator('[data-testid="channel-row"][data-channel="discord"][data-state="degraded"]');
  await degraded.waitFor({ state: "visible", timeout: 30_000 });
  assert.match(await degraded.innerText(), /Discord Gateway connection failed \d+ times in a row/);
  await screenshot(tab.page, "e2e-discord-degraded");
  discord.outage = false;
  await tab.page.locator('[data-testid="channel-row"][data-channel="discord"][data-state="connected"]').waitFor({ state: "visible", timeout: 30_000 });
});
