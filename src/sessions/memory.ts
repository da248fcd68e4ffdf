/**
 * Memory: full-text search over the brain's transcripts and the workspace's notes, in the same
 * SQLite database (`memory_fts`, FTS5, migration 005). Transcript lines (user and assistant) are
 * indexed by the search itself (indexTranscripts: the lines since the last one, off the chat
 * path), so a line is searchable as soon as it is appended;
 * notes are indexed by `memory-notes.ts`, refreshed at most every NOTES_REFRESH_MS by a search.
 *
 * A query is never handed to FTS5 as syntax. It is cut into words (runs of letters, digits and
 * marks, as FTS5's unicode61 tokenizer cuts the text; at most 16 words from the first 2,000
 * characters), each quoted as an FTS5 string, so `NEAR(`, `*`, `AND`, `col:` and quotes are plain
 * text or nothing. Words of three characters or more match as prefixes (`meet` finds `meeting`).
 * All words must match (implicit AND); when that finds nothing, any word may (OR). Hits are
 * ordered by bm25 rank. Limits: no stemming (`ran` does not find `run`), and a run of CJK text
 * is one token to unicode61, so a CJK word inside a longer run is found only as its start.
 */
import type { StoreHandle } from "../store/handle.ts";
import { isNotePath, readNote, refreshNotes, splitSections } from "./memory-notes.ts";
import fs from "node:fs";

/** One hit of a memory search. */
export interface MemoryHit {
  /** `transcript` or `note`. */
  source: string;
  /** `msg:<id>` or `note:<path>#L<line>`: what memory_get takes. */
  ref: string;
  /** The matching passage, matches between `**`, cuts marked `…`. */
  snippet: string;
  /** When the line was written, or the note file's mtime (epoch ms). */
  createdAt: number | null;
}

/** Hits returned when the caller names no limit, and the most it may ask for. */
export const DEFAULT_MEMORY_LIMIT = 8;
export const MAX_MEMORY_LIMIT = 50;
/** A search looks at the notes again at most this often (a stat per note when nothing changed). */
export const NOTES_REFRESH_MS = 2000;
/** Query text looked at, terms kept, characters per term: a 10 KB query costs what a short one does. */
const MAX_QUERY_CHARS = 2000;
const MAX_TERMS = 16;
const MAX_TERM_CHARS = 64;
/** Largest content memory_get returns. */
const MAX_GET_CHARS = 20_000;

// What unicode61 keeps as token characters (letters, digits, marks); everything else separates
// words there and here, so `content:heron`, `NEAR(` or `2026-12-01` become plain words.
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** The query's words, each an FTS5 string (quoted; prefix-matched at three characters or more). */
export function ftsTerms(query: string): string[] {
  const seen = new Set<string>();
  for (const m of query.slice(0, MAX_QUERY_CHARS).matchAll(WORD)) {
    seen.add(m[0].slice(0, MAX_TERM_CHARS).toLowerCase());
    if (seen.size >= MAX_TERMS) break;
  }
  return [...seen].map((t) => `"${t}"${t.length >= 3 ? "*" : ""}`);
}

const lastRefresh = new WeakMap<StoreHandle, { workspace: string; at: number }>();

/** Refreshes the notes index of `workspace` unless that was done within NOTES_REFRESH_MS. */
function maybeRefresh(store: StoreHandle, workspace: string, now: number): void {
  const last = lastRefresh.get(store);
  if (last && last.workspace === workspace && now - last.at >= 0 && now - last.at < NOTES_REFRESH_MS) return;
  refreshNotes(store, workspace, now);
  lastRefresh.set(store, { workspace, at: now });
}

/** Transcript lines indexed per statement batch while catching up. */
const CATCH_UP_BATCH = 2000;

/**
 * Brings the transcript index up to date: user and assistant lines newer than meta
 * 'memory_fts_upto' are added (in the current group's transaction). Indexing at search time
 * instead of on every insert keeps the chat path free of FTS work; a brain that never searches
 * never pays for it. Returns how many lines were indexed.
 */
export function indexTranscripts(store: StoreHandle): number {
  let indexed = 0;
  store.grouped(() => {
    const mark = store.prepare("SELECT value FROM meta WHERE key = 'memory_fts_upto'");
    const page = store.prepare("SELECT id, role, content, created_at AS createdAt FROM messages WHERE id > ? ORDER BY id LIMIT ?");
    const insert = store.prepare("INSERT OR REPLACE INTO memory_fts (rowid, content, source, ref, created_at) VALUES (?, ?, 'transcript', ?, ?)");
    let upto = Number((mark.get() as { value: string } | undefined)?.value ?? 0);
    for (;;) {
      const rows = page.all(upto, CATCH_UP_BATCH) as Array<{ id: number; role: string; content: string; createdAt: number }>;
      for (const r of rows) {
        if ((r.role === "user" || r.role === "assistant") && r.content !== "") {
          insert.run(r.id, r.content, `msg:${r.id}`, r.createdAt);
          indexed++;
        }
      }
      if (rows.length === 0) break;
      upto = rows.at(-1)!.id;
      if (rows.length < CATCH_UP_BATCH) break;
    }
    store.prepare("INSERT INTO meta (key, value) VALUES ('memory_fts_upto', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(upto));
  });
  return indexed;
}

/**
 * Searches transcripts (and the workspace's notes when `workspace` is given) for `query`, best
 * first; with `agentId`, only the transcripts of that agent's sessions. Never throws for any
 * query text: one without a word or number finds nothing.
 *
 * The notes index holds one workspace at a time: a search with another workspace (another
 * agent's) indexes that one afresh, so each search sees exactly its own workspace's notes.
 */
export function searchMemory(
  store: StoreHandle,
  query: string,
  o: { limit?: number; workspace?: string | null; agentId?: string | null; now?: number } = {},
): MemoryHit[] {
  const limit = Math.min(MAX_MEMORY_LIMIT, Math.max(1, Math.trunc(Number.isFinite(o.limit) ? o.limit! : DEFAULT_MEMORY_LIMIT)));
  if (o.workspace) maybeRefresh(store, o.workspace, o.now ?? Date.now());
  indexTranscripts(store);
  const terms = ftsTerms(query);
  if (!terms.length) return [];
  // Without a workspace, note rows (of whatever workspace was indexed last) are left out. A
  // transcript row's rowid is its message's id: its session says whose it is.
  const stmt = store.prepare(
    `SELECT source, ref, snippet(memory_fts, 0, '**', '**', '…', 24) AS snippet, created_at AS createdAt
     FROM memory_fts WHERE memory_fts MATCH ? AND (? OR source <> 'note')
       AND (source <> 'transcript' OR ? IS NULL
            OR EXISTS (SELECT 1 FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.id = memory_fts.rowid AND s.agent_id = ?))
     ORDER BY rank LIMIT ?`,
  );
  const withNotes = o.workspace ? 1 : 0;
  const agent = o.agentId ?? null;
  const all = stmt.all(terms.join(" "), withNotes, agent, agent, limit) as unknown as MemoryHit[];
  if (all.length || terms.length === 1) return all;
  return stmt.all(terms.join(" OR "), withNotes, agent, agent, limit) as unknown as MemoryHit[];
}

function cut(text: string): string {
  return text.length <= MAX_GET_CHARS ? text : `${text.slice(0, MAX_GET_CHARS)}\n… (cut at ${MAX_GET_CHARS} of ${text.length} characters)`;
}

/**
 * One memory entry by the ref a search returned: `msg:<id>` gives that transcript line (role,
 * session, time, text); `note:<path>#L<n>` reads the note again and gives the section holding
 * line n (its ref then names where that section starts now). Null for a malformed ref, a line
 * that is not a user or assistant line (or, with `agentId`, not of that agent's sessions), a path
 * that is not a note, or a note outside the workspace or gone.
 */
export function getMemory(store: StoreHandle, ref: string, workspace: string | null, agentId: string | null = null): { ref: string; content: string } | null {
  const msg = /^msg:(\d{1,15})$/.exec(ref);
  if (msg) {
    const row = store
      .prepare(
        `SELECT m.role, m.content, m.created_at AS createdAt, s.session_key AS sessionKey FROM messages m JOIN sessions s ON s.id = m.session_id
         WHERE m.id = ? AND m.role IN ('user', 'assistant') AND (? IS NULL OR s.agent_id = ?)`,
      )
      .get(Number(msg[1]), agentId, agentId) as { role: string; content: string; createdAt: number; sessionKey: string } | undefined;
    if (!row) return null;
    return { ref, content: cut(`${row.role} in ${row.sessionKey} at ${new Date(row.createdAt).toISOString()}:\n${row.content}`) };
  }
  const note = /^note:(.{1,1024})#L(\d{1,7})$/s.exec(ref);
  if (!note || !workspace || !isNotePath(note[1]!)) return null;
  let root: string;
  try {
    root = fs.realpathSync(workspace);
  } catch {
    return null;
  }
  const file = readNote(root, note[1]!);
  if (!file) return null;
  const line = Number(note[2]);
  const section = splitSections(file.text).find((s) => s.start <= line && line <= s.end);
  if (!section) return null;
  return { ref: `note:${note[1]}#L${section.start}`, content: cut(`${note[1]} lines ${section.start}-${section.end}:\n${section.text}`) };
}
