/**
 * A gateway behind an outbound proxy, as in a locked-down network: the model server and the Bot
 * API have names only the proxy resolves, so an answered message proves both went through it
 * (grammY's getUpdates included), and `status --deep` says which proxy is in use without its password.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { ForwardProxy, testCertificate, tlsFront } from "../helpers/forward-proxy.ts";
import { runCli, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { eventually } from "../channels/telegram-support.ts";

const model = new FakeModelServer();
const tg = new FakeTelegram();
const proxy = new ForwardProxy();
const pem = testCertificate(tmpDir(), ["telegram.test"]);
let tgTls: Awaited<ReturnType<typeof tlsFront>>;
let gateway: RunningGateway | undefined;

before(async () => {
  await Promise.all([model.start(), tg.start(), proxy.start()]);
  tgTls = await tlsFront(Number(new URL(tg.apiRoot).port), pem);
  proxy.hosts = { "model.test": "127.0.0.1", "telegram.test": "127.0.0.1" };
  proxy.credentials = { user: "gw", pass: "proxy-Secret-42" };
});
after(async () => {
  await gateway?.stop();
  await tgTls.close();
  await Promise.all([model.close(), tg.close(), proxy.close()]);
});

test("Telegram polling and sends and the model requests all go through HTTPS_PROXY / HTTP_PROXY; status --deep names the proxy, never its password", async () => {
  const token = "7400001:AAProxyTestTokenxxxxxxxxxxxxxxxxxxxxx";
  tg.addBot(token, "proxy_test_bot");
  const modelUrl = model.openaiUrl.replace("127.0.0.1", "model.test");
  const apiRoot = `https://telegram.test:${tgTls.port}`;
  const proxyUrl = proxy.url("gw:proxy-Secret-42");
  gateway = await startGateway({
    config: {
      models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: modelUrl } } },
      channels: { telegram: { apiRoot, pollTimeoutSeconds: 1, dmPolicy: "open" } },
    },
    env: {
      TELEGRAM_BOT_TOKEN: token,
      ONEBRAIN_LEASE_DIR: tmpDir("onebrain-lease-"),
      HTTPS_PROXY: proxyUrl,
      HTTP_PROXY: proxyUrl,
      NO_PROXY: "localhost",
      NODE_EXTRA_CA_CERTS: pem.certFile,
    },
  });

  tg.userSays(601, "hello through the proxy", { token, from: { id: 601, first_name: "Ada" } });
  await eventually(() => tg.sentTo(601, token).length === 1, 15_000, "the reply");
  assert.equal(tg.sentTo(601, token)[0]!.plain, "echo: hello through the proxy");

  const carried = new Set(proxy.carried.map((c) => `${c.method} ${c.target} ${c.status}`));
  assert.ok(carried.has(`CONNECT telegram.test:${tgTls.port} 200`), [...carried].join("\n"));
  assert.ok(carried.has(`POST ${modelUrl}/chat/completions 200`), [...carried].join("\n"));
  assert.ok(
    proxy.carried.every((c) => c.status === 200),
    "every request carried the proxy's credentials",
  );
  // getUpdates long-polls on tunnels kept alive: far fewer tunnels than calls.
  assert.ok(proxy.carried.filter((c) => c.method === "CONNECT").length <= 4, `${proxy.carried.length} requests`);

  const deep = await runCli(["status", "--deep", "--json"], gateway.env);
  const check = (JSON.parse(deep.stdout).checks as Array<{ id: string; status: string; finding: string }>).find((c) => c.id === "outbound");
  const shown = proxy.url("…:***");
  assert.deepEqual(check, {
    id: "outbound",
    status: "ok",
    finding: `outbound proxy: ${shown} (from HTTPS_PROXY and HTTP_PROXY), NO_PROXY: localhost, loopback direct`,
  });
  const text = await runCli(["status", "--deep"], gateway.env);
  assert.ok(text.stdout.includes(`outbound    outbound proxy: ${shown}`), text.stdout);
  for (const out of [deep.stdout, deep.stderr, text.stdout, text.stderr]) assert.ok(!out.includes("proxy-Secret-42"), out);
});
