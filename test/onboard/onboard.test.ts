import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { brainEnv, runCli, startGateway, tmpDir } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";

const fake = new FakeModelServer();
before(() => fake.start());
after(() => fake.close());
after(reapAll);

function freshBrain(): { stateDir: string; env: NodeJS.ProcessEnv } {
  const stateDir = path.join(tmpDir("onebrain-onboard-"), "state");
  return { stateDir, env: brainEnv(stateDir) };
}

const readConfig = (stateDir: string) => JSON.parse(fs.readFileSync(path.join(stateDir, "onebrain.json"), "utf8"));

test("--non-interactive onboards a brain from flags alone, and the gateway it sets up answers through the chosen model", bounded, async () => {
  const { stateDir, env } = freshBrain();
  const r = await runCli(
    ["onboard", "--non-interactive", "--provider", "openai-compatible", "--provider-name", "fake", "--base-url", fake.openaiUrl, "--model", "echo-1", "--json"],
    env,
    30_000,
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, true);
  assert.deepEqual(Object.keys(out.steps), ["setup", "model", "channels", "gateway", "service", "doctor"]);
  assert.equal(out.steps.setup.config, "created");
  assert.deepEqual(out.steps.model, { provider: "openai-compatible", primary: "fake/echo-1", baseUrl: fake.openaiUrl, keySource: null, key: null });
  assert.deepEqual(out.steps.channels, { channels: ["webchat"] });
  assert.equal(out.steps.gateway.bind, "loopback");
  assert.equal(out.steps.gateway.auth, "token");
  assert.equal(out.steps.service.wanted, false);
  assert.match(out.steps.doctor.command, /^onebrain (doctor|status --deep)$/);
  assert.ok(out.steps.doctor.output.length > 0, "the checks' report is included");
  assert.deepEqual(out.next[0], "start the gateway: onebrain gateway");

  const config = readConfig(stateDir);
  assert.deepEqual(config.models, { providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } }, primary: "fake/echo-1" });
  assert.equal(config.gateway.bind, "loopback");
  assert.equal(config.gateway.auth.mode, "token");
  assert.equal(fs.statSync(path.join(stateDir, "onebrain.json")).mode & 0o777, 0o600);

  const gw = track(await startGateway({ stateDir }));
  const c = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, clientId: "onboard-test", mode: "webchat", token: config.gateway.auth.token });
  await c.request("chat.send", { text: "are you there", idempotencyKey: "k1" });
  const deadline = Date.now() + 10_000;
  let last: Array<{ role: string; content: string }> = [];
  while (Date.now() < deadline && !last.some((m) => m.role === "assistant")) {
    last = (await c.request<{ messages: typeof last }>("chat.history", {})).messages;
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.deepEqual(
    last.map((m) => m.content),
    ["are you there", "echo: are you there"],
  );
  await c.close();
  assert.equal((await gw.stop()).code, 0);
});

test("a key given with --api-key is stored 0600 and only ever shown masked; --api-key-env keeps it out of the file", bounded, async () => {
  const { stateDir, env } = freshBrain();
  const key = "sk-ant-onboard-secret-4242";
  const stored = await runCli(["onboard", "--non-interactive", "--provider", "anthropic", "--api-key", key, "--no-doctor"], env, 30_000);
  assert.equal(stored.code, 0, stored.stderr);
  assert.ok(!(stored.stdout + stored.stderr).includes(key), "the key is never printed");
  assert.match(stored.stdout, /Key: sk-…242 \(stored in .*onebrain\.json, mode 0600\)/);
  assert.match(stored.stdout, /Model: anthropic\/claude-sonnet-4-5\./);
  assert.equal(readConfig(stateDir).models.providers.anthropic.apiKey, key);
  assert.equal(fs.statSync(path.join(stateDir, "onebrain.json")).mode & 0o777, 0o600);

  const viaEnv = await runCli(
    ["onboard", "--non-interactive", "--provider", "openai", "--api-key-env", "MY_OPENAI_KEY", "--model", "gpt-4.1", "--no-doctor", "--json"],
    env,
    30_000,
  );
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  const out = JSON.parse(viaEnv.stdout);
  assert.equal(out.steps.model.keySource, "MY_OPENAI_KEY");
  assert.equal(out.steps.setup.config, "kept", "a second run keeps the config");
  const config = readConfig(stateDir);
  assert.deepEqual(config.models.providers.openai, { apiKeyEnv: "MY_OPENAI_KEY" });
  assert.equal(config.models.primary, "openai/gpt-4.1");
  assert.equal(config.models.providers.anthropic.apiKey, key, "other providers are left alone");
});

test("a lan bind always gets token auth, and keeps the token a previous run generated", bounded, async () => {
  const { stateDir, env } = freshBrain();
  const first = await runCli(
    ["onboard", "--non-interactive", "--provider", "skip", "--bind", "loopback", "--auth", "none", "--no-doctor", "--json"],
    env,
    30_000,
  );
  assert.equal(first.code, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout).steps.gateway.auth, "none");
  const token = readConfig(stateDir).gateway.auth.token;
  assert.equal(readConfig(stateDir).gateway.auth.mode, "none");

  const lan = await runCli(["onboard", "--non-interactive", "--provider", "skip", "--bind", "lan", "--no-doctor", "--json"], env, 30_000);
  assert.equal(lan.code, 0, lan.stderr);
  const g = JSON.parse(lan.stdout).steps.gateway;
  assert.equal(g.bind, "lan");
  assert.equal(g.auth, "token");
  assert.equal(readConfig(stateDir).gateway.auth.token, token);
  assert.equal(readConfig(stateDir).gateway.auth.mode, "token");
});

test("wrong or missing flags are usage errors (exit 2) that say which flag and what it accepts, before anything is changed", bounded, async () => {
  const { stateDir, env } = freshBrain();
  const cases: Array<[string[], RegExp]> = [
    [["--bind", "lan", "--auth", "none"], /Cannot use --auth none with --bind lan: anything but loopback needs auth/],
    [["--provider", "bogus"], /Cannot use "bogus" for --provider: expected one of anthropic, openai, openai-compatible, skip/],
    [["--provider", "openai-compatible", "--base-url", "http://127.0.0.1:1/v1"], /--model is required with --provider openai-compatible/],
    [["--provider", "openai-compatible", "--base-url", "ftp://x", "--model", "m"], /Cannot use "ftp:\/\/x" for --base-url: expected an http\(s\) URL/],
    [["--bind", "everywhere"], /Cannot use "everywhere" for --bind: expected one of loopback, lan, tailnet/],
    [["--api-key", "a", "--api-key-env", "B"], /Give --api-key or --api-key-env, not both/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(["onboard", "--non-interactive", "--no-doctor", ...args], env, 30_000);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(fs.existsSync(stateDir), false, `${args.join(" ")}: nothing was created`);
  }
});

test("without a terminal and without --non-interactive it refuses at once and says what to do", bounded, async () => {
  const { stateDir, env } = freshBrain();
  const r = await runCli(["onboard"], env);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /onboard asks questions, but stdin is not a terminal/);
  assert.match(r.stderr, /next: Run it in a terminal, or pass --non-interactive/);
  assert.equal(fs.existsSync(stateDir), false, "nothing was created");
});
