/**
 * The workspace's notes as memory: `MEMORY.md` and `memory/**\/*.md` under the workspace, split
 * into sections (a heading, or a paragraph ended by a blank line; fenced code stays whole) and
 * indexed into `memory_fts` beside the transcripts. Refs name a file and a section's first line
 * (`note:memory/2026-12.md#L10`).
 *
 * Only what changed is read again: `memory_notes` keeps each file's mtime and size, a file's rows
 * sit at rowids `2^40 + noteRowid * 2^20 + section` (transcript rows are message ids, far below),
 * so a changed or removed file's rows go with one range delete. Every file is confined to the
 * workspace by real path: a symlink (file or directory) that leads out is skipped, and the file
 * opened is checked again through /proc/self/fd, so a path swapped after the check is not read
 * either. FIFOs, devices and files over 1 MiB are skipped.
 */
import fs from "node:fs";
import path from "node:path";
import type { StoreHandle } from "../store/handle.ts";

/** Largest note file indexed or returned. */
export const MAX_NOTE_BYTES = 1024 * 1024;
/** Most note files indexed (the rest are left out, in walk order). */
const MAX_NOTE_FILES = 2000;
/** Deepest directory under `memory/` walked. */
const MAX_DEPTH = 8;
/** A paragraph longer than this is cut into sections at line ends. */
const MAX_SECTION_CHARS = 4000;
/** Rowid layout of note rows in memory_fts. */
const NOTE_BASE = 2 ** 40;
const SECTIONS_PER_FILE = 2 ** 20;
const META_ROOT = "memory_notes_root";

/** One section of a note: lines `start`..`end` (1-based, inclusive). */
export interface NoteSection {
  start: number;
  end: number;
  text: string;
  /** The heading the section sits under (for search context), when it is not itself that heading. */
  heading: string | null;
}

const HEADING = /^#{1,6}\s/;
const FENCE = /^\s*(```|~~~)/;

/** Splits a note into sections; never more than SECTIONS_PER_FILE - 1. */
export function splitSections(text: string): NoteSection[] {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  const out: NoteSection[] = [];
  let cur: { start: number; lines: string[]; chars: number } | null = null;
  let heading: string | null = null;
  let inFence = false;
  const close = (): void => {
    if (!cur) return;
    const sectionText = cur.lines.join("\n");
    const own = HEADING.test(cur.lines[0]!) ? null : heading;
    if (sectionText.trim() && out.length < SECTIONS_PER_FILE - 1)
      out.push({ start: cur.start, end: cur.start + cur.lines.length - 1, text: sectionText, heading: own });
    cur = null;
  };
  lines.forEach((line, i) => {
    const isFence = FENCE.test(line);
    if (!inFence && (line.trim() === "" || HEADING.test(line))) close();
    if (!inFence && HEADING.test(line)) heading = line.trim();
    if (inFence || line.trim() !== "") {
      cur ??= { start: i + 1, lines: [], chars: 0 };
      cur.lines.push(line);
      cur.chars += line.length + 1;
    }
    if (isFence) inFence = !inFence;
    if (!inFence && cur && cur.chars >= MAX_SECTION_CHARS) close();
  });
  close();
  return out;
}

/** True when `real` is `root` or inside it (both real paths). */
export function isInside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** True for the workspace-relative paths that are notes: `MEMORY.md`, `memory/**\/*.md`. */
export function isNotePath(rel: string): boolean {
  if (rel.includes("\0") || rel.includes("\\")) return false;
  if (rel === "MEMORY.md") return true;
  const parts = rel.split("/");
  return parts[0] === "memory" && parts.length >= 2 && rel.endsWith(".md") && parts.every((p) => p !== "" && p !== "." && p !== "..");
}

/** A note file found by the walk: its workspace-relative path and what decides a re-read. */
interface FoundNote {
  rel: string;
  mtimeMs: number;
  size: number;
}

/** The notes under a workspace (real path), confined and capped. */
function findNotes(root: string): FoundNote[] {
  const found: FoundNote[] = [];
  const consider = (abs: string, rel: string): void => {
    const st = confinedStat(root, abs);
    if (st?.isFile() && st.size <= MAX_NOTE_BYTES && found.length < MAX_NOTE_FILES) found.push({ rel, mtimeMs: Math.trunc(st.mtimeMs), size: st.size });
  };
  consider(path.join(root, "MEMORY.md"), "MEMORY.md");
  const walk = (abs: string, rel: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (found.length >= MAX_NOTE_FILES) return;
      const childAbs = path.join(abs, e.name);
      const childRel = `${rel}/${e.name}`;
      // Directories are walked only when they are real ones: a symlinked directory could loop or lead out.
      if (e.isDirectory() && !e.name.startsWith(".") && depth < MAX_DEPTH) walk(childAbs, childRel, depth + 1);
      else if ((e.isFile() || e.isSymbolicLink()) && e.name.endsWith(".md")) consider(childAbs, childRel);
    }
  };
  const memoryDir = path.join(root, "memory");
  if (confinedStat(root, memoryDir)?.isDirectory()) walk(memoryDir, "memory", 1);
  return found;
}

/** stat of `abs` when its real path is inside `root`; null otherwise or when it is missing. */
function confinedStat(root: string, abs: string): fs.Stats | null {
  try {
    const real = fs.realpathSync(abs);
    return isInside(root, real) ? fs.statSync(real) : null;
  } catch {
    return null;
  }
}

/**
 * Reads a note, confined: the real path must be inside `root`, the opened file must be a regular
 * file of at most MAX_NOTE_BYTES, and /proc/self/fd must agree that what was opened is inside.
 * Null when any of that fails.
 */
export function readNote(root: string, rel: string): { text: string; mtimeMs: number } | null {
  let fd: number | null = null;
  try {
    const real = fs.realpathSync(path.join(root, rel));
    if (!isInside(root, real)) return null;
    // O_NONBLOCK: a FIFO swapped in after the check must not block the event loop on open.
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_NOTE_BYTES) return null;
    let opened: string | null = null;
    try {
      opened = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      opened = null; // no /proc: the realpath check above stands alone
    }
    if (opened !== null && !isInside(root, opened)) return null;
    const buf = Buffer.alloc(st.size);
    const n = st.size ? fs.readSync(fd, buf, 0, st.size, 0) : 0;
    return { text: buf.subarray(0, n).toString("utf8"), mtimeMs: Math.trunc(st.mtimeMs) };
  } catch {
    return null;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

function deleteNoteRows(store: StoreHandle, noteRowid: number): void {
  const base = NOTE_BASE + noteRowid * SECTIONS_PER_FILE;
  store.prepare("DELETE FROM memory_fts WHERE rowid BETWEEN ? AND ?").run(base, base + SECTIONS_PER_FILE - 1);
}

/**
 * Brings the index of the workspace's notes up to date: new and changed files are read and
 * indexed again, removed ones dropped; a different workspace than last time starts over. Cheap
 * when nothing changed (a stat per note, no write). Returns what it did.
 */
export function refreshNotes(store: StoreHandle, workspace: string, now: number): { indexed: number; removed: number } {
  let root: string | null;
  try {
    root = fs.realpathSync(workspace);
  } catch {
    root = null; // no workspace (yet): no notes
  }
  const found = root ? findNotes(root) : [];
  const known = store.prepare("SELECT rowid AS id, path, mtime_ms AS mtimeMs, size FROM memory_notes").all() as Array<{
    id: number;
    path: string;
    mtimeMs: number;
    size: number;
  }>;
  const lastRoot = (store.prepare("SELECT value FROM meta WHERE key = ?").get(META_ROOT) as { value: string } | undefined)?.value ?? null;
  const sameRoot = root !== null && lastRoot === root;
  const byPath = new Map(known.map((k) => [k.path, k]));
  const stale = found.filter((f) => {
    const k = byPath.get(f.rel);
    return !sameRoot || !k || k.mtimeMs !== f.mtimeMs || k.size !== f.size;
  });
  const present = new Set(found.map((f) => f.rel));
  const gone = sameRoot ? known.filter((k) => !present.has(k.path)) : known;
  if (!stale.length && !gone.length && (sameRoot || root === null)) return { indexed: 0, removed: 0 };
  // Files are read before the write: the write group stays short, with no file I/O inside it.
  const contents = stale.map((f) => ({ f, note: root ? readNote(root, f.rel) : null }));
  store
    .grouped(() => {
      if (root !== null && !sameRoot)
        store.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(META_ROOT, root);
      for (const k of gone) {
        deleteNoteRows(store, k.id);
        store.prepare("DELETE FROM memory_notes WHERE rowid = ?").run(k.id);
      }
      for (const { f, note } of contents) {
        if (!note) {
          // Vanished or unreadable between the walk and the read: left out, and tried again at the next refresh.
          const k = byPath.get(f.rel);
          if (k && sameRoot) {
            deleteNoteRows(store, k.id);
            store.prepare("DELETE FROM memory_notes WHERE rowid = ?").run(k.id);
          }
          continue;
        }
        const row = store
          .prepare(
            `INSERT INTO memory_notes (path, mtime_ms, size, indexed_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (path) DO UPDATE SET mtime_ms = excluded.mtime_ms, size = excluded.size, indexed_at = excluded.indexed_at RETURNING rowid AS id`,
          )
          .get(f.rel, f.mtimeMs, f.size, now) as { id: number };
        deleteNoteRows(store, row.id);
        const base = NOTE_BASE + row.id * SECTIONS_PER_FILE;
        const insert = store.prepare("INSERT INTO memory_fts (rowid, content, source, ref, created_at) VALUES (?, ?, 'note', ?, ?)");
        splitSections(note.text).forEach((s, i) =>
          insert.run(base + i, s.heading ? `${s.heading}\n${s.text}` : s.text, `note:${f.rel}#L${s.start}`, note.mtimeMs),
        );
      }
    })
    .durable.catch(() => {}); // derived data: a failed group is the pipeline's to report, and the next refresh redoes it
  return { indexed: stale.length, removed: gone.length };
}
