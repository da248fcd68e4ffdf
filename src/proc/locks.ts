/** Who holds POSIX locks on a file, from /proc/locks or a likely holder's fdinfo: reads that never touch the lock itself. */
import fs from "node:fs";
import path from "node:path";
import { defaultProcFs, readProcTable, type ProcFs } from "./process.ts";

export interface FileLockHolder {
  pid: number;
  /** "POSIX", "FLOCK" or "OFDLCK" as /proc/locks names them (others kept as read). */
  kind: string;
  /** "READ" or "WRITE". */
  access: string;
}

/** Linux's dev_t split: major and minor numbers as /proc/locks prints them (hex). */
function devParts(dev: number): { major: number; minor: number } {
  const big = BigInt(dev);
  const major = Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn));
  const minor = Number((big & 0xffn) | ((big >> 12n) & ~0xffn));
  return { major, minor };
}

/** Parses /proc/locks text, keeping lines on the given device and inode. */
export function parseProcLocks(text: string, dev: number, inode: number): FileLockHolder[] {
  const holders: FileLockHolder[] = [];
  // Every line that names the inode ends it with ":<inode> ": most reads end here, unsplit.
  if (!text.includes(`:${inode} `)) return holders;
  const { major, minor } = devParts(dev);
  for (const line of text.split("\n")) {
    if (!line.includes(`:${inode} `)) continue;
    // "1: POSIX  ADVISORY  WRITE 2192 fe:00:2154546 1073741824 1073742335" ("->" marks waiters)
    const f = line.trim().split(/\s+/);
    if (f[1] === "->") continue;
    const id = f[5];
    if (!id) continue;
    const [ma, mi, ino] = id.split(":");
    if (Number(ino) !== inode) continue;
    if (parseInt(ma ?? "", 16) !== major || parseInt(mi ?? "", 16) !== minor) continue;
    holders.push({ pid: Number(f[4]), kind: f[1] ?? "", access: f[3] ?? "" });
  }
  return holders;
}

/** The locks `pid` holds on the file `dev`/`ino`, from the fdinfo of its fds named `name`; null when its fds are hidden. */
function locksOfPid(pid: number, name: string, dev: number, ino: number, procFs: ProcFs): FileLockHolder[] | null {
  const dir = `${procFs.procRoot}/${pid}`;
  let fds: string[];
  try {
    fds = fs.readdirSync(`${dir}/fd`);
  } catch {
    return null;
  }
  const held: FileLockHolder[] = [];
  for (const fd of fds) {
    try {
      if (path.basename(fs.readlinkSync(`${dir}/fd/${fd}`)) !== name) continue;
      // "lock:\t1: POSIX  ADVISORY  WRITE 2192 fe:01:2154546 1073741824 1073742335": a /proc/locks line.
      const info = fs.readFileSync(`${dir}/fdinfo/${fd}`, "utf8").split("\n");
      held.push(...parseProcLocks(info.flatMap((l) => (l.startsWith("lock:") ? [l.slice(5)] : [])).join("\n"), dev, ino));
      // Its locks are found: another fd of the same file shows nothing more (a gateway has dozens of fds).
      if (held.some((h) => h.pid === pid)) break;
    } catch {
      // closed while we looked
    }
  }
  return held;
}

/**
 * The pids holding locks on `file`: [] when nobody does, null when it cannot be known
 * (no /proc/locks, or the file is missing). A `likely` holder (an owner record's pid) is asked
 * first through its own fdinfo; when it holds a lock, its locks are the answer (the brain lock is
 * exclusive). /proc/locks is the fallback: reading it takes the kernel's file-lock rwsem for
 * writing, which waits for an RCU grace period (5-20 ms here) unless it was just taken.
 */
export function lockHolders(file: string, procFs: ProcFs = defaultProcFs, likely: readonly number[] = []): FileLockHolder[] | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return null;
  }
  for (const pid of likely) {
    const held = locksOfPid(pid, path.basename(file), st.dev, st.ino, procFs);
    if (held?.some((h) => h.pid === pid)) return held;
  }
  let text: string;
  try {
    text = readProcTable("locks", procFs);
  } catch {
    return null;
  }
  return parseProcLocks(text, st.dev, st.ino);
}
