/**
 * `onebrain import openclaw` refuses while the source's gateway runs, found by its lock files
 * (a live pid with the recorded start time) or by something listening on its port, and names
 * them; a stale lock (a dead pid, or a recycled one whose start time differs) is no refusal. The
 * "gateway" is a sleeping node child that listens on the configured port; the locks are written
 * as OpenClaw 2026.x (in the state dir) and Clawdbot (in $TMPDIR, shared) write them.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort, tmpDir } from "../helpers/gateway.ts";
import { bounded } from "../gateway/support.ts";
import { hashTree, importEnv, importJson, itemsOf } from "./support.ts";

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
});

/** A process that listens on `port` until killed, like a gateway would. */
async function listener(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["-e", `require("net").createServer().listen(${port}, "127.0.0.1", () => console.log("ready")); setInterval(() => {}, 1e9);`],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  return child;
}

/** Field 22 of /proc/PID/stat: the start time OpenClaw records in its lock. */
const startTicks = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(")").at(-1)!.trim().split(" ")[19]);

/** A minimal OpenClaw 2026.x state dir whose gateway port is `port`. */
function openclawDir(port: number): { home: string; state: string; brain: string; lockDir: string } {
  const root = tmpDir("onebrain-import-run-");
  const home = path.join(root, "home");
  const state = path.join(home, ".openclaw");
  fs.mkdirSync(state, { recursive: true });
  fs.writeFileSync(path.join(state, "openclaw.json"), `{ gateway: { port: ${port}, auth: { mode: "token", token: "t0ken-of-the-test" } } }\n`);
  const lockDir = path.join(state, "tmp", `openclaw-${process.getuid!()}`);
  fs.mkdirSync(lockDir, { recursive: true });
  return { home, state, brain: path.join(root, "brain"), lockDir };
}

/** A lock as OpenClaw writes it: JSON, then its ownership token of tabs and spaces. */
function writeLock(file: string, payload: Record<string, unknown>): void {
  fs.writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n\t \t\t  \t\n`);
}

test("refuses while the source's gateway runs (its lock names a live pid, its port is held) and names pid and port; nothing is written", bounded, async () => {
  const port = await freePort();
  const d = openclawDir(port);
  const gw = await listener(port);
  writeLock(path.join(d.lockDir, "gateway.state.lock"), {
    pid: gw.pid,
    ownerId: "6c0f7f5e-0000-4000-8000-000000000001",
    createdAt: new Date().toISOString(),
    configPath: path.join(d.state, "openclaw.json"),
    stateDir: d.state,
    port,
    startTime: startTicks(gw.pid!),
  });
  const before = hashTree(d.home);
  const r = await importJson([], importEnv(d.brain, d.home));
  assert.equal(r.code, 111, r.stdout + r.stderr);
  assert.equal(r.report.error.code, "IMPORT_SOURCE_RUNNING");
  assert.match(
    r.report.error.message,
    new RegExp(`its gateway is running \\(pid ${gw.pid}, port ${port}\\): its lock .*gateway\\.state\\.lock names a live process`),
  );
  assert.match(r.report.error.hint, new RegExp(`openclaw gateway stop.*kill -TERM ${gw.pid}`));
  assert.equal(fs.existsSync(d.brain), false, "this brain is not touched");
  assert.deepEqual(hashTree(d.home), before, "nor is the source");

  // Without its lock, the port alone is enough (an OpenClaw whose lock dir is elsewhere).
  fs.rmSync(path.join(d.lockDir, "gateway.state.lock"));
  const byPort = await importJson(["--dry-run"], importEnv(d.brain, d.home));
  assert.equal(byPort.code, 111);
  assert.match(byPort.report.error.message, new RegExp(`\\(pid ${gw.pid}, port ${port}\\): something listens on its port ${port}`));
});

test("a stale lock is no refusal: a dead pid, or a live pid whose start time is not the recorded one", bounded, async () => {
  const port = await freePort();
  const d = openclawDir(port);
  const dead = spawn(process.execPath, ["-e", "0"]);
  await new Promise((r) => dead.once("exit", r));
  writeLock(path.join(d.lockDir, "gateway.state.lock"), { pid: dead.pid, createdAt: "2026-01-20T08:00:00.000Z", stateDir: d.state, port, startTime: 123 });
  // A pid that is alive now but another process than the one that wrote the lock (pid recycling).
  writeLock(path.join(d.lockDir, "gateway.0a1b2c3d.lock"), {
    pid: process.pid,
    createdAt: "2026-01-20T08:00:00.000Z",
    stateDir: d.state,
    port,
    startTime: startTicks(process.pid) + 1,
  });
  const r = await importJson([], importEnv(d.brain, d.home));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(r.report.source.notes, [
    `stale lock ${path.join(d.lockDir, "gateway.0a1b2c3d.lock")} (pid ${process.pid} is another process now): ignored`,
    `stale lock ${path.join(d.lockDir, "gateway.state.lock")} (pid ${dead.pid} is not running): ignored`,
  ]);
  assert.ok(itemsOf(r.report, "gateway", "took").includes(`port ${port}`));
});

test("a Clawdbot lock in the shared temp dir counts only when it names this state dir's config", bounded, async () => {
  const port = await freePort();
  const d = openclawDir(port);
  const tmp = tmpDir("onebrain-import-tmp-");
  const shared = path.join(tmp, `clawdbot-${process.getuid!()}`);
  fs.mkdirSync(shared);
  const gw = await listener(await freePort());
  const lock = { pid: gw.pid, createdAt: new Date().toISOString(), startTime: startTicks(gw.pid!) };
  writeLock(path.join(shared, "gateway.11111111.lock"), { ...lock, configPath: "/elsewhere/.clawdbot/clawdbot.json" });
  const other = await importJson(["--dry-run"], importEnv(d.brain, d.home, { TMPDIR: tmp }));
  assert.equal(other.code, 0, "another state dir's gateway is not this one's");
  writeLock(path.join(shared, "gateway.22222222.lock"), { ...lock, configPath: path.join(d.state, "openclaw.json") });
  const mine = await importJson(["--dry-run"], importEnv(d.brain, d.home, { TMPDIR: tmp }));
  assert.equal(mine.code, 111);
  assert.match(mine.report.error.message, new RegExp(`pid ${gw.pid}.*gateway\\.22222222\\.lock names a live process`));
});
