/**
 * A request path under the canvas mount turned into an open file below the canvas root, or the
 * answer that refuses it. Confinement is the workspace tools' own (`resolveInside` by real path,
 * one component at a time, then `openFileChecked` by descriptor): `..`, a symbolic link out, a
 * hard link, a FIFO or device, and a file swapped between check and open are never served. The
 * URL side is checked here first: each segment percent-decoded once, and a decoded `/`, `\`, NUL,
 * `.` or `..` segment, a dotfile (temp files, `.git`) or an over-long path is refused before the
 * file system is asked anything.
 */
import type fs from "node:fs";
import { isRefusal, resolveInside } from "../agent/tools/fs/confine.ts";
import { openFileChecked } from "../agent/tools/fs/open.ts";
import { contentType } from "./mime.ts";

/** The longest request path (after the mount) looked at; Linux's PATH_MAX. */
export const MAX_URL_PATH = 4096;

/** A refused request: status, code and a sentence for the client. */
export interface CanvasMiss {
  status: 301 | 400 | 404;
  code: "BAD_REQUEST" | "NOT_FOUND" | "MOVED";
  message: string;
}

/** An open regular file below the root. Close `handle` when done. */
export interface CanvasFile {
  handle: fs.promises.FileHandle;
  stat: fs.BigIntStats;
  /** The path below the root, as resolved (`dir/index.html` for a directory). */
  rel: string;
  type: string;
}

const miss = (status: CanvasMiss["status"], code: CanvasMiss["code"], message: string): CanvasMiss => ({ status, code, message });

/** True for a refusal. */
export function isMiss(x: CanvasFile | CanvasMiss | string[]): x is CanvasMiss {
  return !Array.isArray(x) && "status" in x;
}

/** The decoded segments of `rest` (the path after the mount, starting with `/`), or why it is refused. */
export function decodeSegments(rest: string): string[] | CanvasMiss {
  if (rest.length > MAX_URL_PATH) return miss(400, "BAD_REQUEST", `The path is ${rest.length} characters long; at most ${MAX_URL_PATH} are served.`);
  const segments: string[] = [];
  for (const raw of rest.split("/")) {
    if (raw === "") continue;
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      return miss(400, "BAD_REQUEST", "The path has a malformed percent-encoding; encode each byte as %XX.");
    }
    if (/[\0/\\]/.test(name)) return miss(400, "BAD_REQUEST", "A path segment decodes to a NUL, '/' or '\\', which no canvas file name has.");
    if (name === "." || name === "..") return miss(400, "BAD_REQUEST", "The path has a '.' or '..' segment; canvas paths name files below the root.");
    if (name.startsWith(".")) return miss(404, "NOT_FOUND", "Files whose name starts with '.' are never served from the canvas.");
    segments.push(name);
  }
  return segments;
}

/**
 * Opens what `rest` names below the real root `root`: a file, or a directory's `index.html`. A
 * directory asked for without its trailing `/` is a 301 to it, so the page's relative links work.
 */
export async function openCanvasFile(root: string, rest: string): Promise<CanvasFile | CanvasMiss> {
  const segments = decodeSegments(rest);
  if (isMiss(segments)) return segments;
  const rel = segments.length ? segments.join("/") : ".";
  const shown = segments.length ? `"${segments.join("/")}"` : "the canvas root";
  const notFound = miss(404, "NOT_FOUND", `No file ${shown} in the canvas.`);
  let r = resolveInside(root, rel);
  if (isRefusal(r) || r.stat === null) return notFound;
  if (r.stat.isDirectory()) {
    if (segments.length && !rest.endsWith("/")) return miss(301, "MOVED", "A directory: its address ends with '/'.");
    r = resolveInside(root, segments.length ? `${rel}/index.html` : "index.html");
    if (isRefusal(r) || r.stat === null)
      return miss(
        404,
        "NOT_FOUND",
        `${shown === "the canvas root" ? "The canvas root" : `The directory ${shown}`} has no index.html; the canvas tool's write puts one there.`,
      );
  }
  const opened = await openFileChecked(root, r.rel, r.abs, r.stat);
  if (isRefusal(opened)) return notFound;
  return { handle: opened.handle, stat: opened.stat, rel: r.rel, type: contentType(r.abs) };
}
