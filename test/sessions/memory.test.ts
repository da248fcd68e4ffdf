import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { openStore, type Store } from "../../src/store/db.ts";
import { appendMessage, liveSession } from "../../src/sessions/store.ts";
import { ftsTerms, getMemory, MAX_MEMORY_LIMIT, NOTES_REFRESH_MS, searchMemory } from "../../src/sessions/memory.ts";
import { splitSections } from "../../src/sessions/memory-notes.ts";
import { tmpDir } from "../helpers/gateway.ts";

const policy = { mode: "idle" as const, atHour: 4, idleMinutes: 100_000 };
const T0 = Date.UTC(2026, 11, 1, 9, 0);

function fresh(): { store: Store; say: (role: "user" | "assistant" | "notice", text: string, key?: string) => number; ws: string } {
  const dir = tmpDir();
  const store = openStore(path.join(dir, "brain.db"));
  const ws = path.join(dir, "workspace");
  fs.mkdirSync(path.join(ws, "memory"), { recursive: true });
  const say = (role: "user" | "assistant" | "notice", text: string, key = "agent:main:main"): number => {
    const s = liveSession(store, key, "main", T0, policy);
    return appendMessage(store, { sessionId: s.id, role, content: text, now: T0 });
  };
  return { store, say, ws };
}

/** Writes a file and gives it an mtime of its own, so a rewrite within the same millisecond still counts as a change. */
function write(file: string, text: string, mtimeS: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.utimesSync(file, mtimeS, mtimeS);
}

test("a transcript line is searchable as soon as it is appended, with its ref, source and marked snippet", () => {
  const { store, say } = fresh();
  const id = say("user", "The blue heron nests by the lake every spring.");
  say("assistant", "Noted: spring is nesting time.");
  const hits = searchMemory(store, "heron");
  assert.equal(hits.length, 1);
  assert.deepEqual({ ...hits[0]!, snippet: undefined }, { source: "transcript", ref: `msg:${id}`, createdAt: T0, snippet: undefined });
  assert.match(hits[0]!.snippet, /\*\*heron\*\*/);
});

test("thousands of lines written since the last search are indexed by the next one, in batches", () => {
  const { store, say } = fresh();
  for (let i = 0; i < 4500; i++) say(i % 2 ? "assistant" : "user", `line ${i} ${i === 4321 ? "zebracorn" : "plain"}`);
  const hits = searchMemory(store, "zebracorn");
  assert.equal(hits.length, 1);
  assert.match(hits[0]!.snippet, /line 4321/);
  assert.equal(searchMemory(store, "plain", { limit: 50 }).length, 50);
});

test("a deleted line leaves the index, and a line that reuses its id is found by its own words", () => {
  const { store, say } = fresh();
  say("user", "keep this line about otters");
  const gone = say("user", "this line about walruses is deleted");
  assert.equal(searchMemory(store, "walruses").length, 1);
  store.prepare("DELETE FROM messages WHERE id = ?").run(gone);
  assert.equal(searchMemory(store, "walruses").length, 0);
  const reused = say("user", "a line about narwhals");
  assert.equal(reused, gone, "SQLite reuses the highest id after it is deleted");
  assert.deepEqual(
    searchMemory(store, "narwhals").map((h) => h.ref),
    [`msg:${reused}`],
  );
});

test("every word must match; when no line has them all, any word may, best first", () => {
  const { store, say } = fresh();
  const both = say("user", "apples and pears for the picnic");
  const one = say("user", "apples only");
  assert.deepEqual(
    searchMemory(store, "apples pears").map((h) => h.ref),
    [`msg:${both}`],
  );
  const any = searchMemory(store, "pears bananas").map((h) => h.ref);
  assert.deepEqual(any, [`msg:${both}`]);
  assert.equal(searchMemory(store, "apples").length, 2);
  assert.ok(searchMemory(store, "apples").some((h) => h.ref === `msg:${one}`));
});

test("words of three letters or more match as the start of longer words, regardless of case and accents", () => {
  const { store, say } = fresh();
  const id = say("assistant", "The Meeting with René is on Friday.");
  assert.deepEqual(
    searchMemory(store, "meet").map((h) => h.ref),
    [`msg:${id}`],
  );
  assert.deepEqual(
    searchMemory(store, "rene FRIDAY").map((h) => h.ref),
    [`msg:${id}`],
  );
});

test("notices are not memory: neither searchable nor readable by ref", () => {
  const { store, say } = fresh();
  const id = say("notice", "Started a new session about zeppelins.");
  assert.deepEqual(searchMemory(store, "zeppelins"), []);
  assert.equal(getMemory(store, `msg:${id}`, null), null);
});

test("hostile queries never throw: huge, punctuation only, unbalanced quotes, FTS5 syntax", () => {
  const { store, say } = fresh();
  const id = say("user", "remember the heron");
  const hostile = [
    "",
    "   ",
    "!!!???...,,,;;;",
    '"',
    '"heron',
    'heron"*',
    "NEAR(heron remember",
    "NEAR(",
    "*",
    "heron*",
    "content:heron",
    "source:transcript",
    "heron OR",
    "AND OR NOT",
    "^heron",
    "-heron",
    "(((heron",
    "{content source}: heron",
    "\u0000\u0001heron\u007f",
    "\ud800heron\udfff",
    "🦩 heron 🦩",
    "x".repeat(10_000),
    "heron ".repeat(2_000),
    "a-".repeat(5_000),
    '"'.repeat(10_000),
    "(".repeat(10_000),
  ];
  for (const q of hostile) {
    const hits = searchMemory(store, q);
    assert.ok(Array.isArray(hits), `query ${JSON.stringify(q.slice(0, 40))}`);
    if (/heron/.test(q))
      assert.ok(
        hits.some((h) => h.ref === `msg:${id}`),
        `query ${JSON.stringify(q.slice(0, 40))} finds the heron`,
      );
  }
  assert.deepEqual(ftsTerms('NEAR(a "b" c:d*'), ['"near"*', '"a"', '"b"', '"c"', '"d"']);
});

test("the number of hits is the limit asked for, at most 50, and 8 when none is named", () => {
  const { store, say } = fresh();
  for (let i = 0; i < 60; i++) say("user", `common line number ${i}`);
  assert.equal(searchMemory(store, "common", { limit: 5 }).length, 5);
  assert.equal(searchMemory(store, "common").length, 8);
  assert.equal(searchMemory(store, "common", { limit: 1000 }).length, MAX_MEMORY_LIMIT);
  assert.equal(searchMemory(store, "common", { limit: 0 }).length, 1);
  assert.equal(searchMemory(store, "common", { limit: Number.NaN }).length, 8);
});

test("a pruned session's lines leave the index with it", () => {
  const { store, say } = fresh();
  say("user", "ephemeral albatross", "agent:main:old");
  store.prepare("UPDATE sessions SET ended_at = ? WHERE session_key = 'agent:main:old'").run(T0);
  store.prepare("DELETE FROM sessions WHERE session_key = 'agent:main:old'").run();
  assert.deepEqual(searchMemory(store, "albatross"), []);
});

test("a note is split into sections at headings and blank lines; fenced code stays whole", () => {
  const text = "# Title\nintro line\n\n## Part\n\nfirst para\nsecond line\n\n```sh\n# not a heading\n\necho hi\n```\n\nlast\n";
  assert.deepEqual(
    splitSections(text).map((s) => [s.start, s.end, s.heading]),
    [
      [1, 2, null],
      [4, 4, null],
      [6, 7, "## Part"],
      [9, 13, "## Part"],
      [15, 15, "## Part"],
    ],
  );
});

test("workspace notes are indexed with file and line, read back by ref, re-indexed when changed and dropped when removed", () => {
  const { store, ws } = fresh();
  write(path.join(ws, "MEMORY.md"), "# Owner\nThe owner likes green tea.\n", 1000);
  write(path.join(ws, "memory", "2026-12.md"), "# December\n\n## Travel\n\nFlight to Lisbon on the 12th.\nHotel near the river.\n", 1000);
  let now = T0;
  const search = (q: string) => searchMemory(store, q, { workspace: ws, now: (now += NOTES_REFRESH_MS) });

  const hits = search("lisbon");
  assert.deepEqual(
    hits.map((h) => [h.source, h.ref, h.createdAt]),
    [["note", "note:memory/2026-12.md#L5", 1_000_000]],
  );
  // The heading the paragraph sits under is searchable with it.
  assert.equal(search("travel lisbon").length, 1);
  assert.deepEqual(getMemory(store, "note:memory/2026-12.md#L6", ws), {
    ref: "note:memory/2026-12.md#L5",
    content: "memory/2026-12.md lines 5-6:\nFlight to Lisbon on the 12th.\nHotel near the river.",
  });
  assert.equal(search("green tea")[0]!.ref, "note:MEMORY.md#L1");

  write(path.join(ws, "memory", "2026-12.md"), "# December\n\nFlight to Porto instead.\n", 2000);
  assert.deepEqual(search("lisbon"), []);
  assert.deepEqual(
    search("porto").map((h) => h.ref),
    ["note:memory/2026-12.md#L3"],
  );

  fs.rmSync(path.join(ws, "memory", "2026-12.md"));
  assert.deepEqual(search("porto"), []);
  assert.equal(getMemory(store, "note:memory/2026-12.md#L3", ws), null);
  assert.equal((store.prepare("SELECT count(*) AS n FROM memory_notes").get() as { n: number }).n, 1);
});

test("notes are looked at again only after the refresh interval", () => {
  const { store, ws } = fresh();
  assert.deepEqual(searchMemory(store, "quokka", { workspace: ws, now: T0 }), []);
  write(path.join(ws, "memory", "animals.md"), "A quokka smiled.\n", 1000);
  assert.deepEqual(searchMemory(store, "quokka", { workspace: ws, now: T0 + 1 }), []);
  assert.equal(searchMemory(store, "quokka", { workspace: ws, now: T0 + NOTES_REFRESH_MS }).length, 1);
});

test("notes outside the workspace are never indexed or read: symlinks out, symlinked directories, FIFOs, files over 1 MiB", () => {
  const { store, ws } = fresh();
  const outside = tmpDir();
  write(path.join(outside, "secret.md"), "zebra secret outside\n", 1000);
  fs.symlinkSync(path.join(outside, "secret.md"), path.join(ws, "memory", "out.md"));
  fs.symlinkSync(outside, path.join(ws, "memory", "linked"));
  fs.symlinkSync(path.join(outside, "secret.md"), path.join(ws, "MEMORY.md"));
  write(path.join(ws, "memory", "big.md"), `zebra ${"x".repeat(1024 * 1024)}`, 1000);
  write(path.join(ws, "memory", "real.md"), "an inside okapi\n", 1000);
  fs.symlinkSync("real.md", path.join(ws, "memory", "alias.md"));
  const fifo = spawnSync("mkfifo", [path.join(ws, "memory", "pipe.md")]);
  assert.equal(fifo.status, 0);

  assert.deepEqual(searchMemory(store, "zebra", { workspace: ws, now: T0 }), []);
  assert.deepEqual(
    searchMemory(store, "okapi", { workspace: ws, now: T0 })
      .map((h) => h.ref)
      .sort(),
    ["note:memory/alias.md#L1", "note:memory/real.md#L1"],
  );
  for (const ref of ["note:memory/out.md#L1", "note:memory/linked/secret.md#L1", "note:MEMORY.md#L1", "note:memory/big.md#L1", "note:memory/pipe.md#L1"])
    assert.equal(getMemory(store, ref, ws), null, ref);
});

test("a search in another workspace forgets the first one's notes; one without a workspace finds no notes", () => {
  const { store, ws } = fresh();
  const other = tmpDir();
  write(path.join(ws, "MEMORY.md"), "walrus facts\n", 1000);
  assert.equal(searchMemory(store, "walrus", { workspace: ws, now: T0 }).length, 1);
  assert.deepEqual(searchMemory(store, "walrus"), []);
  assert.deepEqual(searchMemory(store, "walrus", { workspace: other, now: T0 + 1 }), []);
  assert.equal((store.prepare("SELECT count(*) AS n FROM memory_fts WHERE rowid >= 1099511627776").get() as { n: number }).n, 0);
});

test("getMemory reads a transcript line with its role, session and time, and refuses every malformed or foreign ref", () => {
  const { store, say, ws } = fresh();
  const id = say("assistant", "The code is in the blue box.");
  assert.deepEqual(getMemory(store, `msg:${id}`, ws), {
    ref: `msg:${id}`,
    content: "assistant in agent:main:main at 2026-12-01T09:00:00.000Z:\nThe code is in the blue box.",
  });
  write(path.join(ws, "notes.md"), "not a note\n", 1000);
  write(path.join(path.dirname(ws), "escape.md"), "outside\n", 1000);
  const bad = [
    "",
    "msg:",
    "msg:abc",
    "msg:-1",
    "msg:1e3",
    "msg:99999",
    `msg:${id} `,
    "note:",
    "note:MEMORY.md",
    "note:MEMORY.md#L",
    "note:MEMORY.md#L99",
    "note:notes.md#L1",
    "note:/etc/passwd#L1",
    "note:../escape.md#L1",
    "note:memory/../../escape.md#L1",
    "note:memory/../notes.md#L1",
    "note:memory\\..\\notes.md#L1",
    "note:memory/\u0000.md#L1",
    `note:${"a/".repeat(5000)}x.md#L1`,
    "x".repeat(100_000),
  ];
  for (const ref of bad) assert.equal(getMemory(store, ref, ws), null, JSON.stringify(ref.slice(0, 40)));
  assert.equal(getMemory(store, "note:MEMORY.md#L1", null), null);
});
