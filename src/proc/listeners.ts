/**
 * Who listens on a TCP port, from /proc/net/tcp{,6} and /proc/PID/fd, like `ss -lntp`
 * but without needing ss or root for our own processes.
 */
import fs from "node:fs";
import { defaultProcFs, listPids, readProcessInfo, readProcTable, type ProcFs, type ProcessInfo } from "./process.ts";

export interface Listener {
  port: number;
  /** Local address as text: "127.0.0.1", "0.0.0.0", "::1", "::". */
  address: string;
  inode: number;
  /** The owning process, when /proc lets us see its fds (null for other users' processes without root). */
  process: ProcessInfo | null;
}

/**
 * A listening socket's line: "sl: local_address:port rem_address:port st", st 0A (LISTEN), then
 * tx:rx queues, tr:when, retrnsmt, uid, timeout and the inode. One regex over the whole table
 * skips the established connections without splitting them (the table can hold thousands).
 */
const LISTEN_LINE = /^ *\d+: ([0-9A-F]+):([0-9A-F]{4}) [0-9A-F]+:[0-9A-F]{4} 0A +(?:\S+ +){5}(\d+)/gm;

function hexToIPv4(hex: string): string {
  // Little-endian 32-bit word as the kernel prints it.
  const b = [hex.slice(6, 8), hex.slice(4, 6), hex.slice(2, 4), hex.slice(0, 2)].map((h) => parseInt(h, 16));
  return b.join(".");
}

function hexToIPv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex.slice(i, i + 8);
    // Each 32-bit group is little-endian.
    const le = w.slice(6, 8) + w.slice(4, 6) + w.slice(2, 4) + w.slice(0, 2);
    words.push(le.slice(0, 4), le.slice(4, 8));
  }
  const full = words.map((w) => parseInt(w, 16).toString(16)).join(":");
  if (full === "0:0:0:0:0:0:0:0") return "::";
  if (full === "0:0:0:0:0:0:0:1") return "::1";
  if (full.startsWith("0:0:0:0:0:ffff:")) {
    const [hi, lo] = full
      .split(":")
      .slice(6)
      .map((w) => parseInt(w, 16)) as [number, number];
    return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return full.replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** A line in another state than LISTEN (0A) or SYN_RECV (03, listed among listeners before Linux 4.4). */
const PAST_LISTENERS = /^ *\d+: \S+ \S+ (?!0A |03 )[0-9A-F]{2} /m;

/**
 * /proc/net/tcp or tcp6 up to its last listener. The kernel lists every listening socket first,
 * then walks its whole established hash, sized by RAM, not by use (4 ms per file on the bench
 * machine, even with six lines): reading stops at the first line past the listeners.
 */
export function readListenersPart(file: string): string {
  const fd = fs.openSync(file, "r");
  try {
    const chunk = Buffer.allocUnsafe(4096);
    let text = "";
    for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0;) {
      const from = text.lastIndexOf("\n") + 1;
      text += chunk.toString("latin1", 0, n);
      if (PAST_LISTENERS.test(text.slice(from, text.lastIndexOf("\n") + 1))) break;
    }
    return text.slice(0, text.lastIndexOf("\n") + 1);
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses /proc/net/tcp or tcp6 text into listening sockets (port, address, inode). */
export function parseProcNetTcp(text: string, v6: boolean): Array<{ port: number; address: string; inode: number }> {
  const out: Array<{ port: number; address: string; inode: number }> = [];
  for (const [, addrHex, portHex, inode] of text.matchAll(LISTEN_LINE))
    out.push({ port: parseInt(portHex!, 16), address: v6 ? hexToIPv6(addrHex!) : hexToIPv4(addrHex!), inode: Number(inode) });
  return out;
}

/**
 * Maps socket inodes to the pid holding them, scanning /proc/PID/fd once for all wanted inodes.
 * The `likely` pids are looked at first (a lock holder is the usual listener): the scan stops
 * as soon as every inode has its owner, often before reading the fds of every process.
 */
export function socketOwners(inodes: ReadonlySet<number>, procFs: ProcFs = defaultProcFs, likely: readonly number[] = []): Map<number, number> {
  const owners = new Map<number, number>();
  if (inodes.size === 0) return owners;
  for (const pid of new Set([...likely, ...listPids(procFs)])) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`${procFs.procRoot}/${pid}/fd`);
    } catch {
      continue; // other users' processes without privilege
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`${procFs.procRoot}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith("socket:[")) continue;
      const inode = Number(target.slice(8, -1));
      if (inodes.has(inode) && !owners.has(inode)) owners.set(inode, pid);
    }
    if (owners.size === inodes.size) break;
  }
  return owners;
}

/** Every listening TCP socket of the host (IPv4 and IPv6), from /proc/net/tcp and tcp6; a missing table is skipped. */
export function listeningSockets(procFs: ProcFs = defaultProcFs): Array<{ port: number; address: string; inode: number }> {
  const sockets: Array<{ port: number; address: string; inode: number }> = [];
  for (const [file, v6] of [
    ["tcp", false],
    ["tcp6", true],
  ] as const) {
    let text: string;
    try {
      text = readProcTable(`net/${file}`, procFs, readListenersPart);
    } catch {
      continue;
    }
    sockets.push(...parseProcNetTcp(text, v6));
  }
  return sockets;
}

/** Every TCP listener on the given ports (all ports when `ports` is empty), with its process; `likely` pids are looked at first. */
export function findListeners(ports: readonly number[], procFs: ProcFs = defaultProcFs, likely: readonly number[] = []): Listener[] {
  const wanted = new Set(ports);
  const sockets = listeningSockets(procFs).filter((s) => wanted.size === 0 || wanted.has(s.port));
  const owners = socketOwners(new Set(sockets.map((s) => s.inode)), procFs, likely);
  const infoCache = new Map<number, ProcessInfo | null>();
  return sockets.map((s) => {
    const pid = owners.get(s.inode);
    let info: ProcessInfo | null = null;
    if (pid !== undefined) {
      if (!infoCache.has(pid)) infoCache.set(pid, readProcessInfo(pid, procFs));
      info = infoCache.get(pid) ?? null;
    }
    return { ...s, process: info };
  });
}

/** One line naming a listener: `pid 77 (python3 -m http.server, user bob) on 0.0.0.0:18789`. */
export function describeListener(l: Listener): string {
  const where = `${l.address.includes(":") ? `[${l.address}]` : l.address}:${l.port}`;
  if (!l.process) return `an unidentified process (socket inode ${l.inode}; run as root to see it) on ${where}`;
  const cmd = l.process.command.length > 80 ? `${l.process.command.slice(0, 77)}...` : l.process.command;
  return `pid ${l.process.pid} (${cmd}, user ${l.process.user ?? l.process.uid}) on ${where}`;
}
