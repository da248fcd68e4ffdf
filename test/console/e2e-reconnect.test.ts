/**
 * The console's link to a gateway that dies and comes back: the banner tells the truth while it
 * is gone (reconnecting, attempt N), and the same tab recovers by itself when a new gateway
 * starts on the same port and state dir: no reload, fresh state from the new instance, chat works.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { launchBrowser, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { bannerLog, chatMessages, goTo, openConsole, recordBanner, sendChat, signIn, waitBanner, type Console } from "./console-page.ts";

const token = "tok_e2e_reconnect_".padEnd(40, "r");
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

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-reconnect"));

after(async () => {
  await tab?.close().catch(() => {});
  await browser?.close();
  await gw?.stop();
  await fake.close();
  reapAll();
});

async function instanceId(port: number): Promise<string> {
  const c = await connectGateway({ url: `ws://127.0.0.1:${port}`, token, clientId: "e2e-reconnect-probe", timeoutMs: 10_000 });
  try {
    return c.hello.server.instanceId;
  } finally {
    await c.close();
  }
}

test("a killed gateway turns the banner to reconnecting and a restarted one is picked up without a reload", bounded, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  const { page } = tab;
  await signIn(page, token);
  await waitBanner(tab, "connected");
  await sendChat(page, "before the crash");
  await chatMessages(page, "assistant", "echo: before the crash").first().waitFor({ state: "visible" });
  const firstInstance = await instanceId(gw.port);
  await recordBanner(page);

  gw.kill("SIGKILL");
  await gw.exited;
  await waitBanner(tab, "reconnecting");
  await page
    .locator('[data-testid="banner"][data-state="reconnecting"]')
    .filter({ hasText: /attempt \d+/ })
    .first()
    .waitFor({ state: "attached" });
  await screenshot(page, "e2e-reconnect-reconnecting");

  // Same port, same state dir (its config included): what a supervisor's restart does.
  gw = track(await startGateway({ stateDir: gw.stateDir, port: gw.port }));
  const secondInstance = await instanceId(gw.port);
  assert.notEqual(secondInstance, firstInstance);
  const recovered = await waitBanner(tab, ["replaced", "connected"]);
  await screenshot(page, "e2e-reconnect-recovered");

  const states = (await bannerLog(page)).map((e) => e.state);
  assert.ok(states.includes("reconnecting"), `the banner said reconnecting while the gateway was down: ${states.join(" -> ")}`);
  assert.ok(["replaced", "connected"].includes(recovered));
  assert.equal(tab.navigations(), 0, "the page was not reloaded");

  // The brain page shows the new instance: the console reloaded its state from the new gateway.
  await goTo(page, "brain");
  await page.locator('[data-testid="brain-field"][data-field="instanceId"]').filter({ hasText: secondInstance }).first().waitFor({ state: "visible" });
  await page
    .locator('[data-testid="brain-field"][data-field="pid"]')
    .filter({ hasText: String(gw.pid) })
    .first()
    .waitFor({ state: "visible" });
  await screenshot(page, "e2e-reconnect-brain-after");

  await goTo(page, "chat");
  await sendChat(page, "after the restart");
  await chatMessages(page, "assistant", "echo: after the restart").first().waitFor({ state: "visible" });
  assert.equal(tab.navigations(), 0, "still the same page");
  assert.deepEqual(tab.errors, [], "no uncaught errors in the page");
});
