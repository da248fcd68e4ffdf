/**
 * The Devices card in a real browser against a gateway that asks a person about every new device:
 * a device's request appears by itself (the `device` event), Approve lets it in, Revoke (after its
 * confirm step) closes its socket with 4001, and Reject drops a request.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { launchBrowser, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { runCli, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { detailsOf, deviceKey, ocConnect, type OcAttempt } from "../devices/oc-device.ts";
import { goTo, openConsole, signIn, SLOW, waitBanner, type Console } from "./console-page.ts";

const token = "tok_e2e_devices_".padEnd(40, "t");
const key = deviceKey();
let browser: Browser;
let gw: RunningGateway;
let tab: Console;
let held: OcAttempt | undefined;

before(async () => {
  browser = await launchBrowser();
  gw = track(await startGateway({ config: { gateway: { auth: { token }, devices: { autoApproveLocal: false } } } }));
});

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-devices"));

after(async () => {
  held?.client.ws.terminate();
  await tab?.close().catch(() => {});
  await browser?.close();
  await gw?.stop();
  reapAll();
});

test("a device's request appears on the channels page by itself, and Approve lets the device in", { timeout: 90_000 }, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
  await goTo(tab.page, "channels");
  await tab.page.locator('[data-testid="devices"]').waitFor({ state: "visible", timeout: SLOW });

  const asked = await ocConnect(gw.port, { key, auth: { token } });
  assert.equal(detailsOf(asked.res).code, "PAIRING_REQUIRED");
  const row = tab.page.locator(`[data-testid="device-request-row"][data-device-id="${key.deviceId}"]`);
  // Well within the card's 10 s re-read: the `device` event brought it.
  await row.waitFor({ state: "visible", timeout: 5000 });
  assert.match(await row.innerText(), /node-host\/node/);
  await screenshot(tab.page, "e2e-devices-pending");

  await row.locator('[data-testid="device-approve"]').click();
  await row.waitFor({ state: "detached", timeout: SLOW });
  assert.match(await tab.page.locator('[data-testid="devices-note"]').innerText(), /Approved .*restart its node host/);
  held = await ocConnect(gw.port, { key, auth: { token } });
  assert.equal(held.res.ok, true, JSON.stringify(held.res.error));
  await tab.page.locator(`[data-testid="device-row"][data-device-id="${key.deviceId}"]`).waitFor({ state: "visible", timeout: SLOW });
});

test("Revoke asks to be confirmed, then closes the device's socket with 4001 and takes it off the list", { timeout: 90_000 }, async () => {
  const row = tab.page.locator(`[data-testid="device-row"][data-device-id="${key.deviceId}"]`);
  await tab.page.locator("button", { hasText: "Refresh" }).last().click();
  await tab.page.locator(`[data-testid="device-row"][data-device-id="${key.deviceId}"][data-connected="true"]`).waitFor({ timeout: SLOW });
  await row.locator('[data-testid="device-revoke"]').click();
  await row.locator('[data-testid="device-revoke-cancel"]').click();
  await row.locator('[data-testid="device-revoke"]').click();
  assert.equal(held!.client.ws.readyState, held!.client.ws.OPEN, "nothing happens before the confirmation");
  await row.locator('[data-testid="device-revoke-confirm"]').click();
  assert.deepEqual(await held!.closed, { code: 4001, reason: "device removed" });
  await row.waitFor({ state: "detached", timeout: SLOW });
  assert.match(await tab.page.locator('[data-testid="devices-note"]').innerText(), /Revoked .*1 socket\(s\) closed/);
});

test("Reject drops a request; nothing is approved", { timeout: 90_000 }, async () => {
  const other = deviceKey();
  await ocConnect(gw.port, { key: other, auth: { token } });
  const row = tab.page.locator(`[data-testid="device-request-row"][data-device-id="${other.deviceId}"]`);
  await row.waitFor({ state: "visible", timeout: 5000 });
  await row.locator('[data-testid="device-reject"]').click();
  await row.waitFor({ state: "detached", timeout: SLOW });
  const list = JSON.parse((await runCli(["devices", "list", "--json"], gw.env)).stdout);
  assert.deepEqual([list.pending.length, list.approved.length], [0, 0]);
});
