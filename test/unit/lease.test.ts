/** Credential leases: one holder per credential on the host, named by pid, user and state dir; freed by the kernel. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { acquireCredentialLease, inspectCredentialLease, leaseKey } from "../../src/lock/lease.ts";
import { repoRoot, tmpDir } from "../helpers/gateway.ts";

const holder = (stateDir: string) => ({ user: "ada", stateDir, profile: null, port: 18789, startedAt: new Date(0).toISOString() });

test("a second take of the same credential is refused and names the holder; release frees it", () => {
  const env = { ONEBRAIN_LEASE_DIR: path.join(tmpDir(), "leases") };
  const first = acquireCredentialLease({ kind: "telegram", secret: "123:abc", holder: holder("/home/ada/.onebrain"), env });
  assert.equal(first.ok, true);
  const second = acquireCredentialLease({ kind: "telegram", secret: "123:abc", holder: holder("/root/.onebrain"), env });
  assert.equal(second.ok, false);
  if (!second.ok) {
    assert.equal(second.holder?.pid, process.pid);
    assert.equal(second.holder?.stateDir, "/home/ada/.onebrain");
    assert.match(second.reason, new RegExp(`in use by pid ${process.pid} \\(user ada, state dir /home/ada/\\.onebrain\\)`));
  }
  const other = acquireCredentialLease({ kind: "telegram", secret: "456:other", holder: holder("/x"), env });
  assert.equal(other.ok, true, "another token is another lease");
  if (other.ok) other.release();
  if (first.ok) first.release();
  assert.equal(inspectCredentialLease("telegram", "123:abc", env).held, false);
  const again = acquireCredentialLease({ kind: "telegram", secret: "123:abc", holder: holder("/root/.onebrain"), env });
  assert.equal(again.ok, true);
  if (again.ok) again.release();
});

test("the lease dir is sticky and world-writable, the lease file 0666, and no file name or content carries the token", () => {
  const dir = path.join(tmpDir(), "leases");
  const env = { ONEBRAIN_LEASE_DIR: dir };
  const lease = acquireCredentialLease({ kind: "telegram", secret: "999:SECRET-TOKEN", holder: holder("/s"), env });
  try {
    assert.equal(fs.statSync(dir).mode & 0o7777, 0o1777);
    assert.equal(fs.statSync(path.join(dir, `${leaseKey("telegram", "999:SECRET-TOKEN")}.lock`)).mode & 0o777, 0o666);
    for (const f of fs.readdirSync(dir)) {
      assert.ok(!f.includes("SECRET"), f);
      assert.ok(!fs.readFileSync(path.join(dir, f)).toString("latin1").includes("SECRET-TOKEN"), f);
    }
  } finally {
    if (lease.ok) lease.release();
  }
});

test("a lease held by another process is seen as held by it, and is free the moment that process is killed", async () => {
  const env = { ...process.env, ONEBRAIN_LEASE_DIR: path.join(tmpDir(), "leases") };
  const script = `import { acquireCredentialLease } from ${JSON.stringify(path.join(repoRoot, "src/lock/lease.ts"))};
const r = acquireCredentialLease({ kind: "telegram", secret: "777:t", holder: { user: "svc", stateDir: "/srv/brain", profile: null, port: 1, startedAt: null } });
globalThis.lease = r; // a lease nobody references is collected, and its file closed
console.log(r.ok ? "held" : "refused"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env, stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => (d.toString().includes("held") ? resolve() : reject(new Error(d.toString()))));
      child.once("exit", (code) => reject(new Error(`child exited ${code}`)));
    });
    const seen = inspectCredentialLease("telegram", "777:t", env);
    assert.deepEqual([seen.held, seen.holder?.pid, seen.holder?.stateDir], [true, child.pid, "/srv/brain"]);
    const mine = acquireCredentialLease({ kind: "telegram", secret: "777:t", holder: holder("/mine"), env });
    assert.equal(mine.ok, false);
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  }
  const after = acquireCredentialLease({ kind: "telegram", secret: "777:t", holder: holder("/mine"), env });
  assert.equal(after.ok, true, "no stale lease after kill -9");
  if (after.ok) after.release();
});

test("a holder hands its position over with the lease: the next holder reads it, even after the first was killed, and the file is 0644 and tokenless", async () => {
  const dir = path.join(tmpDir(), "leases");
  const env = { ...process.env, ONEBRAIN_LEASE_DIR: dir };
  const first = acquireCredentialLease({ kind: "telegram", secret: "888:HANDOVER-TOKEN", holder: holder("/a"), env });
  assert.ok(first.ok);
  assert.equal(first.handedOver, null, "nobody handed anything over yet");
  first.handOver("500000004/17");
  first.release();
  const script = `import { acquireCredentialLease } from ${JSON.stringify(path.join(repoRoot, "src/lock/lease.ts"))};
const r = acquireCredentialLease({ kind: "telegram", secret: "888:HANDOVER-TOKEN", holder: { user: "svc", stateDir: "/b", profile: null, port: 1, startedAt: null } });
globalThis.lease = r;
const took = r.ok ? r.handedOver : null;
if (r.ok) r.handOver("500000009/23");
console.log(r.ok ? "took " + took : "refused"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const said = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => resolve(d.toString().trim()));
      child.once("exit", (code) => reject(new Error(`child exited ${code}`)));
    });
    assert.equal(said, "took 500000004/17");
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  }
  const third = acquireCredentialLease({ kind: "telegram", secret: "888:HANDOVER-TOKEN", holder: holder("/c"), env });
  assert.ok(third.ok);
  assert.equal(third.handedOver, "500000009/23", "what a holder killed with -9 handed over is there");
  third.release();
  const file = path.join(dir, `${leaseKey("telegram", "888:HANDOVER-TOKEN")}.handover`);
  assert.equal(fs.statSync(file).mode & 0o777, 0o644);
  assert.ok(!fs.readFileSync(file, "utf8").includes("HANDOVER-TOKEN"));
});

test(
  "a hand-over file planted by another user, or a symlink in its place, is not believed and nothing is written through it",
  { skip: process.getuid?.() !== 0 && "needs root to give a file to another user" },
  () => {
    const dir = path.join(tmpDir(), "leases");
    const env = { ...process.env, ONEBRAIN_LEASE_DIR: dir };
    const secret = "889:PLANTED-TOKEN";
    const first = acquireCredentialLease({ kind: "telegram", secret, holder: holder("/a"), env });
    assert.ok(first.ok);
    first.release();
    const file = path.join(dir, `${leaseKey("telegram", secret)}.handover`);
    // Another user writes an offset far ahead: a new holder believing it would skip every message.
    fs.writeFileSync(file, JSON.stringify({ position: "999999999/1" }).padEnd(512, " "));
    fs.chownSync(file, 65534, 65534);
    const second = acquireCredentialLease({ kind: "telegram", secret, holder: holder("/b"), env });
    assert.ok(second.ok);
    assert.equal(second.handedOver, null, "another user's offset is not taken");
    second.release();
    // A symlink to a file of ours: the lease neither reads nor writes through it.
    fs.rmSync(file);
    const victim = path.join(tmpDir(), "victim.json");
    fs.writeFileSync(victim, JSON.stringify({ position: "5/5" }), { mode: 0o600 });
    fs.symlinkSync(victim, file);
    const third = acquireCredentialLease({ kind: "telegram", secret, holder: holder("/c"), env });
    assert.ok(third.ok);
    assert.equal(third.handedOver, null);
    third.handOver("42/7");
    third.release();
    assert.equal(fs.readFileSync(victim, "utf8"), JSON.stringify({ position: "5/5" }));
    assert.equal(fs.statSync(victim).mode & 0o777, 0o600);
  },
);
