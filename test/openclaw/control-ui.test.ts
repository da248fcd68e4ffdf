/**
 * OpenClaw's Control UI (the installed package's own assets, in real Chromium) pointed at a
 * onebrain gateway that allows its origin: it connects with its browser device key, lists the
 * brain's sessions, sends a chat and shows the agent's reply.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { launchBrowser, screenshot } from "../helpers/browser.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { openclawMissing } from "../helpers/openclaw-cli.ts";
import { serveControlUi } from "../helpers/openclaw-ui.ts";
import { until } from "../helpers/wait.ts";

const missing = openclawMissing();
const model = new FakeModelServer();
const TOKEN = "oc-ui-gateway-token-0123456789";
let gw: RunningGateway;
let ui: Awaited<ReturnType<typeof serveControlUi>>;
let browser: Browser;

before(async () => {
  if (missing) return;
  await model.start();
  ui = await serveControlUi();
  gw = await startGateway({
    config: {
      gateway: { auth: { token: TOKEN }, allowedOrigins: [ui.origin] },
      models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
    },
  });
  // A conversation the brain already had, for the sessions list.
  const conn = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, token: TOKEN });
  await conn.request("chat.send", { text: "earlier message", idempotencyKey: "ui-earlier-1", sessionKey: "agent:main:earlier" });
  await until(
    "the earlier reply",
    async () => JSON.stringify(await conn.request("chat.history", { sessionKey: "agent:main:earlier" })).includes("echo: earlier message"),
    15_000,
  );
  await conn.closeWithin(200);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
  await ui?.close();
  await model.close();
});

test("the Control UI connects, shows the brain's sessions, sends a chat and shows the reply", { skip: missing ?? false, timeout: 180_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const gateway = `ws://127.0.0.1:${gw.port}`;
  await page.goto(`${ui.origin}/?gatewayUrl=${encodeURIComponent(gateway)}#token=${encodeURIComponent(TOKEN)}`);
  // A gateway other than the page's own origin is confirmed once, as OpenClaw users do.
  const swap = page.getByRole("button", { name: /^Switch to/ });
  await swap
    .first()
    .waitFor({ timeout: 30_000 })
    .catch(() => {});
  if (await swap.count()) await swap.first().click();
  const composer = page.getByPlaceholder(/Message /).first();
  await composer.waitFor({ timeout: 90_000 });
  await screenshot(page, "openclaw-control-ui-connected");

  const go = (route: string) => page.evaluate(`history.pushState({}, "", ${JSON.stringify(route)}); dispatchEvent(new PopStateEvent("popstate"))`);
  const shown = () => page.evaluate("document.body.innerText") as Promise<string>;
  await go("/sessions");
  await until("the earlier session listed", async () => (await shown()).includes("earlier"), 30_000);
  await screenshot(page, "openclaw-control-ui-sessions");

  await go("/chat/main");
  await composer.waitFor({ timeout: 30_000 });
  await composer.click();
  await composer.fill("hello from the control ui");
  await page.keyboard.press("Enter");
  await until("the reply shown", async () => (await shown()).includes("echo: hello from the control ui"), 60_000);
  // The composer's model picker shows the agent's model from onebrain's catalog (models.snapshot).
  await page.getByText("echo-1", { exact: true }).first().waitFor({ timeout: 10_000 });
  assert.ok(!(await shown()).includes("No models available"));
  await screenshot(page, "openclaw-control-ui-reply");

  // The message went through onebrain's brain: it is in the main session's transcript once.
  const conn = await connectGateway({ url: gateway, token: TOKEN });
  const h = (await conn.request("chat.history", { sessionKey: "agent:main:main" })) as { messages: Array<{ role: string; content: string }> };
  await conn.closeWithin(200);
  assert.deepEqual(
    h.messages.filter((m) => m.role === "user").map((m) => m.content),
    ["hello from the control ui"],
  );
  assert.deepEqual(errors, [], "no uncaught page errors");
});
