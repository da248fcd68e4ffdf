/**
 * The journal of `doctor --fix`: a backup dir per run (`<stateDir>/backups/doctor-<stamp>/`,
 * 0700) holding whatever a fix moved away, `changes.json` (every change with its before and
 * after) and `undo.sh`, which puts every change back.
 */
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../../shared/fs-atomic.ts";
import type { FixJournalLike, FixRecord } from "./types.ts";

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** The shell line that reverts one change. */
function undoLine(r: FixRecord): string {
  if (r.action === "chmod") return `chmod ${r.before} ${quote(r.path)}`;
  if (r.backup) return `[ -e ${quote(r.path)} ] || mv ${quote(r.backup)} ${quote(r.path)}`;
  return `# cannot undo automatically: ${r.action} ${r.path}`;
}

export class FixJournal implements FixJournalLike {
  readonly records: FixRecord[] = [];
  private dir: string | null = null;
  private readonly stateDir: string;
  private readonly now: number;

  constructor(stateDir: string, now: number) {
    this.stateDir = stateDir;
    this.now = now;
  }

  /** Creates the backup dir on first use. */
  backupDir(): string {
    if (this.dir) return this.dir;
    const base = path.join(this.stateDir, "backups", `doctor-${stamp(this.now)}`);
    let dir = base;
    for (let i = 2; fs.existsSync(dir); i++) dir = `${base}-${i}`;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.dir = dir;
    return dir;
  }

  record(r: FixRecord): void {
    this.records.push(r);
  }

  /** Writes changes.json and undo.sh; returns the backup dir, or null when nothing changed. */
  finish(): string | null {
    if (this.records.length === 0) return null;
    const dir = this.backupDir();
    writeFileAtomic(path.join(dir, "changes.json"), `${JSON.stringify({ at: new Date(this.now).toISOString(), changes: this.records }, null, 2)}\n`, {
      mode: 0o600,
    });
    // Undo in reverse order, so a file is back before its directory's mode is restored.
    const undo = ["#!/bin/sh", "# Reverts what `onebrain doctor --fix` changed in this run.", "set -e", ...[...this.records].reverse().map(undoLine), ""].join(
      "\n",
    );
    writeFileAtomic(path.join(dir, "undo.sh"), undo, { mode: 0o700, forceMode: true });
    return dir;
  }
}
