/** Who holds POSIX locks on a file, from /proc/locks: a read that never touches the lock itself. */
import fs from "node:fs";
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

/**
 * The pids holding locks on `file`: [] when nobody does, null when it cannot be known
 * (no /proc/locks, or the file is missing).
 */
export function lockHolders(file: string, procFs: ProcFs = defaultProcFs): FileLockHolder[] | null {
  let st: fs.Stats;
  let text: string;
  try {
    st = fs.statSync(file);
    text = readProcTable("locks", procFs);
  } catch {
    return null;
  }
  return parseProcLocks(text, st.dev, st.ino);
}
