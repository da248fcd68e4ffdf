/**
 * Checks 7 and 10: the filesystem under the state dir (network filesystems make the kernel lock
 * unreliable), the Node version, clock sanity and free disk.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ago, type DoctorCheck } from "./types.ts";

export interface Mount {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Parses /proc/self/mountinfo (`36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw`). */
export function parseMountInfo(text: string): Mount[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: Mount[] = [];
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    if (left.length < 5 || !right[0]) continue;
    out.push({ mountPoint: unescape(left[4]!), fsType: right[0], source: unescape(right[1] ?? "") });
  }
  return out;
}

/** The mount a path lives on: the longest mount point that contains it (the last one mounted wins). */
export function mountOf(file: string, mounts: readonly Mount[]): Mount | null {
  let best: Mount | null = null;
  for (const m of mounts) {
    const inside = m.mountPoint === "/" || file === m.mountPoint || file.startsWith(`${m.mountPoint}/`);
    if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/** Filesystems on which fcntl locks are not reliable (or not enforced across hosts). */
export const NETWORK_FS =
  /^(nfs4?|cifs|smb3?|smbfs|ncpfs|9p|afs|ceph|glusterfs|lustre|gpfs|beegfs|davfs|fuse\.(sshfs|glusterfs|s3fs|rclone|gcsfuse|davfs2?|cephfs|juicefs))$/;

/** The path itself, or its nearest existing ancestor, with symlinks resolved. */
function existingAncestor(p: string): string {
  let cur = p;
  for (;;) {
    try {
      return fs.realpathSync(cur);
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

export const filesystemCheck: DoctorCheck = {
  id: "filesystem",
  group: "environment",
  title: "The state dir is on a local filesystem: on NFS or CIFS the brain lock is not reliable.",
  run(ctx) {
    const where = existingAncestor(ctx.paths.stateDir);
    let mounts: Mount[];
    try {
      mounts = parseMountInfo(fs.readFileSync(ctx.mountInfoFile, "utf8"));
    } catch {
      return [{ id: "filesystem", status: "ok", finding: `filesystem of ${where} unknown (no ${ctx.mountInfoFile})` }];
    }
    const m = mountOf(where, mounts);
    if (!m) return [{ id: "filesystem", status: "ok", finding: `no mount found for ${where}` }];
    if (NETWORK_FS.test(m.fsType)) {
      return [
        {
          id: "filesystem",
          status: "warn",
          finding: `${ctx.paths.stateDir} is on ${m.fsType} (${m.source} at ${m.mountPoint}): locks on a network filesystem are not reliable, two hosts could run the same brain`,
          fix: "move the state dir to a local disk (ONEBRAIN_STATE_DIR=/var/lib/onebrain or similar), and run one gateway per brain",
          details: m,
        },
      ];
    }
    return [{ id: "filesystem", status: "ok", finding: `${ctx.paths.stateDir} is on ${m.fsType} (${m.mountPoint})`, details: m }];
  },
};

export const nodeCheck: DoctorCheck = {
  id: "node",
  group: "environment",
  title: "Node.js is 22.13 or newer (node:sqlite, type stripping).",
  run() {
    const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
    const ok = major > 22 || (major === 22 && minor >= 13);
    return [
      ok
        ? { id: "node", status: "ok", finding: `Node ${process.versions.node}` }
        : { id: "node", status: "fail", finding: `Node ${process.versions.node} is older than 22.13`, fix: "install Node 24 LTS (scripts/install.sh does)" },
    ];
  },
};

/** When this onebrain was built: the mtime of its own code (a clock before that is wrong). */
function builtAtMs(): number | null {
  try {
    return fs.statSync(fileURLToPath(import.meta.url)).mtimeMs;
  } catch {
    return null;
  }
}

const SKEW_MS = 5 * 60_000;

export const clockCheck: DoctorCheck = {
  id: "clock",
  group: "environment",
  title: "Clock sanity: not before this build, no state files dated in the future, time sync seen.",
  run(ctx) {
    const built = builtAtMs();
    if (built !== null && ctx.now < built - 86_400_000) {
      return [
        {
          id: "clock",
          status: "fail",
          finding: `the clock says ${new Date(ctx.now).toISOString()}, before this onebrain was built (${new Date(built).toISOString()})`,
          fix: "set the time (enable NTP: `timedatectl set-ntp true`)",
        },
      ];
    }
    const files = ["brain.db", "brain.db-wal", "brain.owner.json", path.join("logs", "gateway.log")].map((f) => path.join(ctx.paths.stateDir, f));
    const future = files
      .map((f) => ({ f, t: fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
      .filter((x) => x.t > ctx.now + SKEW_MS)
      .sort((a, b) => b.t - a.t);
    if (future.length) {
      return [
        {
          id: "clock",
          status: "warn",
          finding: `${future[0]!.f} is dated ${ago(future[0]!.t - ctx.now)} in the future: the clock went back`,
          fix: "check the time and NTP (`timedatectl`); session resets and retention use the clock",
        },
      ];
    }
    const synced = fs.existsSync("/run/systemd/timesync/synchronized") ? ", synchronized by systemd-timesyncd" : "";
    return [{ id: "clock", status: "ok", finding: `${new Date(ctx.now).toISOString()}${synced}` }];
  },
};

export const diskCheck: DoctorCheck = {
  id: "disk",
  group: "environment",
  title: "Free disk space where the state dir lives (a full disk stops writes: exit 29).",
  run(ctx) {
    try {
      const s = fs.statfsSync(existingAncestor(ctx.paths.stateDir));
      const free = s.bavail * s.bsize;
      const mb = Math.round(free / 1024 / 1024);
      if (free < 50 * 1024 * 1024)
        return [
          {
            id: "disk",
            status: "fail",
            finding: `only ${mb} MB free for the state dir: writes will fail`,
            fix: "free disk space now (old backups in <stateDir>/backups, logs)",
          },
        ];
      if (free < 200 * 1024 * 1024) return [{ id: "disk", status: "warn", finding: `only ${mb} MB free for the state dir`, fix: "free some disk space" }];
      return [{ id: "disk", status: "ok", finding: `${mb >= 10240 ? `${(mb / 1024).toFixed(0)} GB` : `${mb} MB`} free` }];
    } catch (err) {
      return [
        {
          id: "disk",
          status: "warn",
          finding: `free disk space unknown (${(err as NodeJS.ErrnoException).code ?? "error"})`,
          fix: "check the state dir's path",
        },
      ];
    }
  },
};
