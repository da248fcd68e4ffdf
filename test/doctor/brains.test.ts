import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { brainEnv, runCli, startGateway, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { check, doctorCli, fakeClaw, quietPort } from "./support.ts";

after(reapAll);

interface Clash {
  a: string;
  b: string;
  kind: string;
  text: string;
}
interface Details {
  brains: Array<{
    kind: string;
    pid: number;
    stateDir: string | null;
    home: string | null;
    basePort: number | null;
    holdsLock: boolean;
    startedAt: string | null;
    user: string | null;
  }>;
  clashes: Clash[];
}

test("reports both gateways of two running state dirs and fails on their shared port plan", bounded, async () => {
  const port = await quietPort();
  const a = track(await startGateway({ port }));
  // One port up: the base ports differ, but the CDP ranges overlap.
  const b = track(await startGateway({ port: port + 1 }));
  try {
    const { r, report } = await doctorCli([], a.env);
    assert.equal(r.code, 31, r.stdout);
    const c = check(report, "brains");
    assert.equal(c.status, "fail");
    const d = c.details as Details;
    const seenA = d.brains.find((x) => x.pid === a.pid)!;
    const seenB = d.brains.find((x) => x.pid === b.pid)!;
    assert.deepEqual([seenA.stateDir, seenA.basePort, seenA.holdsLock, seenA.home], [a.stateDir, port, true, path.dirname(a.stateDir)]);
    assert.deepEqual([seenB.stateDir, seenB.basePort, seenB.holdsLock], [b.stateDir, port + 1, true]);
    assert.ok(seenA.startedAt && seenA.user);
    const clash = d.clashes.find((x) => x.text.includes(`pid ${a.pid}`) && x.text.includes(`pid ${b.pid}`));
    assert.ok(clash, JSON.stringify(d.clashes));
    assert.equal(clash.kind, "ports");
    assert.match(c.finding, new RegExp(`this brain \\(pid ${a.pid}.*pid ${b.pid}.* share ports`));
    assert.match(c.fix!, /gateway\.port/);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("names an OpenClaw gateway on this stopped brain's port: the brains and ports checks fail", bounded, async () => {
  const port = await quietPort();
  const home = tmpDir();
  const claw = await fakeClaw("openclaw", port, home);
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway: { port } });
  try {
    const { report } = await doctorCli([], brainEnv(stateDir));
    const brains = check(report, "brains");
    assert.equal(brains.status, "fail");
    assert.match(brains.finding, new RegExp(`this brain \\(not running, :${port}\\) and OpenClaw \\(pid ${claw.pid}.*:${port}\\) share ports ${port}`));
    const seen = (brains.details as Details).brains.find((b) => b.pid === claw.pid)!;
    assert.deepEqual([seen.kind, seen.home, seen.stateDir], ["openclaw", home, path.join(home, ".openclaw")]);
    const ports = check(report, "ports");
    assert.equal(ports.status, "fail");
    assert.match(ports.finding, new RegExp(`gateway ${port} is held by pid ${claw.pid} \\(openclaw gateway\\).*a start would fail`));
  } finally {
    await claw.stop();
  }
});

test("two brains answering the same bot fail, and the bot token is never printed", bounded, async () => {
  const token = "7654321:AAF-doctor-test-bot-token-never-printed";
  const homes = [tmpDir(), tmpDir()];
  for (const h of homes) {
    fs.mkdirSync(path.join(h, ".openclaw"), { mode: 0o700 });
    fs.writeFileSync(path.join(h, ".openclaw", "openclaw.json"), `// json5\n{ channels: { telegram: { botToken: "${token}" } } }\n`, { mode: 0o600 });
  }
  const p1 = await quietPort();
  const c1 = await fakeClaw("openclaw", p1, homes[0]!);
  const p2 = await quietPort();
  const c2 = await fakeClaw("clawdbot", p2, homes[1]!);
  // Clawdbot keeps its config in ~/.clawdbot/clawdbot.json: give it the same token there.
  fs.mkdirSync(path.join(homes[1]!, ".clawdbot"), { mode: 0o700 });
  fs.writeFileSync(path.join(homes[1]!, ".clawdbot", "clawdbot.json"), JSON.stringify({ channels: { telegram: { botToken: token } } }), { mode: 0o600 });
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway: { port: await quietPort() } });
  try {
    const { r, report } = await doctorCli([], brainEnv(stateDir));
    const brains = check(report, "brains");
    assert.equal(brains.status, "fail");
    assert.match(
      brains.finding,
      new RegExp(`OpenClaw \\(pid ${c1.pid}.* and Clawdbot \\(pid ${c2.pid}.* answer the same bot: channels\\.telegram\\.botToken \\(sha256 [0-9a-f]{12}\\)`),
    );
    assert.match(brains.fix!, /onebrain migrate --from DIR/);
    const text = await runCli(["doctor"], brainEnv(stateDir));
    for (const out of [r.stdout, r.stderr, text.stdout, text.stderr])
      assert.ok(!out.includes(token) && !out.includes("AAF-doctor"), "the token is never printed");
  } finally {
    await Promise.all([c1.stop(), c2.stop()]);
  }
});

test("an OpenClaw gateway reading this brain's bot from its .env: doctor says to stop it, or to unset this brain's variable", bounded, async () => {
  const token = "7654322:AAF-doctor-env-bot-token-never-printed";
  const home = tmpDir();
  fs.mkdirSync(path.join(home, ".openclaw"), { mode: 0o700 });
  fs.writeFileSync(path.join(home, ".openclaw", "openclaw.json"), `{ channels: { telegram: { botToken: "\${TG_MAIN}" } } }`, { mode: 0o600 });
  fs.writeFileSync(path.join(home, ".openclaw", ".env"), `TG_MAIN=${token}\n`, { mode: 0o600 });
  const claw = await fakeClaw("openclaw", await quietPort(), home);
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway: { port: await quietPort() } });
  try {
    const { r, report } = await doctorCli([], brainEnv(stateDir, { TELEGRAM_BOT_TOKEN: token }));
    const brains = check(report, "brains");
    assert.equal(brains.status, "fail");
    assert.match(
      brains.finding,
      new RegExp(
        `this brain \\(not running, :\\d+\\) and OpenClaw \\(pid ${claw.pid}.*\\) answer the same bot: TELEGRAM_BOT_TOKEN of the first, channels\\.telegram\\.botToken of the second \\(sha256 [0-9a-f]{12}\\)`,
      ),
    );
    assert.match(
      brains.fix!,
      new RegExp(`^Stop OpenClaw \\(pid ${claw.pid}.*\\): \`kill ${claw.pid}\`; \`onebrain import openclaw --from ${home}/\\.openclaw\` then brings`),
    );
    assert.match(brains.fix!, /take it out of this brain: unset TELEGRAM_BOT_TOKEN in its environment\.$/);
    for (const out of [r.stdout, r.stderr]) assert.ok(!out.includes(token) && !out.includes("AAF-doctor-env"), "the token is never printed");
  } finally {
    await claw.stop();
  }
});
