/** The doctor's `channels` check: a bot token is polled by this brain's gateway or by nobody, never by another process. */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { brainFacts } from "../../src/diagnostics/doctor/context.ts";
import { createContext, runChecks } from "../../src/diagnostics/doctor/index.ts";
import { channelsCheck } from "../../src/diagnostics/doctor/channels.ts";
import { acquireCredentialLease } from "../../src/lock/lease.ts";
import type { LockState } from "../../src/lock/inspect.ts";
import type { OwnerRecord } from "../../src/lock/owner.ts";
import { resolvePaths } from "../../src/paths/paths.ts";
import { tmpDir, writeConfig } from "../helpers/gateway.ts";

const TOKEN = "7123456:AAsecretDoctorTokenThatMustNeverBePrinted";

/** A brain with `telegram` config, its doctor context, and a lock that says whether (and which pid) its gateway runs. */
function brain(o: { telegram?: Record<string, unknown>; env?: Record<string, string>; gatewayPid?: number | null }) {
  const home = tmpDir();
  const stateDir = path.join(home, ".onebrain");
  writeConfig(stateDir, { channels: { telegram: o.telegram ?? { botToken: TOKEN } } });
  const env = { ONEBRAIN_STATE_DIR: stateDir, ONEBRAIN_LEASE_DIR: path.join(home, "leases"), ...o.env };
  const paths = resolvePaths({ env, home });
  const base = createContext({ paths, env, homes: [home], unitDirs: [] });
  const facts = brainFacts(paths, env, base.procFs);
  const pid = o.gatewayPid ?? null;
  const lock: LockState =
    pid === null
      ? { ...facts.lock, status: "free", holderPid: null, owner: null, ownerAlive: false, ownerIsHolder: false }
      : { ...facts.lock, status: "held", holderPid: pid, owner: { pid, port: 18789 } as OwnerRecord, ownerAlive: true, ownerIsHolder: true };
  const ctx = { ...base, brain: () => ({ ...facts, lock }) };
  const run = async () => (await runChecks(ctx, [channelsCheck])).map((r) => ({ id: r.id, status: r.status, finding: r.finding, fix: r.fix }));
  return { env, run, stateDir };
}

const take = (env: Record<string, string>, stateDir: string, user = "ada") => {
  const lease = acquireCredentialLease({
    kind: "telegram",
    secret: TOKEN,
    holder: { user, stateDir, profile: null, port: 18789, startedAt: new Date().toISOString() },
    env,
  });
  assert.ok(lease.ok);
  return lease;
};

test("a token whose lease this brain's gateway holds is ok, and the token is never shown", async () => {
  const b = brain({ gatewayPid: process.pid });
  const lease = take(b.env, b.stateDir);
  try {
    const [r] = await b.run();
    assert.equal(r!.id, "channels.telegram");
    assert.equal(r!.status, "ok");
    assert.match(r!.finding, new RegExp(`telegram bot 7123456 \\(token from the config\\): polled by this brain's gateway \\(pid ${process.pid}\\)`));
    assert.ok(!JSON.stringify(r).includes("secretDoctor"));
  } finally {
    lease.release();
  }
});

test("a token polled by another process fails, naming its pid, user and state dir, with the fix", async () => {
  const b = brain({ gatewayPid: 999_999 });
  const lease = take(b.env, "/root/.onebrain", "root");
  try {
    const [r] = await b.run();
    assert.equal(r!.status, "fail");
    assert.match(r!.finding, new RegExp(`token in use by pid ${process.pid} \\(user root, state dir /root/\\.onebrain\\)`));
    assert.match(r!.fix!, new RegExp(`kill -TERM ${process.pid}`));
    assert.match(r!.fix!, /own bot token/);
    assert.ok(!JSON.stringify(r).includes("secretDoctor"));
  } finally {
    lease.release();
  }
  // The same, while this brain is stopped: its channel could not start either.
  const stopped = brain({ gatewayPid: null });
  const other = take(stopped.env, "/home/bob/.onebrain", "bob");
  try {
    assert.equal((await stopped.run())[0]!.status, "fail");
  } finally {
    other.release();
  }
});

test("a free token warns while this brain's gateway runs with the channel enabled (the channel stopped or failed)", async () => {
  const [r] = await brain({ gatewayPid: 4242 }).run();
  assert.equal(r!.status, "warn");
  assert.match(r!.finding, /nobody polls the token: the channel is not running in this brain's gateway \(pid 4242\)/);
  assert.match(r!.fix!, /onebrain channels status/);
});

test("a free token with the gateway stopped, a disabled channel, and no token at all are ok", async () => {
  assert.deepEqual(
    (await brain({ gatewayPid: null }).run()).map((r) => [r.status, r.finding]),
    [["ok", "telegram bot 7123456 (token from the config): free (this brain's gateway is not running)"]],
  );
  const disabled = await brain({ gatewayPid: 4242, telegram: { botToken: TOKEN, enabled: false } }).run();
  assert.equal(disabled[0]!.status, "ok");
  assert.match(disabled[0]!.finding, /disabled/);
  const none = await brain({ gatewayPid: 4242, telegram: {} }).run();
  assert.deepEqual(
    none.map((r) => [r.id, r.status]),
    [["channels", "ok"]],
  );
  const fromEnv = await brain({ gatewayPid: null, telegram: {}, env: { TELEGRAM_BOT_TOKEN: TOKEN } }).run();
  assert.match(fromEnv[0]!.finding, /token from TELEGRAM_BOT_TOKEN/);
});
