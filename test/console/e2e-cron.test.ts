/**
 * The cron page in a real browser: a job added from the CLI is listed with its schedule, next
 * occurrence, last outcome and delivery; Run now fires it and its history shows the occurrence
 * done; Pause and Resume change what the gateway will fire.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { launchBrowser, screenshotIfFailed } from "../helpers/browser.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { runCli, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { goTo, openConsole, signIn, SLOW, waitBanner, type Console } from "./console-page.ts";

const token = "tok_e2e_cron_".padEnd(40, "c");
const model = new FakeModelServer();
let browser: Browser;
let gw: RunningGateway;
let tab: Console;

before(async () => {
  await model.start();
  browser = await launchBrowser();
  gw = track(
    await startGateway({
      config: { gateway: { auth: { token } }, models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } } },
    }),
  );
});

afterEach((t) => screenshotIfFailed(t, tab?.page, "e2e-cron"));

after(async () => {
  await tab?.close().catch(() => {});
  await browser?.close();
  await gw?.stop();
  await model.close();
  reapAll();
});

test("the cron page lists a job; Run now fires it and its history shows it done; Pause and Resume", { timeout: 90_000 }, async () => {
  const added = await runCli(["cron", "add", "digest", "--every", "1h", "--message", "write the digest", "--json"], gw.env);
  assert.equal(added.code, 0, added.stderr);
  tab = await openConsole(browser, `http://127.0.0.1:${gw.port}/`);
  const { page } = tab;
  await signIn(page, token);
  await waitBanner(tab, "connected");
  await goTo(page, "cron");
  const row = page.locator('[data-testid="cron-job"][data-name="digest"]');
  await row.waitFor({ state: "visible", timeout: SLOW });
  assert.match(await row.innerText(), /every 1h/);
  assert.match(await row.innerText(), /in (59|60) min/);
  assert.match(await row.innerText(), /never/);
  await row.getByRole("button", { name: "Run now" }).click();
  await page.getByText("Fired digest.").waitFor({ timeout: SLOW });
  await row.getByRole("link", { name: "digest" }).click();
  await page.locator('[data-testid="cron-run"][data-state="done"]').first().waitFor({ timeout: SLOW });
  assert.match(await page.locator('[data-testid="cron-history"]').innerText(), /by hand/);
  await row.getByRole("button", { name: "Pause" }).click();
  await page.locator('[data-testid="cron-job"][data-name="digest"][data-paused="true"]').waitFor({ timeout: SLOW });
  const listed = JSON.parse((await runCli(["cron", "list", "--json"], gw.env)).stdout) as { jobs: Array<{ paused: boolean }> };
  assert.equal(listed.jobs[0]!.paused, true, "the page paused it in the gateway");
  await row.getByRole("button", { name: "Resume" }).click();
  await page.locator('[data-testid="cron-job"][data-name="digest"][data-paused="false"]').waitFor({ timeout: SLOW });
});
