/**
 * Real brains for the migrate tests: a state dir with a config and a database whose
 * conversations are made by the pipeline's own store functions (ingest, claim, finish), so the
 * rows are exactly what a gateway writes.
 */
import fs from "node:fs";
import path from "node:path";
import { ingestBatch } from "../../src/brain/inbox.ts";
import { claimNext, finishRun } from "../../src/brain/runs.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { tmpDir, writeConfig } from "../helpers/gateway.ts";

// Idle expiry of a year: a test's fixed clock never ends a session by accident.
const policy = { mode: "idle" as const, atHour: 4, idleMinutes: 525_600 };

/** A fresh state dir path inside its own temp home (not created). */
export function stateDirIn(name: string): string {
  return path.join(tmpDir("onebrain-migrate-"), name);
}

/** Creates a brain: config (if given) and a database opened with `fill`. */
export function makeBrain(stateDir: string, config: unknown, fill?: (store: Store) => void): void {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  if (config !== null) writeConfig(stateDir, config);
  if (!fill) return;
  const store = openStore(path.join(stateDir, "brain.db"));
  try {
    fill(store);
  } finally {
    store.close();
  }
}

/** One exchange per text under `key`: inbound row, claimed run, user line, reply line, outbox row. `/new` ends the session. */
export function converse(store: Store, key: string, texts: string[], at: number, opts: { finish?: boolean } = {}): void {
  texts.forEach((text, i) => {
    const now = at + i * 1000;
    ingestBatch(store, "webchat", "default", { messages: [{ messageId: `${key}|${now}`, kind: "dm", peer: key, sender: "ada", text }] }, () => key, now);
    const run = claimNext(store, { defaultAgentId: "main", historyLimit: 50, policy, epoch: 1, now, busy: new Set() });
    if (!run) throw new Error("nothing to claim");
    if (opts.finish === false) return;
    const outcome = run.command
      ? { kind: "notice" as const, text: "session reset", state: "done" as const }
      : { kind: "reply" as const, text: `echo: ${text}`, model: "fake/echo" };
    finishRun(store, run, outcome, 1, now + 500);
  });
}

/** Sessions as comparable tuples: key, start, ended?, message count. */
export function sessionRows(file: string): Array<{ key: string; startedAt: number; live: boolean; count: number }> {
  const store = openStore(file);
  try {
    return (
      store.db.prepare("SELECT session_key, started_at, ended_at, message_count FROM sessions ORDER BY session_key, started_at").all() as Array<
        Record<string, number | string | null>
      >
    ).map((r) => ({
      key: String(r.session_key),
      startedAt: Number(r.started_at),
      live: r.ended_at === null,
      count: Number(r.message_count),
    }));
  } finally {
    store.close();
  }
}

/** The transcript of a key across its sessions as `role: content` lines, in session then message order. */
export function transcriptOf(file: string, key: string): string[] {
  const store = openStore(file);
  try {
    return (
      store.db
        .prepare("SELECT m.role, m.content FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.session_key = ? ORDER BY s.started_at, m.id")
        .all(key) as Array<{ role: string; content: string }>
    ).map((m) => `${m.role}: ${m.content}`);
  } finally {
    store.close();
  }
}

/** Rows that break a foreign key (PRAGMA foreign_key_check), as text. */
export function foreignKeyProblems(file: string): unknown[] {
  const store = openStore(file);
  try {
    return store.db
      .prepare("PRAGMA foreign_key_check")
      .all()
      .map((r) => ({ ...r }));
  } finally {
    store.close();
  }
}
