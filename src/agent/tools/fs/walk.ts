/**
 * The tree walk behind list, grep and glob: depth first, names sorted, every directory opened
 * through the checks of `open.ts`. Symbolic links are reported, never descended into, so a walk can
 * neither leave the workspace nor loop through a link; a directory met twice (a bind mount) is read
 * once. Bounded by depth, entries seen, a deadline and the run's signal.
 */
import type fs from "node:fs";
import path from "node:path";
import { isRefusal } from "./confine.ts";
import { readDirChecked } from "./open.ts";

/** What a walked entry is, from its directory entry (no link followed). */
export type EntryKind = "file" | "dir" | "symlink" | "other";

/** One entry met by the walk. */
export interface WalkEntry {
  /** Relative to the workspace. */
  rel: string;
  /** Real path (the directories above it are real; the entry itself may be a link). */
  abs: string;
  kind: EntryKind;
  /** 1 for the root's own entries. */
  depth: number;
  dirent: fs.Dirent;
}

/** Bounds of one walk. */
export interface WalkLimits {
  maxDepth: number;
  maxEntries: number;
  /** Epoch milliseconds after which the walk stops. */
  deadline: number;
  signal: AbortSignal;
  /** True for a directory not to descend into (it is still reported). */
  skipDir?: (name: string, rel: string) => boolean;
  now?: () => number;
}

/** How a walk went, filled in as it runs. */
export interface WalkReport {
  stopped: null | "entries" | "time" | "cancelled";
  /** Directories that could not be read (relative paths). */
  unreadable: string[];
}

/** A new, empty report. */
export function walkReport(): WalkReport {
  return { stopped: null, unreadable: [] };
}

/** The kind of a directory entry. */
export function kindOf(d: fs.Dirent): EntryKind {
  if (d.isDirectory()) return "dir";
  if (d.isFile()) return "file";
  if (d.isSymbolicLink()) return "symlink";
  return "other";
}

const byName = (a: fs.Dirent, b: fs.Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Walks the directory at real path `abs` (`rel` relative to the workspace `ws`), reporting into `report`. */
export async function* walk(ws: string, abs: string, rel: string, limits: WalkLimits, report: WalkReport): AsyncGenerator<WalkEntry> {
  const now = limits.now ?? Date.now;
  const seen = new Set<string>();
  let count = 0;

  async function* visit(dirAbs: string, dirRel: string, depth: number): AsyncGenerator<WalkEntry> {
    const listing = await readDirChecked(ws, dirRel, dirAbs);
    if (isRefusal(listing)) {
      report.unreadable.push(dirRel);
      return;
    }
    if (seen.has(listing.id)) return;
    seen.add(listing.id);
    for (const d of listing.entries.sort(byName)) {
      if (report.stopped) return;
      if (limits.signal.aborted) report.stopped = "cancelled";
      else if (++count > limits.maxEntries) report.stopped = "entries";
      else if (now() > limits.deadline) report.stopped = "time";
      if (report.stopped) return;
      const entry: WalkEntry = { rel: dirRel === "." ? d.name : `${dirRel}/${d.name}`, abs: path.join(dirAbs, d.name), kind: kindOf(d), depth, dirent: d };
      yield entry;
      if (entry.kind === "dir" && depth < limits.maxDepth && !limits.skipDir?.(d.name, entry.rel)) yield* visit(entry.abs, entry.rel, depth + 1);
    }
  }

  yield* visit(abs, rel, 1);
}

/** A sentence on why a walk stopped early, or "" when it did not. */
export function stoppedNote(report: WalkReport, maxEntries: number): string {
  switch (report.stopped) {
    case "entries":
      return `The walk stopped after ${maxEntries} entries; give a narrower path or pattern.`;
    case "time":
      return "The walk stopped at its time limit; give a narrower path or pattern.";
    case "cancelled":
      return "The run was cancelled during the walk.";
    default:
      return "";
  }
}
