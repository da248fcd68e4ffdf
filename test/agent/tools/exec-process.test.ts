/**
 * The process side of exec: a command runs in a group of its own that is killed whole on timeout,
 * on abort, when it leaves something behind and when its gateway dies; output is capped; the
 * environment carries no secret of the gateway; a dead gateway's groups are reaped at the next start.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { execTool } from "../../../src/agent/tools/exec/index.ts";
import { groupMembers, readStartTicks, reapProcessGroups } from "../../../src/proc/groups.ts";
import { execHarness } from "./exec-context.ts";

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

const full = { security: "full" as const, ask: "off" as const };

/** Waits (up to a generous deadline, never asserted as a timing) until the group has no live member. */
async function groupGone(pgid: number, deadlineMs = 10_000): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (groupMembers(pgid).length === 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test("a timeout kills the whole group, grandchildren included, and is a tool error", async () => {
  const h = execHarness({ exec: full });
  const r = await execTool().run({ command: "sh -c 'sleep 100 & sleep 100'", timeoutSeconds: 1 }, h.ctx);
  assert.equal(r.isError, true);
  assert.match(r.content, /^EXEC_TIMEOUT: timed out after 1 s; the command's process group was killed\./);
  const rec = h.records[0];
  assert.ok(rec && rec.pid === rec.pgid && rec.startTime !== null);
  assert.ok(await groupGone(rec.pgid), `group ${rec.pgid} still has ${groupMembers(rec.pgid).join(", ")}`);
});

test("an aborted run kills the group and says the run was cancelled", async () => {
  const ac = new AbortController();
  const h = execHarness({ exec: full, signal: ac.signal, onRecord: () => setTimeout(() => ac.abort(), 100) });
  const r = await execTool().run({ command: "sleep 100 & sleep 100" }, h.ctx);
  assert.equal(r.isError, true);
  assert.match(r.content, /^EXEC_ABORTED: /);
  assert.ok(await groupGone(h.records[0]?.pgid ?? 0));
});

test("what a finished command left behind in its group is killed with it", async () => {
  const h = execHarness({ exec: full });
  const r = await execTool().run({ command: "sleep 100 & echo started" }, h.ctx);
  assert.equal(r.isError, false);
  assert.match(r.content, /^exit code 0 after .*\nstarted\n$/);
  assert.ok(await groupGone(h.records[0]?.pgid ?? 0));
});

test("output over the cap keeps its start and end and counts what was dropped", async () => {
  const h = execHarness({ exec: { ...full, maxOutputBytes: 1024 } });
  const r = await execTool().run({ command: "printf 'START'; head -c 5000 /dev/zero | tr '\\0' a; printf 'END'" }, h.ctx);
  assert.equal(r.isError, false);
  assert.match(r.content, /\nSTARTa+\n\[\.\.\. 3984 bytes dropped \.\.\.\]\na+END$/);
});

test("stdout and stderr arrive interleaved in order; a non-zero exit is a result, not a tool error", async () => {
  const h = execHarness({ exec: full });
  const r = await execTool().run({ command: "echo one; echo two >&2; echo three; exit 3" }, h.ctx);
  assert.equal(r.isError, false);
  assert.match(r.content, /^exit code 3 after .*\none\ntwo\nthree\n$/);
});

test("the command's environment has the safe base and listed names, never the gateway's secrets", async () => {
  const env = { PATH: "/usr/bin:/bin", HOME: "/home/ada", ANTHROPIC_API_KEY: "sk-ant-secret-value", TELEGRAM_BOT_TOKEN: "123:abc", PROJECT: "p1" };
  const h = execHarness({ exec: { allowlist: ["env"], ask: "off", env: ["PROJECT", "MODE"] }, env });
  const r = await execTool().run({ argv: ["env"], env: { MODE: "test" } }, h.ctx);
  assert.equal(r.isError, false, r.content);
  assert.doesNotMatch(r.content, /sk-ant-secret-value|ANTHROPIC|TELEGRAM|123:abc/);
  for (const line of ["PATH=/usr/bin:/bin", "HOME=/home/ada", "PROJECT=p1", "MODE=test", "LANG=C.UTF-8"]) assert.ok(r.content.includes(`\n${line}\n`), line);
  const refused = await execTool().run({ argv: ["env"], env: { LD_PRELOAD: "/tmp/x.so" } }, h.ctx);
  assert.equal(refused.isError, true);
  assert.match(refused.content, /env name "LD_PRELOAD" is not allowed: only names listed in tools\.exec\.env may be passed \(PROJECT, MODE\)/);
});

test("cwd stays inside the workspace by real path: .. and symlinks out are refused", async () => {
  const h = execHarness({ exec: { allowlist: ["pwd"], ask: "off" } });
  fs.mkdirSync(path.join(h.workspace, "sub"));
  fs.symlinkSync("/tmp", path.join(h.workspace, "out"));
  const inside = await execTool().run({ argv: ["pwd"], cwd: "sub" }, h.ctx);
  assert.match(inside.content, new RegExp(`\\n${h.workspace}/sub\\n$`));
  for (const cwd of ["..", "out", "/etc", "sub/../../"]) {
    const r = await execTool().run({ argv: ["pwd"], cwd }, h.ctx);
    assert.equal(r.isError, true, cwd);
    assert.match(r.content, /leads outside the workspace/);
  }
  const missing = await execTool().run({ argv: ["pwd"], cwd: "nope" }, h.ctx);
  assert.match(missing.content, /does not exist in the workspace/);
});

test("bad input is a tool error that says what to send instead", async () => {
  const h = execHarness({ exec: { maxTimeoutSeconds: 10 } });
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /exactly one of `command`/],
    [{ command: "ls", argv: ["ls"] }, /exactly one of `command`/],
    [{ argv: [] }, /non-empty list of strings/],
    [{ command: "ls", timeoutSeconds: 11 }, /from 1 to 10 \(tools\.exec\.maxTimeoutSeconds\)/],
    [{ command: "ls", env: ["A"] }, /`env` must be an object/],
  ];
  for (const [input, message] of cases) {
    const r = await execTool().run(input, h.ctx);
    assert.equal(r.isError, true);
    assert.match(r.content, message);
  }
});

for (const command of ["sleep 1000", "timeout 1000 sleep 1000"]) {
  test(`a command dies with its gateway: kill -9 of the parent ends the group of \`${command}\``, async () => {
    const fixture = path.join(import.meta.dirname, "exec-gateway-fixture.ts");
    const gateway = spawn(process.execPath, [fixture, command], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = "";
      gateway.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        if (buf.includes("\n")) resolve(buf.split("\n")[0] as string);
      });
      gateway.on("exit", () => reject(new Error("the fixture exited early")));
    });
    const { pgid } = JSON.parse(line) as { pgid: number };
    // `timeout` would move itself and sleep into a group of their own; the check runs it in the foreground.
    const until = Date.now() + 10_000;
    while (Date.now() < until && !groupMembers(pgid).some((pid) => cmdline(pid).startsWith("/usr/bin/sleep"))) await new Promise((r) => setTimeout(r, 20));
    gateway.kill("SIGKILL");
    assert.ok(await groupGone(pgid), `group ${pgid} outlived its gateway: ${groupMembers(pgid).join(", ")}`);
  });
}

test("reapProcessGroups kills a recorded group and refuses a pid whose start time differs", async () => {
  const child = spawn("/bin/sh", ["-c", "sleep 100 & sleep 100"], { detached: true, stdio: "ignore" });
  const pid = child.pid as number;
  child.unref();
  const startTime = readStartTicks(pid);
  assert.ok(startTime !== null);
  const recycled = reapProcessGroups([{ pid, pgid: pid, startTime: startTime - 1 }]);
  assert.deepEqual(recycled, [{ pid, pgid: pid, outcome: "recycled" }]);
  assert.ok(groupMembers(pid).length > 0, "a mismatched record must not be signalled");
  assert.deepEqual(reapProcessGroups([{ pid, pgid: pid, startTime }]), [{ pid, pgid: pid, outcome: "killed" }]);
  assert.ok(await groupGone(pid));
  assert.deepEqual(reapProcessGroups([{ pid: 2 ** 22 + 7, pgid: 2 ** 22 + 7, startTime: 1 }]), [{ pid: 2 ** 22 + 7, pgid: 2 ** 22 + 7, outcome: "gone" }]);
});
