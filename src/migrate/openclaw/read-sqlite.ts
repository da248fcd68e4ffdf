/**
 * OpenClaw's SQLite layout (2026.7.2 and later): `state/openclaw.sqlite` (cron jobs, pairing
 * allowlists, the default agent's auth store) and one `agents/<id>/agent/openclaw-agent.sqlite`
 * per agent (session_nodes, session_windows, transcript_events; events of 1 KiB-4 MiB are
 * zstd-compressed). Each database is copied (with its -wal) into a private temp dir and opened
 * there: a reader of a WAL database writes its -shm, and the source must stay byte for byte as
 * it was. Only the columns read are required; a missing one is a newer layout (or not OpenClaw's).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import zlib from "node:zlib";
import { OnebrainError } from "../../shared/errors.ts";
import { MAX_LINE_BYTES, type RawLine } from "./lines.ts";
import { asObject, asText, entryHints, type SourceAuthStore, type SourceCronJob, type SourcePairing, type SourceSession } from "./snapshot.ts";

/** The schema versions this import was written against (OpenClaw 2026.9.6). */
export const KNOWN_AGENT_SCHEMA = 23;
export const KNOWN_STATE_SCHEMA = 18;

/** Private copies of the source's databases, removed by `close`. */
export class DatabaseCopies {
  private dir: string | null = null;
  private readonly open: DatabaseSync[] = [];

  /** Opens a copy of `file` (and its WAL, so unfolded writes are seen). */
  openCopy(file: string): DatabaseSync {
    this.dir ??= fs.mkdtempSync(path.join(os.tmpdir(), "onebrain-import-"));
    const copy = path.join(this.dir, `${this.open.length}-${path.basename(file)}`);
    try {
      fs.copyFileSync(file, copy);
      const wal = `${file}-wal`;
      if ((fs.statSync(wal, { throwIfNoEntry: false })?.size ?? 0) > 0) fs.copyFileSync(wal, `${copy}-wal`);
    } catch (err) {
      throw unreadable(file, `it cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err);
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(copy);
      db.prepare("SELECT count(*) FROM sqlite_master").get();
    } catch (err) {
      throw unreadable(file, `it is not a readable SQLite database (${(err as Error).message})`, err);
    }
    this.open.push(db);
    return db;
  }

  close(): void {
    for (const db of this.open.splice(0)) {
      try {
        db.close();
      } catch {
        // already closed
      }
    }
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

function unreadable(file: string, why: string, cause?: unknown): OnebrainError {
  return new OnebrainError("IMPORT_SOURCE_UNREADABLE", `Cannot import from ${file}: ${why}. Nothing was imported.`, {
    details: { file },
    hint: "If OpenClaw itself still opens it, run `openclaw doctor` there; otherwise restore that file from a backup, or import without it (`--from` a copy of the dir without the file).",
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** A database's schema version (schema_meta 'primary'), or null. */
function schemaOf(db: DatabaseSync): { version: number | null; app: string | undefined } {
  try {
    const r = db.prepare("SELECT schema_version, app_version FROM schema_meta WHERE meta_key = 'primary'").get() as
      | { schema_version: number; app_version: string | null }
      | undefined;
    return { version: r?.schema_version ?? null, app: r?.app_version ?? undefined };
  } catch {
    return { version: null, app: undefined };
  }
}

function columns(db: DatabaseSync, table: string): Set<string> {
  return new Set((db.prepare(`PRAGMA table_info("${table}")`).all() as Array<{ name: string }>).map((c) => c.name));
}

/** Checks that `table` has `needed` columns; a missing one is a newer layout (above `known`) or not OpenClaw's. */
function need(db: DatabaseSync, file: string, table: string, needed: readonly string[], version: number | null, known: number): Set<string> {
  const have = columns(db, table);
  const missing = have.size === 0 ? [`table ${table}`] : needed.filter((c) => !have.has(c)).map((c) => `${table}.${c}`);
  if (!missing.length) return have;
  if (version !== null && version > known)
    throw new OnebrainError(
      "IMPORT_SOURCE_TOO_NEW",
      `Cannot import from ${file}: its schema version ${version} is newer than the ${known} this onebrain reads, and ${missing.join(", ")} is gone. Nothing was imported.`,
      { details: { file, schemaVersion: version, knownVersion: known, missing }, hint: "Update onebrain (a newer release may read it)." },
    );
  throw unreadable(file, `it is not an OpenClaw database this onebrain reads (${missing.join(", ")} missing; schema version ${version ?? "unknown"})`);
}

function parseJson(text: unknown): Record<string, unknown> | null {
  if (typeof text !== "string") return null;
  try {
    return asObject(JSON.parse(text));
  } catch {
    return null;
  }
}

function* eventLines(db: DatabaseSync, sessionId: string, zstd: boolean): Generator<RawLine> {
  const sql = `SELECT seq, event_json, ${zstd ? "event_zstd" : "NULL AS event_zstd"} FROM transcript_events WHERE session_id = ? ORDER BY seq`;
  const rows = db.prepare(sql).iterate(sessionId) as Iterable<{
    seq: number;
    event_json: string | null;
    event_zstd: Uint8Array | null;
  }>;
  for (const r of rows) {
    const n = r.seq + 1;
    if (r.event_json !== null) {
      const bytes = Buffer.byteLength(r.event_json);
      yield bytes > MAX_LINE_BYTES ? { n, tooBig: bytes } : { n, text: r.event_json };
    } else if (r.event_zstd !== null) {
      try {
        yield { n, text: zlib.zstdDecompressSync(Buffer.from(r.event_zstd), { maxOutputLength: MAX_LINE_BYTES }).toString("utf8") };
      } catch (err) {
        yield err instanceof RangeError
          ? { n, tooBig: MAX_LINE_BYTES + 1 }
          : { n, problem: `its compressed event cannot be decoded (${(err as Error).message})` };
      }
    }
  }
}

/** The sessions of one agent database: every window (generation) of every key. */
export function readAgentDatabase(agentId: string, file: string, db: DatabaseSync): { sessions: SourceSession[]; schema: number | null; app?: string } {
  const { version, app } = schemaOf(db);
  need(db, file, "session_nodes", ["session_key", "current_session_id", "entry_json"], version, KNOWN_AGENT_SCHEMA);
  const events = need(db, file, "transcript_events", ["session_id", "seq", "event_json"], version, KNOWN_AGENT_SCHEMA);
  const zstd = events.has("event_zstd");
  const win = columns(db, "session_windows");
  const col = (c: string) => (win.has(c) ? c : `NULL AS ${c}`);
  const nodes = db.prepare("SELECT session_key, current_session_id, entry_json FROM session_nodes ORDER BY session_key").all() as Array<{
    session_key: string;
    current_session_id: string;
    entry_json: string;
  }>;
  type Win = {
    session_id: string;
    session_key: string;
    created_at: number | null;
    updated_at: number | null;
    channel: string | null;
    account_id: string | null;
    chat_type: string | null;
  };
  const windows = win.has("session_id")
    ? (db
        .prepare(
          `SELECT session_id, session_key, ${col("created_at")}, ${col("updated_at")}, ${col("channel")}, ${col("account_id")}, ${col("chat_type")} FROM session_windows ORDER BY ${win.has("created_at") ? "created_at" : "rowid"}`,
        )
        .all() as Win[])
    : [];
  const where = `${file}`;
  const sessions: SourceSession[] = [];
  for (const node of nodes) {
    const entry = parseJson(node.entry_json) ?? {};
    const own = windows.filter((w) => w.session_key === node.session_key);
    if (!own.some((w) => w.session_id === node.current_session_id))
      own.push({
        session_id: node.current_session_id,
        session_key: node.session_key,
        created_at: null,
        updated_at: null,
        channel: null,
        account_id: null,
        chat_type: null,
      });
    for (const w of own) {
      const current = w.session_id === node.current_session_id;
      const hints = entryHints(current ? entry : {});
      sessions.push({
        agentId,
        key: node.session_key,
        sessionId: w.session_id,
        current,
        entry: current ? entry : {},
        hints: {
          channel: hints.channel ?? w.channel ?? undefined,
          accountId: hints.accountId ?? w.account_id ?? undefined,
          chatType: hints.chatType ?? w.chat_type ?? undefined,
        },
        startedAt: (current ? (entry.sessionStartedAt as number | undefined) : undefined) ?? w.created_at,
        updatedAt: (current ? (entry.updatedAt as number | undefined) : undefined) ?? w.updated_at,
        where: `${where} (session ${w.session_id})`,
        lines: () => eventLines(db, w.session_id, zstd),
      });
    }
  }
  return { sessions, schema: version, ...(app ? { app } : {}) };
}

/** An agent database's auth store (table auth_profile_store, key 'primary'), if it has one. */
export function readAgentAuth(agentId: string, file: string, db: DatabaseSync): SourceAuthStore | null {
  if (!columns(db, "auth_profile_store").has("store_json")) return null;
  const row = db.prepare("SELECT store_json FROM auth_profile_store WHERE store_key = 'primary'").get() as { store_json: string } | undefined;
  const profiles = asObject(parseJson(row?.store_json)?.profiles);
  return profiles ? { agentId, profiles: profiles as Record<string, Record<string, unknown>>, where: file } : null;
}

/** What the state database holds for an import: cron jobs, pairing allowlists, the shared auth store. */
export function readStateDatabase(
  file: string,
  db: DatabaseSync,
  defaultAgent: string,
): { cron: SourceCronJob[]; pairing: SourcePairing[]; pending: number; auth: SourceAuthStore | null; schema: number | null; app?: string } {
  const { version, app } = schemaOf(db);
  need(db, file, "cron_jobs", ["job_id", "declaration_key", "enabled", "job_json"], version, KNOWN_STATE_SCHEMA);
  need(db, file, "channel_pairing_allow_entries", ["channel_key", "account_id", "entry"], version, KNOWN_STATE_SCHEMA);
  const cron: SourceCronJob[] = [];
  for (const r of db.prepare("SELECT declaration_key, enabled, job_json FROM cron_jobs ORDER BY sort_order, job_id").all() as Array<{
    declaration_key: string | null;
    enabled: number;
    job_json: string;
  }>) {
    const job = parseJson(r.job_json);
    if (job) cron.push({ job: { ...job, enabled: r.enabled === 1 }, declarationKey: r.declaration_key ?? asText(job.declarationKey) ?? null });
  }
  const pairing = (
    db.prepare("SELECT channel_key, account_id, entry FROM channel_pairing_allow_entries ORDER BY channel_key, account_id, sort_order").all() as Array<{
      channel_key: string;
      account_id: string;
      entry: string;
    }>
  ).map((r) => ({ channel: r.channel_key, account: r.account_id || "default", entry: r.entry }));
  const pending = columns(db, "channel_pairing_requests").size
    ? (db.prepare("SELECT count(*) AS n FROM channel_pairing_requests").get() as { n: number }).n
    : 0;
  let auth: SourceAuthStore | null = null;
  if (columns(db, "config_machine_state").has("value_json")) {
    const row = db.prepare("SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.store'").get() as { value_json: string } | undefined;
    const profiles = asObject(parseJson(row?.value_json)?.profiles);
    if (profiles) auth = { agentId: defaultAgent, profiles: profiles as Record<string, Record<string, unknown>>, where: `${file} (shared auth store)` };
  }
  return { cron, pairing, pending, auth, schema: version, ...(app ? { app } : {}) };
}
