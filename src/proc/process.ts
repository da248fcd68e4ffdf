/**
 * Facts about a process from /proc: alive, user, start time, command line.
 * `procRoot` is a parameter so tests can point it at a fixture tree.
 */
import fs from "node:fs";

export interface ProcFs {
  procRoot: string;
  passwdFile: string;
  /**
   * Host-wide tables already read (`locks`, `net/tcp`...), set by `snapshotProcFs`. The kernel
   * builds each table on every read, walking every lock or the whole TCP hash (several ms each
   * here), so a command that asks several questions reads each once.
   */
  tables?: Map<string, string>;
}

export const defaultProcFs: ProcFs = { procRoot: "/proc", passwdFile: "/etc/passwd" };

/** A ProcFs that reads each host-wide table once: one look for a read-only command that asks several questions. */
export function snapshotProcFs(procFs: ProcFs = defaultProcFs): ProcFs {
  return { ...procFs, tables: new Map() };
}

/**
 * The text of a host-wide /proc table (`locks`, `net/tcp`), read once per snapshot by `read`
 * (the whole file by default; each table has one reader, which may read only the part it needs);
 * throws when unreadable.
 */
export function readProcTable(name: string, procFs: ProcFs = defaultProcFs, read = (file: string) => fs.readFileSync(file, "utf8")): string {
  const known = procFs.tables?.get(name);
  if (known !== undefined) return known;
  const text = read(`${procFs.procRoot}/${name}`);
  procFs.tables?.set(name, text);
  return text;
}

export interface ProcessInfo {
  pid: number;
  uid: number | null;
  user: string | null;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat): with pid, it names one process for ever. */
  startTicks: number | null;
  /** Start time as epoch milliseconds, from startTicks and the boot time. */
  startedAtMs: number | null;
  command: string;
  argv: string[];
}

/** True when /proc is readable here (Linux); callers fall back to "unknown" otherwise. */
export function hasProc(procFs: ProcFs = defaultProcFs): boolean {
  try {
    return fs.statSync(`${procFs.procRoot}/self/stat`).isFile();
  } catch {
    return false;
  }
}

/** True when a process with this pid exists (zombies count as gone). */
export function isAlive(pid: number, procFs: ProcFs = defaultProcFs): boolean {
  try {
    const stat = fs.readFileSync(`${procFs.procRoot}/${pid}/stat`, "utf8");
    return parseStatState(stat) !== "Z";
  } catch {
    if (procFs.procRoot !== "/proc") return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  }
}

function parseStatState(stat: string): string {
  // The command name may contain spaces and ')'; fields after the last ')' are fixed.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? "";
}

/** Field 22 (starttime) of a /proc/PID/stat line. */
export function parseStartTicks(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const v = Number(fields[19]); // field 22 is the 20th after "pid (comm)"
  return Number.isFinite(v) ? v : null;
}

let bootCache: { root: string; ms: number | null } | undefined;

/** The boot time of this host in epoch ms, from `btime` in /proc/stat. */
export function bootTimeMs(procFs: ProcFs = defaultProcFs): number | null {
  if (bootCache?.root === procFs.procRoot) return bootCache.ms;
  let ms: number | null = null;
  try {
    const m = /^btime (\d+)$/m.exec(fs.readFileSync(`${procFs.procRoot}/stat`, "utf8"));
    ms = m ? Number(m[1]) * 1000 : null;
  } catch {
    ms = null;
  }
  bootCache = { root: procFs.procRoot, ms };
  return ms;
}

/** Clock ticks per second; 100 on every mainstream Linux build (USER_HZ). */
const CLK_TCK = 100;

const userCache = new Map<string, Map<number, string>>();

/** The user name of a uid from the passwd file, or null if it has none. */
export function userName(uid: number, procFs: ProcFs = defaultProcFs): string | null {
  let byUid = userCache.get(procFs.passwdFile);
  if (!byUid) {
    byUid = new Map();
    try {
      for (const line of fs.readFileSync(procFs.passwdFile, "utf8").split("\n")) {
        const parts = line.split(":");
        if (parts.length > 3 && parts[0]) byUid.set(Number(parts[2]), parts[0]);
      }
    } catch {
      // No passwd file: names stay unknown, uids are still shown.
    }
    userCache.set(procFs.passwdFile, byUid);
  }
  return byUid.get(uid) ?? null;
}

/** Everything /proc tells about a pid, or null when it is gone. */
export function readProcessInfo(pid: number, procFs: ProcFs = defaultProcFs): ProcessInfo | null {
  const dir = `${procFs.procRoot}/${pid}`;
  let stat: string;
  try {
    stat = fs.readFileSync(`${dir}/stat`, "utf8");
  } catch {
    return null;
  }
  if (parseStatState(stat) === "Z") return null;
  let uid: number | null = null;
  try {
    const m = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`${dir}/status`, "utf8"));
    uid = m ? Number(m[1]) : null;
  } catch {
    uid = null;
  }
  let argv: string[] = [];
  try {
    argv = fs
      .readFileSync(`${dir}/cmdline`, "utf8")
      .split("\0")
      .filter((s) => s !== "");
  } catch {
    argv = [];
  }
  const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  const startTicks = parseStartTicks(stat);
  const boot = bootTimeMs(procFs);
  return {
    pid,
    uid,
    user: uid === null ? null : userName(uid, procFs),
    startTicks,
    startedAtMs: boot !== null && startTicks !== null ? boot + (startTicks * 1000) / CLK_TCK : null,
    command: argv.length ? argv.join(" ") : `[${comm}]`,
    argv,
  };
}

/** Every numeric pid directory in /proc. */
export function listPids(procFs: ProcFs = defaultProcFs): number[] {
  try {
    return fs
      .readdirSync(procFs.procRoot)
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** Paths of the files a process has open (readlink of /proc/PID/fd/*); empty when not permitted. */
export function openFiles(pid: number, procFs: ProcFs = defaultProcFs): string[] {
  const dir = `${procFs.procRoot}/${pid}/fd`;
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      out.push(fs.readlinkSync(`${dir}/${fd}`));
    } catch {
      // fd closed while we looked
    }
  }
  return out;
}
