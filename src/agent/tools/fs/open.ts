/**
 * Opens what `confine.ts` resolved, closing the gap between the check and the open: files and
 * directories are opened with O_NOFOLLOW (and O_NONBLOCK, so a FIFO swapped in cannot block), then
 * the open descriptor is checked: the same device and inode as the path that was checked, still a
 * regular file with one link, and (from /proc/self/fd) really inside the workspace. Writes go
 * through a directory descriptor (`/proc/self/fd/N/name`, Linux's openat by path), so a directory
 * swapped for a symbolic link after the check cannot redirect them.
 */
import fs from "node:fs";
import path from "node:path";
import { isInside, kindName, refuseSpecial, shown, type Refusal } from "./confine.ts";

const C = fs.constants;
const READ_FLAGS = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK | C.O_NOCTTY;
const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
const procFd = fs.existsSync("/proc/self/fd");

/** Where the kernel says an open descriptor is, or null without /proc. */
function whereIs(fd: number): string | null {
  if (!procFd) return null;
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/** A path that reaches `name` through an open directory descriptor, like openat(2) (the plain path without /proc). */
export function under(dirFd: number, dirPath: string, name: string): string {
  return procFd ? `/proc/self/fd/${dirFd}/${name}` : path.join(dirPath, name);
}

/** The refusal for a descriptor that is not what was checked (or not inside the workspace); null when it is. */
function refuseSwapped(ws: string, rel: string, fd: number, st: fs.BigIntStats, checked: fs.BigIntStats | null): Refusal | null {
  const where = whereIs(fd);
  const moved = checked !== null && (st.dev !== checked.dev || st.ino !== checked.ino);
  if (moved || (where !== null && !isInside(ws, where))) {
    return {
      refused: `${shown(rel)} changed between the check and the open (replaced, perhaps by a symbolic link out of the workspace), so it was not used; try again.`,
    };
  }
  return null;
}

/** An open regular file, checked. Close `handle` when done. */
export interface OpenFile {
  handle: fs.promises.FileHandle;
  stat: fs.BigIntStats;
}

/** Opens the regular file at real path `abs` for reading, checked against `checked` (its lstat at resolve time). */
export async function openFileChecked(ws: string, rel: string, abs: string, checked: fs.BigIntStats): Promise<OpenFile | Refusal> {
  const before = refuseSpecial(rel, checked);
  if (before) return before;
  if (!checked.isFile())
    return { refused: `${shown(rel)} is a ${kindName(checked)}, not a file${checked.isDirectory() ? "; use list to see what it holds" : ""}.` };
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(abs, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP") return { refused: `${shown(rel)} became a symbolic link after it was checked, so it was not opened; try again.` };
    return { refused: `${shown(rel)} cannot be opened (${code ?? String(err)}).` };
  }
  const stat = await handle.stat({ bigint: true });
  const why = refuseSwapped(ws, rel, handle.fd, stat, checked) ?? refuseSpecial(rel, stat);
  if (why) {
    await handle.close();
    return why;
  }
  return { handle, stat };
}

/** Opens the directory at real path `abs` (no symbolic link, inside the workspace); returns its descriptor. */
export function openDirChecked(ws: string, rel: string, abs: string): number | Refusal {
  let fd: number;
  try {
    fd = fs.openSync(abs, DIR_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENOTDIR") return { refused: `${shown(rel)} is not a directory (or became a symbolic link after it was checked).` };
    return { refused: `${shown(rel)} cannot be opened (${code ?? String(err)}).` };
  }
  const why = refuseSwapped(ws, rel, fd, fs.fstatSync(fd, { bigint: true }), null);
  if (why) {
    fs.closeSync(fd);
    return why;
  }
  return fd;
}

/** The names in directory `abs` with their types, read through a checked descriptor; also its device:inode (to spot loops). */
export async function readDirChecked(ws: string, rel: string, abs: string): Promise<{ id: string; entries: fs.Dirent[] } | Refusal> {
  const fd = openDirChecked(ws, rel, abs);
  if (typeof fd !== "number") return fd;
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    const entries = await fs.promises.readdir(procFd ? `/proc/self/fd/${fd}` : abs, { withFileTypes: true });
    return { id: `${st.dev}:${st.ino}`, entries };
  } catch (err) {
    return { refused: `${shown(rel)} cannot be listed (${(err as NodeJS.ErrnoException).code ?? String(err)}).` };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Opens the directory a new or replaced file goes into: the existing real directory `dir`, then
 * each missing component created and opened in turn through the previous descriptor. Returns the
 * last directory's descriptor (close it when done) and its path for messages.
 */
export function openParentCreating(ws: string, dir: string, missingDirs: readonly string[]): { fd: number; path: string } | Refusal {
  const first = openDirChecked(ws, path.relative(ws, dir) || ".", dir);
  if (typeof first !== "number") return first;
  let fd = first;
  let at = dir;
  for (const name of missingDirs) {
    const rel = path.relative(ws, path.join(at, name));
    try {
      fs.mkdirSync(under(fd, at, name), { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        fs.closeSync(fd);
        return { refused: `The directory "${rel}" cannot be created (${(err as NodeJS.ErrnoException).code ?? String(err)}).` };
      }
    }
    let next: number;
    try {
      next = fs.openSync(under(fd, at, name), DIR_FLAGS);
    } catch {
      fs.closeSync(fd);
      return { refused: `"${rel}" is not a directory (or became a symbolic link while it was being created), so nothing was written.` };
    }
    fs.closeSync(fd);
    fd = next;
    at = path.join(at, name);
  }
  return { fd, path: at };
}

/** Reads at most `max` bytes from the start of an open file (fewer when it is shorter). */
export async function readUpTo(handle: fs.promises.FileHandle, max: number): Promise<Buffer> {
  const buf = Buffer.alloc(max);
  let got = 0;
  while (got < max) {
    const { bytesRead } = await handle.read(buf, got, max - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}
