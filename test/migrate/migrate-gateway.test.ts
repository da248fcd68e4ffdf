import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { connectGateway, type GatewayConnection } from "../../src/client/gateway-client.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { brainEnv, runCli, startGateway, writeConfig } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { stateDirIn } from "./brains.ts";

const fake = new FakeModelServer();
before(() => fake.start());
after(() => fake.close());
after(reapAll);

const TOKEN = "migrate-test-token-0123456789";

function config(): Record<string, unknown> {
  return { gateway: { auth: { token: TOKEN } }, models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } } };
}

async function client(port: number): Promise<GatewayConnection> {
  return connectGateway({ url: `ws://127.0.0.1:${port}`, clientId: "migrate-test", mode: "webchat", token: TOKEN });
}

/** Sends `texts` to `sessionKey` one by one, each after the previous reply is in the transcript. */
async function chat(c: GatewayConnection, sessionKey: string, texts: string[]): Promise<void> {
  for (const [i, text] of texts.entries()) {
    await c.request("chat.send", { text, idempotencyKey: `${sessionKey}-${text}-${i}`, sessionKey });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const h = await c.request<{ messages: Array<{ role: string; content: string }> }>("chat.history", { sessionKey, limit: 200 });
      if (h.messages.some((m) => m.role === "assistant" && m.content === `echo: ${text}`)) break;
      if (Date.now() > deadline) throw new Error(`no reply to ${text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

test("folds a brain that ran a real gateway into another: refused while either runs, then its chats are served by this brain's gateway", bounded, async () => {
  const old = stateDirIn("old");
  const mine = path.join(path.dirname(old), "mine");
  writeConfig(old, { ...config(), logging: { level: "debug" } });
  writeConfig(mine, config());

  // The old brain talks with ada; this brain already talks with bob.
  let gw = track(await startGateway({ stateDir: old }));
  let c = await client(gw.port);
  await chat(c, "agent:main:webchat:dm:ada", ["hello", "remember the milk"]);
  await c.close();

  // While the old brain's gateway runs, nothing is touched.
  const refused = await runCli(["migrate", "--from", old], brainEnv(mine));
  assert.equal(refused.code, 10, refused.stderr);
  assert.match(
    refused.stderr,
    new RegExp(`Refusing to migrate: the brain at ${fs.realpathSync(old)} is held by pid ${gw.pid}\\b.*Both brains must be stopped`),
  );
  assert.match(refused.stderr, new RegExp(`next: Stop it first \\(kill -TERM ${gw.pid}`));
  assert.equal((await gw.stop()).code, 0);

  gw = track(await startGateway({ stateDir: mine }));
  c = await client(gw.port);
  await chat(c, "agent:main:webchat:dm:bob", ["hi"]);
  await c.close();
  const refusedHere = await runCli(["migrate", "--from", old, "--json"], brainEnv(mine));
  assert.equal(refusedHere.code, 10);
  const err = JSON.parse(refusedHere.stdout).error;
  assert.equal(err.code, "GATEWAY_LOCK_HELD");
  assert.match(err.message, /Refusing to migrate: this brain \(state dir .*\/mine\) is held by pid/);
  assert.equal(err.details.brain, "this");
  assert.equal(
    fs.readdirSync(mine).some((f) => f.startsWith("onebrain.json.before-migrate")),
    false,
  );
  assert.equal((await gw.stop()).code, 0);

  const done = await runCli(["migrate", "--from", old], brainEnv(mine));
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /^migrate: moved .*\/old into .*\/mine$/m);
  assert.match(done.stdout, /sessions +1 imported/);
  assert.match(done.stdout, /messages +4 transcript lines, 2 runs, 2 inbound messages/);
  assert.match(done.stdout, /config +added logging$/m);
  assert.match(done.stdout, /backup +.*\/mine\/backups\/brain-\d{8}-\d{6}\.db/);
  assert.match(done.stdout, /next: archive the old state dir .*: mv .*\/old .*\/old\.archived-\d{8} +\(or remove it: rm -r .*\/old\)/);

  gw = track(await startGateway({ stateDir: mine }));
  c = await client(gw.port);
  const ada = await c.request<{ messages: Array<{ role: string; content: string }> }>("chat.history", { sessionKey: "agent:main:webchat:dm:ada" });
  assert.deepEqual(
    ada.messages.map((m) => `${m.role}: ${m.content}`),
    ["user: hello", "assistant: echo: hello", "user: remember the milk", "assistant: echo: remember the milk"],
  );
  const list = await c.request<{ sessions: Array<{ key: string; channel: string | null }> }>("sessions.list", {});
  assert.deepEqual(list.sessions.map((s) => s.key).sort(), ["agent:main:webchat:dm:ada", "agent:main:webchat:dm:bob"]);
  assert.equal(list.sessions.find((s) => s.key === "agent:main:webchat:dm:ada")!.channel, "webchat");
  // The migrated session goes on: the model sees its history.
  fake.reset();
  await chat(c, "agent:main:webchat:dm:ada", ["what did I ask?"]);
  const sent = fake.requests.at(-1)!.body.messages.map((m: { content: string }) => m.content);
  assert.ok(sent.includes("remember the milk"), `the model saw the migrated history: ${JSON.stringify(sent)}`);
  await c.close();
  assert.equal((await gw.stop()).code, 0);
});
