/**
 * `onebrain import openclaw` from the hand-made Clawdbot 2026.1.x state dir
 * (test/fixtures/import/clawdbot-2026.1, written after clawdbot@2026.1.24's own code), copied to a
 * temp dir: the dry run writes nothing and counts what the real run does; a real gateway started
 * on the imported brain answers on the imported port with the imported token, serves the
 * transcripts, lists the cron jobs and keeps the Telegram allowlist (config allowFrom and the
 * pairing store); the source is byte-identical afterwards.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { freePort, httpGet, runCli, spawnCli, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { until } from "../helpers/wait.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { copyClawdbot, hashTree, importEnv, importJson, itemsOf } from "./support.ts";

const BOT_TOKEN = "123456:ABCdefFAKEtokenForImportTests_0123456789";
const GATEWAY_TOKEN = "gw-token-fake-0123456789abcdef";

const model = new FakeModelServer();
const tg = new FakeTelegram({ token: BOT_TOKEN, username: "clawd_fixture_bot" });
before(async () => {
  await model.start();
  await tg.start();
});
after(async () => {
  reapAll();
  await model.close();
  await tg.close();
});

test(
  "a Clawdbot 2026.1 state dir comes over whole: the gateway answers on its port and token, with its transcripts, cron jobs and Telegram allowlist",
  bounded,
  async () => {
    const fx = copyClawdbot();
    // The fixture's gateway port is OpenClaw's default; a test takes a free one (in the copy, before hashing).
    const port = await freePort();
    const configFile = path.join(fx.state, "clawdbot.json");
    fs.writeFileSync(configFile, fs.readFileSync(configFile, "utf8").replace("port: 18789", `port: ${port}`));
    const before = hashTree(fx.root + "/src");
    // This brain exists already, with a setting of its own that the import must keep.
    writeConfig(fx.brain, { logging: { level: "warn" } });
    const brainBefore = hashTree(fx.brain);
    const env = importEnv(fx.brain, fx.home, { TMPDIR: fx.tmp });

    const dry = await importJson(["--dry-run"], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(hashTree(fx.brain), brainBefore, "a dry run writes nothing into this brain, not even a backup");
    assert.equal(dry.report.dryRun, true);
    assert.equal(dry.report.source.dir, fs.realpathSync(fx.state));
    assert.equal(dry.report.source.product, "Clawdbot");
    assert.equal(dry.report.source.why, "~/.clawdbot exists");

    const real = await importJson([], env);
    assert.equal(real.code, 0, real.stderr);
    assert.deepEqual(real.report.counts, dry.report.counts, "the dry run counted exactly what the real run did");
    assert.deepEqual(hashTree(fx.root + "/src"), before, "the source is byte-identical");
    const c = real.report.counts;
    assert.deepEqual([c.sessions, c.messages, c.toolLines, c.cronJobs, c.pairings, c.agents], [7, 18, 1, 2, 1, 2]);
    assert.ok(
      itemsOf(real.report, "cron", "left").some((l) => /one-shot-reminder.*already past/.test(l)),
      "a one-time job in the past is left, with why",
    );
    assert.ok(itemsOf(real.report, "bindings", "left").some((l) => /telegram:alerts -> work.*not the one onebrain runs/.test(l)));
    assert.ok(
      real.report.next.some((n: string) => n.startsWith("set FAKEAI_API_KEY")),
      "a key that came from ${VAR} stays out of the file, and the user is told",
    );

    const written = JSON.parse(fs.readFileSync(path.join(fx.brain, "onebrain.json"), "utf8"));
    assert.equal(written.logging.level, "warn", "this brain's own setting is kept");
    assert.deepEqual(written.models.providers.fakeai, { kind: "openai", baseUrl: "http://127.0.0.1:19410/v1", apiKeyEnv: "FAKEAI_API_KEY" });
    assert.deepEqual(
      written.agents.list.map((a: { id: string }) => a.id),
      ["main", "work"],
    );
    assert.equal(written.agents.defaults.workspace, path.join(fx.home, "clawd"), "the workspace is referenced where it is");
    assert.deepEqual(
      written.bindings[0],
      { agentId: "work", match: { channel: "telegram", peer: { kind: "direct", id: "555000111" } } },
      "peer kind dm became direct",
    );

    // Point the imported brain's outside world at the fakes (the fixture names 127.0.0.1:19410 and api.telegram.org).
    written.models.providers.fakeai.baseUrl = model.openaiUrl;
    written.models.providers.anthropic.baseUrl = model.anthropicUrl;
    written.channels.telegram.apiRoot = tg.apiRoot;
    written.channels.telegram.pollTimeoutSeconds = 1;
    fs.writeFileSync(path.join(fx.brain, "onebrain.json"), JSON.stringify(written, null, 2));

    const gwEnv = importEnv(fx.brain, path.dirname(fx.brain), { FAKEAI_API_KEY: "sk-fake", ONEBRAIN_LEASE_DIR: tmpDir("onebrain-lease-") });
    const gw = track(spawnCli(["gateway"], gwEnv));
    await gw.waitFor("gateway listening", 20_000);
    assert.equal((await httpGet(port, "/healthz")).status, 200, "the gateway listens on the imported port");
    const conn = await connectGateway({ url: `ws://127.0.0.1:${port}`, token: GATEWAY_TOKEN, clientId: "import-test", mode: "webchat" });
    await assert.rejects(connectGateway({ url: `ws://127.0.0.1:${port}`, token: "not-the-token", clientId: "import-test", mode: "webchat" }), {
      code: "AUTH_FAILED",
    });

    const history = async (key: string) =>
      (await conn.request<{ messages: Array<{ role: string; content: string }> }>("chat.history", { sessionKey: key, limit: 100 })).messages;
    const main = await history("agent:main:main");
    assert.deepEqual(
      main.map((m) => m.role),
      ["user", "assistant", "user", "assistant", "tool", "assistant"],
    );
    assert.equal(main[0]!.content, "Hello Clawd, this is the onebrain import fixture.");
    assert.match(main[4]!.content, /^# AGENTS.md/, "the tool result is a tool line");
    assert.equal((await history("agent:work:project-x"))[0]!.content, "What is the status of project X?");
    const dm = "agent:main:telegram:123456:dm:987654321";
    const dmBefore = await history(dm);
    assert.equal(dmBefore[0]!.content, "hi from telegram, please answer", "Clawdbot's envelope around channel text is taken off");
    const listed = (await conn.request<{ sessions: Array<{ key: string }> }>("sessions.list", {})).sessions.map((s) => s.key);
    for (const key of ["agent:main:main", dm, "agent:work:project-x", "agent:main:cron:9b2f6a51-1c1e-4d7e-9a54-2f0c1c7d6e01"])
      assert.ok(listed.includes(key), `${key} is listed`);

    const cron = await runCli(["cron", "list", "--json"], gwEnv);
    assert.equal(cron.code, 0, cron.stderr);
    const jobs = JSON.parse(cron.stdout).jobs as Array<{ name: string; paused: boolean; scheduleText: string; delivery: { mode: string; target?: string } }>;
    assert.deepEqual(
      jobs.map((j) => [j.name, j.paused, j.scheduleText]),
      [
        ["hourly-check", true, "every 1h"],
        ["morning-brief", false, "cron 0 7 * * * (Europe/Berlin)"],
      ],
    );
    assert.deepEqual(jobs[1]!.delivery, { mode: "announce", channel: "telegram", account: "123456", target: "987654321" });

    // The allowlist: allowFrom (the owner), the pairing store (an approved sender), and a stranger.
    const status = async () => (await httpGet(port, "/api/status", { authorization: `Bearer ${GATEWAY_TOKEN}` })).body;
    await until("telegram connected", async () => (await status()).channels?.find((x: any) => x.id === "telegram")?.state === "connected", 10_000).catch(
      (err) => status().then((s) => assert.fail(`${(err as Error).message}: ${JSON.stringify(s.channels)}`)),
    );
    tg.userSays(987654321, "back on onebrain?", { from: { id: 987654321, first_name: "Ann", username: "ann_fake" } });
    tg.userSays(111222333, "and me?", { from: { id: 111222333, first_name: "Paired" } });
    tg.userSays(444555666, "let me in", { from: { id: 444555666, first_name: "Stranger" } });
    await until("three replies", () => tg.sentTo(987654321).length + tg.sentTo(111222333).length + tg.sentTo(444555666).length >= 3, 15_000);
    assert.equal(tg.sentTo(987654321)[0]!.plain, "echo: back on onebrain?", "the owner in allowFrom is answered");
    assert.equal(tg.sentTo(111222333)[0]!.plain, "echo: and me?", "the sender approved in Clawdbot's pairing store is answered");
    assert.match(tg.sentTo(444555666)[0]!.plain, /onebrain pairing approve telegram [A-Z2-9]{8}/, "a stranger gets a pairing code");
    assert.equal(model.requests.length, 2, "the stranger's message never reached the model");
    assert.ok((await history(dm)).length > dmBefore.length, "the owner's chat continues under the imported key");

    // While this brain's gateway runs (on the port OpenClaw had: onebrain, not OpenClaw), an import is refused.
    const busy = await importJson([], env);
    assert.equal(busy.code, 10, busy.stdout + busy.stderr);
    assert.match(busy.report.error.message, new RegExp(`^Refusing to import: this brain \\(state dir ${fx.brain}\\) is held by pid ${gw.pid}`));

    await conn.close();
    gw.kill("SIGTERM");
    assert.equal((await gw.exited).code, 0);
  },
);

test("a second import skips what is already here and changes nothing", bounded, async () => {
  const fx = copyClawdbot();
  const env = importEnv(fx.brain, fx.home, { TMPDIR: fx.tmp });
  assert.equal((await importJson([], env)).code, 0);
  const config = fs.readFileSync(path.join(fx.brain, "onebrain.json"), "utf8");
  const again = await importJson([], env);
  assert.equal(again.code, 0, again.stderr);
  const c = again.report.counts;
  assert.deepEqual([c.sessions, c.sessionsSkipped, c.messages, c.cronJobs, c.pairings, c.configKeys], [0, 7, 0, 0, 0, 0]);
  assert.ok(itemsOf(again.report, "sessions", "left").some((l) => /agent:main:main: this brain already has a session under that key/.test(l)));
  assert.ok(itemsOf(again.report, "cron", "left").some((l) => /has a job named morning-brief already/.test(l)));
  assert.equal(fs.readFileSync(path.join(fx.brain, "onebrain.json"), "utf8"), config);
  assert.match(again.report.backup, /backups\/brain-\d{8}-\d{6}\.db$/, "a backup of brain.db is made before anything is written");
});

test("settings this brain already has are kept unless --force, and each one is reported as left", bounded, async () => {
  const fx = copyClawdbot();
  writeConfig(fx.brain, { gateway: { port: 19999, auth: { token: "my-own-token-0123456789" } } });
  const env = importEnv(fx.brain, fx.home, { TMPDIR: fx.tmp });
  const kept = await importJson(["--dry-run"], env);
  assert.equal(kept.code, 0, kept.stderr);
  const left = itemsOf(kept.report, "gateway", "left");
  assert.ok(
    left.some((l) => l.startsWith("gateway.port: this brain has its own value (--force replaces it)")),
    left.join("\n"),
  );
  assert.ok(left.some((l) => l.startsWith("gateway.auth: this brain has its own")));
  const forced = await importJson(["--force"], env);
  assert.equal(forced.code, 0, forced.stderr);
  const written = JSON.parse(fs.readFileSync(path.join(fx.brain, "onebrain.json"), "utf8"));
  assert.deepEqual([written.gateway.port, written.gateway.auth.token], [18789, GATEWAY_TOKEN]);
  assert.ok(
    fs.readdirSync(fx.brain).some((f) => f.startsWith("onebrain.json.before-import-")),
    "the old config is kept beside it",
  );
});
