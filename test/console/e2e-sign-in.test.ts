/**
 * What a person sees of signing in and of a gateway that changes under the tab: a first visit is
 * a neutral sign-in, a refused token is forgotten (a reload asks again), the drop of a killed
 * gateway reads as a sentence, and "Gateway replaced" gives way to "Connected" on its own.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, screenshot, screenshotIfFailed } from "../helpers/browser.ts";
import { startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { banner, bannerLog, byTestId, openConsole, recordBanner, signIn, SLOW, waitBanner, type Console } from "./console-page.ts";

const token = "tok_e2e_sign_in_".padEnd(40, "s");
let browser: Browser;
let gw: RunningGateway;
let tab: Console | undefined;

before(async () => {
  browser = await launchBrowser();
  gw = track(await startGateway({ config: { gateway: { auth: { token } } } }));
});

afterEach(async (t) => {
  await screenshotIfFailed(t, tab?.page, "e2e-sign-in");
  await tab?.close().catch(() => {});
  tab = undefined;
});

after(async () => {
  await browser?.close();
  await gw?.stop();
  reapAll();
});

/** The banner's background, and that of an error banner, as the page's own stylesheet paints them. */
function backgrounds(page: Page): Promise<{ banner: string; error: string }> {
  return page.evaluate(() => {
    const d = (globalThis as any).document;
    const probe = d.createElement("section");
    probe.className = "banner banner-auth-failed";
    d.body.appendChild(probe);
    const bg = (el: unknown) => String((globalThis as any).getComputedStyle(el).backgroundColor);
    const out = { banner: bg(d.querySelector('[data-testid="banner"]')), error: bg(probe) };
    probe.remove();
    return out;
  });
}

test("a first visit asks for the token with a neutral sign-in, not a red error", bounded, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await byTestId(tab.page, "token-input").waitFor({ state: "visible" });
  await waitBanner(tab, "sign-in");
  await screenshot(tab.page, "e2e-sign-in-first-visit");
  const { banner: bg, error } = await backgrounds(tab.page);
  assert.notEqual(bg, error, "the sign-in banner is not painted as an error");
  const text = (await banner(tab.page)).text;
  assert.doesNotMatch(text, /refused|failed|wrong/i);
  assert.equal(await byTestId(tab.page, "retry").count(), 0, "nothing to retry before a token is typed");
});

test("a refused token is forgotten: a reload asks again instead of sending it", bounded, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await byTestId(tab.page, "token-input").waitFor({ state: "visible" });
  await signIn(tab.page, "tok_wrong_".padEnd(40, "w"));
  await waitBanner(tab, "auth-failed");
  await screenshot(tab.page, "e2e-sign-in-refused");
  const stored = await tab.page.evaluate(() => (globalThis as any).localStorage.getItem("onebrain.console.secret"));
  assert.equal(stored, null, "the refused token was removed from storage");
  await tab.page.reload({ waitUntil: "load" });
  await waitBanner(tab, "sign-in");
  await byTestId(tab.page, "token-input").waitFor({ state: "visible" });
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
});

test("a killed gateway's drop is told in words, and 'Gateway replaced' turns back to connected by itself", bounded, async () => {
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  await signIn(tab.page, token);
  await waitBanner(tab, "connected");
  await recordBanner(tab.page);
  gw.kill("SIGKILL");
  await gw.exited;
  await waitBanner(tab, "reconnecting");
  gw = track(await startGateway({ stateDir: gw.stateDir, port: gw.port }));
  await waitBanner(tab, "replaced");
  await screenshot(tab.page, "e2e-sign-in-replaced");
  // The notice stays 8 s; then the banner is plain "Connected" again, without a click.
  await waitBanner(tab, "connected", SLOW);
  const log = await bannerLog(tab.page);
  const states = log.map((e) => e.state);
  assert.deepEqual(states.slice(states.indexOf("replaced")), ["replaced", "connected"], `after replaced: ${states.join(" -> ")}`);
  const drop = log.find((e) => e.state === "reconnecting")!;
  assert.match(drop.text, /without a closing handshake/, `the drop is explained: "${drop.text}"`);
  for (const e of log) assert.doesNotMatch(e.text.replace(/\(close code \d+\)/g, ""), /\b1\d{3}\b|\b4\d{3}\b/, `no bare close code in "${e.text}"`);
});
