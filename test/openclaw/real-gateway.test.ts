/**
 * onebrain's own commands against the real OpenClaw gateway (2026.9.6, `openclaw gateway run`):
 * `gateway probe --url` and `status --url` speak its protocol when it refuses onebrain's, and
 * doctor names it, and says to stop it, when it answers this brain's Telegram bot.
 * One real gateway serves every test here (it takes 15-75 s to start).
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { brainEnv, freePort, runCli, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { openclawMissing } from "../helpers/openclaw-cli.ts";
import { startRealOpenclaw, type RealOpenclaw } from "../helpers/openclaw-gateway.ts";
import { check, doctorCli, quietPort } from "../doctor/support.ts";

const missing = openclawMissing();
const BOT = "7400031:AARealOpenclawDoctorBotTokenxxxxxxxxxx";
const TOKEN = "real-openclaw-gateway-token-0123456789";
const tg = new FakeTelegram();
let oc: RealOpenclaw;
let url: string;
/** A stopped brain of the test's, whose config names the same bot. */
let stateDir: string;

before(async () => {
  if (missing) return;
  await tg.start();
  tg.addBot(BOT, "real_openclaw_bot");
  oc = await startRealOpenclaw({
    port: await freePort(),
    token: TOKEN,
    config: { channels: { telegram: { enabled: true, botToken: BOT, apiRoot: tg.apiRoot, dmPolicy: "pairing" } } },
  });
  url = `ws://127.0.0.1:${oc.port}`;
  stateDir = path.join(tmpDir("onebrain-real-oc-brain-"), "state");
  writeConfig(stateDir, { gateway: { port: await quietPort() }, channels: { telegram: { botToken: BOT, apiRoot: tg.apiRoot } } });
});
after(async () => {
  await oc?.stop();
  await tg.close();
});

const skip = { skip: missing ?? false, timeout: 60_000 };
type Json = Record<string, any>;
const json = (stdout: string): Json => JSON.parse(stdout) as Json;

test("gateway probe --url: the OpenClaw gateway refuses protocol 1, and is probed in its own protocol", skip, async () => {
  const r = await runCli(["gateway", "probe", "--url", url, "--token", TOKEN, "--json"], brainEnv(stateDir));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const p = json(r.stdout);
  assert.equal(p.ok, true);
  assert.deepEqual(p.gateway, { kind: "openclaw", protocol: 4, version: "2026.9.6" });
  assert.deepEqual(p.openclaw.scopes, [], "a probe gets no scopes from OpenClaw, as its own CLI's probe does; health still answers");
  assert.ok(p.openclaw.uptimeMs > 0);
  const text = await runCli(["gateway", "probe", "--url", url, "--token", TOKEN], brainEnv(stateDir));
  assert.equal(text.code, 0);
  assert.match(text.stdout, new RegExp(`^healthy: ${url} answered in [\\d.]+ ms \\(OpenClaw-family gateway 2026\\.9\\.6, protocol 4\\)`));
});

test("gateway probe --url with a wrong token: OpenClaw's refusal, exit AUTH_FAILED, no token printed", skip, async () => {
  const wrong = "not-the-token-of-this-gateway-xyz";
  const r = await runCli(["gateway", "probe", "--url", url, "--token", wrong, "--json"], brainEnv(stateDir));
  assert.equal(r.code, 5, r.stdout + r.stderr);
  const p = json(r.stdout);
  assert.equal(p.ok, false);
  assert.equal(p.error.code, "AUTH_FAILED");
  assert.match(p.error.message, /gateway token mismatch/);
  assert.ok(!r.stdout.includes(wrong) && !r.stderr.includes(wrong) && !r.stdout.includes(TOKEN));
});

test("status --url: the OpenClaw gateway's version, health, Telegram channel, agents and process", skip, async () => {
  const r = await runCli(["status", "--url", url, "--token", TOKEN, "--json"], brainEnv(stateDir));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const s = json(r.stdout);
  assert.equal(s.gateway.kind, "openclaw");
  assert.deepEqual(s.openclaw.scopes, ["operator.read"], "a loopback cli connection keeps its read scope");
  assert.ok(Number.isInteger(s.openclaw.pid) && s.openclaw.pid > 1, `status names its pid: ${JSON.stringify(s.openclaw)}`);
  assert.ok(s.openclaw.rssBytes > 10 * 1024 * 1024);
  assert.deepEqual(
    s.openclaw.channels.map((c: Json) => [c.channel, c.account]),
    [["telegram", "default"]],
  );
  assert.deepEqual(s.openclaw.agents[0], { id: "main", default: true, sessions: 0 });
  const text = await runCli(["status", "--url", url, "--token", TOKEN], brainEnv(stateDir));
  assert.equal(text.code, 0);
  assert.match(text.stdout, /gateway +OpenClaw-family gateway 2026\.9\.6, protocol 4, up /);
  assert.match(text.stdout, /channels +telegram /);
  assert.match(text.stdout, new RegExp(`process +pid ${s.openclaw.pid}, \\d+ MB RSS`));
});

test("doctor: the running OpenClaw gateway answers this brain's bot; it names it and says to stop it, and how", skip, async () => {
  const status = json((await runCli(["status", "--url", url, "--token", TOKEN, "--json"], brainEnv(stateDir))).stdout);
  const pid = status.openclaw.pid as number;
  const { r, report } = await doctorCli([], brainEnv(stateDir));
  const brains = check(report, "brains");
  assert.equal(brains.status, "fail", brains.finding);
  assert.match(
    brains.finding,
    new RegExp(
      `this brain \\(not running, :\\d+\\) and OpenClaw \\(pid ${pid} \\w+, :${oc.port}\\) answer the same bot: channels\\.telegram\\.botToken \\(sha256 [0-9a-f]{12}\\)`,
    ),
  );
  const seen = (brains.details as { brains: Json[] }).brains.find((b) => b.pid === pid)!;
  assert.deepEqual([seen.kind, seen.stateDir], ["openclaw", oc.stateDir]);
  assert.equal(
    brains.fix,
    `Stop OpenClaw (pid ${pid} ${seen.user}, :${oc.port}): \`kill ${pid}\`; \`onebrain import openclaw --from ${oc.stateDir}\` then brings its sessions, allowlists and jobs over. ` +
      "To keep the bot on OpenClaw instead, take it out of this brain: `onebrain config unset channels.telegram.botToken`.",
  );
  assert.ok(!r.stdout.includes(BOT) && !r.stderr.includes(BOT) && !r.stdout.includes(BOT.split(":")[1]!), "the bot token is never printed");
});
