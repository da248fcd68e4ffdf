import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { clockCheck, diskCheck, filesystemCheck } from "../../src/diagnostics/doctor/environment.ts";
import { exposureCheck } from "../../src/diagnostics/doctor/exposure.ts";
import { runDoctor, type DoctorReport } from "../../src/diagnostics/doctor/index.ts";
import { resolvePaths } from "../../src/paths/paths.ts";
import { tmpDir, writeConfig } from "../helpers/gateway.ts";
import { check } from "./support.ts";

const strong = crypto.randomBytes(32).toString("base64url");

/** Runs the exposure check on a brain with this config (and env). */
async function exposure(gateway: unknown, env: Record<string, string> = {}): Promise<DoctorReport> {
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway });
  return runDoctor({ paths: resolvePaths({ env: { ONEBRAIN_STATE_DIR: stateDir }, home: path.dirname(stateDir) }), env, homes: [], checks: [exposureCheck] });
}

test("a lan bind without auth fails", async () => {
  const r = await exposure({ bind: "lan" });
  const c = check(r, "exposure");
  assert.equal(c.status, "fail");
  assert.match(c.finding, /gateway\.bind is lan 0\.0\.0\.0 without auth/);
  assert.match(c.fix!, /onebrain setup --force/);
});

test("a weak token warns on loopback and fails off loopback, without showing it", async () => {
  const weak = "letmeinletmeinletmein";
  const loop = await exposure({ auth: { token: weak } });
  assert.equal(check(loop, "exposure.secret").status, "warn");
  assert.match(check(loop, "exposure.secret").finding, /^the token \(from config\) has about \d+ bits of entropy, less than 24 random bytes$/);
  const lan = await exposure({ bind: "lan", auth: { token: weak }, allowedOrigins: ["https://brain.example.com"] });
  assert.equal(check(lan, "exposure.secret").status, "fail");
  assert.match(check(lan, "exposure.secret").finding, /and the gateway listens on lan 0\.0\.0\.0/);
  const env = await exposure({}, { ONEBRAIN_GATEWAY_TOKEN: "short-env-token" });
  assert.match(check(env, "exposure.secret").finding, /the token \(from env\)/);
  for (const r of [loop, lan, env]) assert.ok(!JSON.stringify(r).includes(weak) && !JSON.stringify(r).includes("short-env-token"));
});

test("a lan bind with auth but no allowedOrigins warns about the console; with origins it is ok", async () => {
  const bare = await exposure({ bind: "lan", auth: { token: strong } });
  assert.deepEqual(
    bare.checks.map((c) => [c.id, c.status]),
    [["exposure.origins", "warn"]],
  );
  assert.match(check(bare, "exposure.origins").finding, /a browser on another machine gets 403/);
  const ok = await exposure({ bind: "lan", auth: { token: strong }, allowedOrigins: ["https://brain.example.com"] });
  assert.deepEqual(
    ok.checks.map((c) => [c.id, c.status]),
    [["exposure", "ok"]],
  );
  assert.match(check(ok, "exposure").finding, /^bind lan 0\.0\.0\.0, token auth \(~\d+ bits\), origins https:\/\/brain\.example\.com$/);
  const loop = await exposure({});
  assert.equal(check(loop, "exposure").finding, "bind loopback 127.0.0.1, no auth (loopback only: fine)");
});

test("a state dir on NFS warns that the lock is not reliable there", async () => {
  const stateDir = path.join(tmpDir(), "state");
  fs.mkdirSync(stateDir);
  const real = fs.realpathSync(stateDir);
  const mountinfo = path.join(tmpDir(), "mountinfo");
  const paths = resolvePaths({ env: { ONEBRAIN_STATE_DIR: stateDir }, home: "/nowhere" });
  fs.writeFileSync(mountinfo, `27 1 254:0 / / rw - ext4 /dev/vda rw\n60 27 0:50 / ${path.dirname(real)} rw - nfs4 files:/export rw\n`);
  const nfs = check(await runDoctor({ paths, homes: [], mountInfoFile: mountinfo, checks: [filesystemCheck] }), "filesystem");
  assert.equal(nfs.status, "warn");
  assert.match(nfs.finding, new RegExp(`${stateDir} is on nfs4 \\(files:/export at ${path.dirname(real)}\\): locks on a network filesystem are not reliable`));
  fs.writeFileSync(mountinfo, "27 1 254:0 / / rw - ext4 /dev/vda rw\n");
  assert.equal(check(await runDoctor({ paths, homes: [], mountInfoFile: mountinfo, checks: [filesystemCheck] }), "filesystem").status, "ok");
});

test("a clock before this build fails, and state files dated in the future warn", async () => {
  const stateDir = path.join(tmpDir(), "state");
  fs.mkdirSync(stateDir);
  const paths = resolvePaths({ env: { ONEBRAIN_STATE_DIR: stateDir }, home: "/nowhere" });
  const past = check(await runDoctor({ paths, homes: [], now: Date.parse("2001-01-01T00:00:00Z"), checks: [clockCheck] }), "clock");
  assert.equal(past.status, "fail");
  assert.match(past.finding, /^the clock says 2001-01-01T00:00:00\.000Z, before this onebrain was built/);
  const db = path.join(stateDir, "brain.db");
  fs.writeFileSync(db, "");
  const later = new Date(Date.now() + 3 * 3600_000);
  fs.utimesSync(db, later, later);
  const future = check(await runDoctor({ paths, homes: [], checks: [clockCheck] }), "clock");
  assert.equal(future.status, "warn");
  assert.match(future.finding, /brain\.db is dated 3h in the future: the clock went back/);
  assert.equal(check(await runDoctor({ paths, homes: [], checks: [diskCheck] }), "disk").status, "ok");
});
