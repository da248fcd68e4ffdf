/**
 * Linking WhatsApp from the console's channels page, in a real browser against a gateway on the
 * fake WhatsApp server (test/helpers/fake-whatsapp.ts, reached through ONEBRAIN_WHATSAPP_LIBRARY):
 * the QR code shows as an image, the phone scans it, the channel connects without a restart and
 * answers, and Unlink (confirmed) brings the card back to "not linked"; by phone number instead,
 * the pairing code is shown to type on the phone.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { launchBrowser, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeWhatsApp } from "../helpers/fake-whatsapp.ts";
import { startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { eventually } from "../server/raw-ws.ts";
import { byTestId, goTo, openConsole, signIn, SLOW, waitBanner, type Console } from "./console-page.ts";

const token = "tok_e2e_whatsapp_".padEnd(40, "w");
const ME = "4915100000001";
const FRIEND = "4915100000002@s.whatsapp.net";
const model = new FakeModelServer();
const wa = new FakeWhatsApp();
let browser: Browser;
let gw: RunningGateway;
let tab: Console;

before(async () => {
  await model.start();
  await wa.start();
  browser = await launchBrowser();
  gw = track(
    await startGateway({
      config: {
        gateway: { auth: { token } },
        models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
        channels: { whatsapp: { allowFrom: ["+4915100000002"] } },
      },
      env: { ...wa.env(), ONEBRAIN_LEASE_DIR: tmpDir("onebrain-lease-"), TELEGRAM_BOT_TOKEN: undefined },
    }),
  );
});

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-whatsapp"));

after(async () => {
  await tab?.close().catch(() => {});
  await browser?.close();
  await gw?.stop();
  await wa.stop();
  await model.close();
  reapAll();
});

const linkState = (state: string) => tab.page.locator(`[data-testid="whatsapp-link-state"][data-state="${state}"]`);
const whatsappRow = (state: string) => tab.page.locator(`[data-testid="channel-row"][data-channel="whatsapp"][data-state="${state}"]`);

test("the console links WhatsApp by QR code, the channel connects and answers, and Unlink (confirmed) tells WhatsApp", { timeout: 120_000 }, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
  await goTo(tab.page, "channels");
  const { page } = tab;
  await linkState("idle").waitFor({ state: "visible", timeout: SLOW });
  assert.equal(await page.locator('[data-testid="channel-row"][data-channel="whatsapp"]').count(), 0, "nothing linked: no WhatsApp channel");

  await byTestId(page, "whatsapp-link").click();
  const qr = byTestId(page, "whatsapp-qr");
  await qr.waitFor({ state: "visible", timeout: SLOW });
  const src = (await qr.getAttribute("src")) ?? "";
  assert.match(src, /^data:image\/svg\+xml;charset=utf-8,/);
  assert.match(decodeURIComponent(src.slice(src.indexOf(",") + 1)), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(((await qr.boundingBox())?.width ?? 0) >= 200, "the QR code is big enough to scan");
  assert.match(await byTestId(page, "whatsapp").innerText(), /On the phone: WhatsApp > Settings > Linked devices > Link a device/);
  await screenshot(page, "e2e-whatsapp-qr");

  wa.scan(ME, "Ada");
  await linkState("linked").waitFor({ state: "visible", timeout: SLOW });
  assert.match(await linkState("linked").innerText(), new RegExp(`Linked \\+${ME}`));
  await whatsappRow("connected").waitFor({ state: "visible", timeout: SLOW });
  assert.equal(await qr.count(), 0, "the QR code is gone once linked");
  await screenshot(page, "e2e-whatsapp-linked");

  const id = wa.userSays(ME, FRIEND, "hi");
  await eventually(() => wa.sent.some((s) => s.quotedId === id), "the linked channel answers", SLOW);
  assert.equal(wa.sent.find((s) => s.quotedId === id)!.text, "echo: hi");

  await byTestId(page, "whatsapp-unlink").click();
  await byTestId(page, "whatsapp-unlink-confirm").click();
  const note = byTestId(page, "whatsapp-unlinked");
  await note.waitFor({ state: "visible", timeout: SLOW });
  assert.equal(await note.getAttribute("data-told"), "true");
  assert.match(await note.innerText(), new RegExp(`Unlinked \\+${ME}[\\s\\S]*WhatsApp was told`));
  await linkState("idle").waitFor({ state: "visible", timeout: SLOW });
  await byTestId(page, "whatsapp-link").waitFor({ state: "visible" });
  await whatsappRow("stopped").waitFor({ state: "visible", timeout: SLOW });
  assert.match(await whatsappRow("stopped").innerText(), /no device is linked/);
  await eventually(() => !wa.online(ME), "the device's session is closed", SLOW);
  assert.deepEqual(tab.errors, []);
});

test(
  "a link cancelled in the console says so and can be tried again, by phone number: the pairing code typed on the phone links",
  { timeout: 120_000 },
  async () => {
    const { page } = tab;
    await byTestId(page, "whatsapp-link").click();
    await byTestId(page, "whatsapp-qr").waitFor({ state: "visible", timeout: SLOW });
    await byTestId(page, "whatsapp-cancel").click();
    await linkState("cancelled").waitFor({ state: "visible", timeout: SLOW });
    assert.match(await linkState("cancelled").innerText(), /cancelled before the phone accepted/);
    assert.equal(await byTestId(page, "whatsapp-qr").count(), 0, "the QR code is gone once cancelled");

    await byTestId(page, "whatsapp-phone").fill(`+${ME}`);
    await byTestId(page, "whatsapp-link").click();
    const shown = byTestId(page, "whatsapp-code");
    await shown.waitFor({ state: "visible", timeout: SLOW });
    const given = wa.codes.at(-1)!;
    assert.equal(given.phone, ME);
    assert.equal((await shown.innerText()).trim(), `${given.code.slice(0, 4)}-${given.code.slice(4)}`);
    assert.equal(await byTestId(page, "whatsapp-qr").count(), 0, "no QR code when linking by number");
    assert.match(await byTestId(page, "whatsapp").innerText(), /Link with phone number instead/);
    await screenshot(page, "e2e-whatsapp-code");

    wa.enterCode(given.code);
    await linkState("linked").waitFor({ state: "visible", timeout: SLOW });
    assert.match(await linkState("linked").innerText(), new RegExp(`Linked \\+${ME}`));
    await whatsappRow("connected").waitFor({ state: "visible", timeout: SLOW });
    assert.deepEqual(tab.errors, []);
  },
);
