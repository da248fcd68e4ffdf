/**
 * The confinement core of the workspace tools: a path the model names becomes a real path inside
 * the workspace, or a refusal that says why. Resolution is by real path, one component at a time:
 * `..` may not climb out, a symbolic link is followed only when its real target is inside the
 * workspace, and a missing tail (a file about to be created) hangs under a real directory that is.
 * What happens between this check and the open is closed by the checks in `open.ts`.
 */
import fs from "node:fs";
import path from "node:path";

/** A refused path: the sentence the model sees. */
export interface Refusal {
  refused: string;
}

/** A path resolved inside the workspace. */
export interface Resolved {
  /** Real path of the target, or where it would be created. */
  abs: string;
  /** The path relative to the workspace as asked for (`.` for the workspace itself): what results show. */
  rel: string;
  /** The target's lstat when it exists (of the link itself when the final link was not followed). */
  stat: fs.BigIntStats | null;
  /** Real path of the deepest existing directory on the way. */
  dir: string;
  /** Components still missing below `dir` (the last one is the target's name); empty when it exists. */
  missing: string[];
}

/** The longest path a tool accepts; Linux's PATH_MAX. */
const MAX_PATH = 4096;

/** True when the real path `p` is the workspace `ws` or below it. */
export function isInside(ws: string, p: string): boolean {
  return p === ws || p.startsWith(ws.endsWith("/") ? ws : `${ws}/`);
}

/** True for a refusal. */
export function isRefusal(x: unknown): x is Refusal {
  return typeof x === "object" && x !== null && "refused" in x;
}

/** A path as shown to the model: quoted, and `.` named as the workspace. */
export function shown(rel: string): string {
  return rel === "." ? "the workspace" : `"${rel}"`;
}

/** The workspace's real path, or a refusal when it is missing or not a directory (the gateway creates it; tools never do). */
export function workspaceRoot(ws: string): string | Refusal {
  let st: fs.Stats;
  try {
    st = fs.statSync(ws);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      return {
        refused: `The workspace ${ws} does not exist; the gateway creates it at start, so restart the gateway (or run "onebrain setup") and try again.`,
      };
    return { refused: `The workspace ${ws} cannot be used (${code ?? String(err)}); ask the operator to check it.` };
  }
  if (!st.isDirectory()) return { refused: `The workspace ${ws} is not a directory; ask the operator to fix agents.defaults.workspace.` };
  return fs.realpathSync.native(ws);
}

/** What kind of file a stat is, in words, for refusals and listings. */
export function kindName(st: fs.BigIntStats | fs.Stats | fs.Dirent): string {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "directory";
  if (st.isSymbolicLink()) return "symbolic link";
  if (st.isFIFO()) return "FIFO (named pipe)";
  if (st.isSocket()) return "socket";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  return "special file";
}

/** How to resolve. */
export interface ResolveOptions {
  /** A missing target (and missing parent directories) is fine: it is about to be created. */
  allowMissing?: boolean;
  /** Follow a symbolic link at the final component when it stays inside (reads); false keeps the link itself (writes). */
  followFinal?: boolean;
}

/**
 * Resolves `requested` (relative to the workspace, or absolute inside it) to a real path inside the
 * real workspace `ws`, or refuses. Never follows a link out, never loops.
 */
export function resolveInside(ws: string, requested: string, options: ResolveOptions = {}): Resolved | Refusal {
  const followFinal = options.followFinal ?? true;
  if (requested.includes("\0")) return { refused: "The path contains a NUL byte, which no file name can; remove it." };
  if (requested.length > MAX_PATH) return { refused: `The path is ${requested.length} characters long; at most ${MAX_PATH} are accepted.` };
  if (requested === "") return { refused: 'The path is empty; give a path relative to the workspace, such as "." or "notes/todo.md".' };
  const target = path.resolve(ws, requested);
  const rel = path.relative(ws, target);
  if (rel === ".." || rel.startsWith("../") || path.isAbsolute(rel)) {
    return {
      refused: `"${requested}" is outside the workspace; only paths inside it (relative ones such as "notes/todo.md", or absolute ones under ${ws}) are allowed.`,
    };
  }
  const parts = rel === "" ? [] : rel.split("/");
  let cur = ws;
  let stat: fs.BigIntStats = fs.lstatSync(ws, { bigint: true });
  for (const [i, name] of parts.entries()) {
    const last = i === parts.length - 1;
    const here = parts.slice(0, i + 1).join("/");
    const next = path.join(cur, name);
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(next, { bigint: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" && options.allowMissing) return { abs: path.join(cur, ...parts.slice(i)), rel, stat: null, dir: cur, missing: parts.slice(i) };
      if (code === "ENOENT") return { refused: `${shown(rel)} does not exist; use list or glob to find the right path.` };
      if (code === "ENAMETOOLONG") return { refused: `"${name}" is too long for a file name.` };
      return { refused: `${shown(here)} cannot be looked up (${code ?? String(err)}).` };
    }
    if (st.isSymbolicLink() && (!last || followFinal)) {
      let real: string;
      try {
        real = fs.realpathSync.native(next);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ELOOP") return { refused: `"${here}" is a symbolic link loop; it cannot be followed.` };
        if (code === "ENOENT") return { refused: `"${here}" is a symbolic link to a path that does not exist; it is not followed.` };
        return { refused: `"${here}" is a symbolic link that cannot be followed (${code ?? String(err)}).` };
      }
      if (!isInside(ws, real)) return { refused: `"${here}" is a symbolic link that leads outside the workspace; it is not followed.` };
      cur = real;
      st = fs.lstatSync(real, { bigint: true });
    } else {
      cur = next;
    }
    stat = st;
    if (!last && !st.isDirectory()) return { refused: `"${here}" is a ${kindName(st)}, not a directory, so ${shown(rel)} cannot be under it.` };
  }
  return { abs: cur, rel: rel === "" ? "." : rel, stat, dir: parts.length === 0 ? cur : path.dirname(cur), missing: [] };
}

/** Resolves, and refuses what a tool can never use in place of a file: see `resolveInside`. */
export function resolveFile(ws: string, requested: string, options: ResolveOptions = {}): Resolved | Refusal {
  const r = resolveInside(ws, requested, options);
  if (isRefusal(r) || r.stat === null) return r;
  return refuseSpecial(r.rel, r.stat) ?? r;
}

/**
 * The refusal for a file that is not a regular file or directory (a FIFO would block the open, a
 * device could read forever), or for a regular file with more than one hard link (another of its
 * names may be outside the workspace). Null when the file is fine.
 */
export function refuseSpecial(rel: string, st: fs.BigIntStats): Refusal | null {
  if (st.isFIFO() || st.isSocket() || st.isCharacterDevice() || st.isBlockDevice()) {
    return {
      refused: `${shown(rel)} is a ${kindName(st)}; the workspace tools only read and write regular files, as a device or pipe could block or never end.`,
    };
  }
  if (st.isFile() && st.nlink > 1n) {
    return {
      refused: `${shown(rel)} has ${st.nlink} hard links; another of its names may be a file outside the workspace, so the workspace tools do not touch it. Ask the operator to replace it with a plain copy if you need it.`,
    };
  }
  return null;
}
