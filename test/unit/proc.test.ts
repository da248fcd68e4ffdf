import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { DatabaseSync } from "node:sqlite";
import fs from "node:fs";
import path from "node:path";
import { parseProcNetTcp, findListeners, describeListener, readListenersPart } from "../../src/proc/listeners.ts";
import { parseProcLocks, lockHolders } from "../../src/proc/locks.ts";
import { defaultProcFs, parseStartTicks, readProcessInfo, isAlive } from "../../src/proc/process.ts";
import { tmpDir } from "../helpers/gateway.ts";

test("parses listening sockets from /proc/net/tcp and tcp6 text", () => {
  const v4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0
   1: 0100007F:4965 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 12346 1 0000000000000000 100 0 0 10 0`;
  assert.deepEqual(parseProcNetTcp(v4, false), [{ port: 18789, address: "127.0.0.1", inode: 12345 }]);
  const v6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:4965 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0`;
  assert.deepEqual(parseProcNetTcp(v6, true), [{ port: 18789, address: "::1", inode: 999 }]);
});

test("reads /proc/net/tcp only up to its last listener, SYN_RECV lines of old kernels included", () => {
  const line = (sl: number, port: string, st: string, inode: number) =>
    `${String(sl).padStart(4)}: 0100007F:${port} 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0`;
  const head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
  const established = Array.from({ length: 60 }, (_, i) => line(i + 3, "9C40", "01", 500 + i));
  const file = path.join(tmpDir(), "tcp");
  // A listener past 60 established lines (8 KB) is never reached: the kernel lists them first.
  fs.writeFileSync(
    file,
    [head, line(0, "4965", "0A", 1), line(1, "4966", "03", 2), line(2, "4967", "0A", 3), ...established, line(99, "4968", "0A", 4), ""].join("\n"),
  );
  assert.deepEqual(
    parseProcNetTcp(readListenersPart(file), false).map((s) => s.port),
    [18789, 18791],
  );
});

test("parses /proc/locks lines for one device and inode, skipping waiters", () => {
  const dev = (0xfe << 8) | 0x01;
  const text = `1: POSIX  ADVISORY  WRITE 2192 fe:01:2154546 1073741824 1073742335
1: -> POSIX  ADVISORY  WRITE 2300 fe:01:2154546 1073741824 1073742335
2: FLOCK  ADVISORY  WRITE 77 fe:01:999 0 EOF
3: POSIX  ADVISORY  WRITE 88 fe:02:2154546 0 EOF`;
  assert.deepEqual(parseProcLocks(text, dev, 2154546), [{ pid: 2192, kind: "POSIX", access: "WRITE" }]);
});

test("reads a process start time that survives comm names with spaces and parentheses", () => {
  const stat = "4242 (we (ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100";
  assert.equal(parseStartTicks(stat), 987654);
});

test("finds this process as the listener of a port it holds", async () => {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    const found = findListeners([port]);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.process?.pid, process.pid);
    assert.match(describeListener(found[0]!), new RegExp(`pid ${process.pid} .* on 127\\.0\\.0\\.1:${port}`));
  } finally {
    server.close();
  }
});

test("sees which pid holds an SQLite exclusive lock without touching the lock", () => {
  const file = path.join(tmpDir(), "x.lock");
  const db = new DatabaseSync(file, { timeout: 0 });
  db.exec("PRAGMA journal_mode=MEMORY; PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;");
  try {
    assert.ok(lockHolders(file)?.some((h) => h.pid === process.pid));
  } finally {
    db.close();
  }
  assert.deepEqual(lockHolders(file), []);
  assert.equal(lockHolders(path.join(path.dirname(file), "missing")), null);
  assert.ok(fs.existsSync(file));
});

test("asks a likely lock holder through its own fdinfo, and anyone else through /proc/locks", () => {
  const file = path.join(tmpDir(), "y.lock");
  const db = new DatabaseSync(file, { timeout: 0 });
  db.exec("PRAGMA journal_mode=MEMORY; PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;");
  try {
    const all = lockHolders(file);
    assert.deepEqual(lockHolders(file, defaultProcFs, [process.pid]), all);
    assert.deepEqual(lockHolders(file, defaultProcFs, [1, process.pid]), all);
    // A /proc without a locks table: only the holder's fdinfo can answer.
    const root = tmpDir();
    fs.symlinkSync(`/proc/${process.pid}`, path.join(root, String(process.pid)));
    const noLocks = { procRoot: root, passwdFile: "/etc/passwd" };
    assert.ok(lockHolders(file, noLocks, [process.pid])?.some((h) => h.pid === process.pid && h.access === "WRITE"));
    assert.equal(lockHolders(file, noLocks, [1]), null);
  } finally {
    db.close();
  }
  assert.deepEqual(lockHolders(file, defaultProcFs, [process.pid]), []);
});

test("reads this process's user, start time and command line, and knows dead pids are dead", () => {
  const me = readProcessInfo(process.pid)!;
  assert.equal(me.pid, process.pid);
  assert.ok(me.startTicks !== null && me.startedAtMs !== null);
  assert.ok(Math.abs(me.startedAtMs! - (Date.now() - process.uptime() * 1000)) < 5000);
  assert.ok(me.argv.length > 0);
  assert.equal(isAlive(process.pid), true);
  assert.equal(readProcessInfo(2 ** 22 + 12345), null);
});
