/**
 * `onebrain import openclaw` given broken or hostile input: a config that is not JSON5, a
 * transcript line that is not JSON, a line of megabytes, session keys with odd characters: each
 * is reported as left with its reason and the rest comes over; nothing is half-written. A corrupt
 * database and a newer layout are refused with their codes before this brain is touched.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openStore } from "../../src/store/db.ts";
import { brainRows, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded } from "../gateway/support.ts";
import { copyClawdbot, hashTree, importEnv, importJson, itemsOf } from "./support.ts";

const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const header = (id: string) => line({ type: "session", version: 3, id, timestamp: "2026-01-20T09:00:00.000Z", cwd: "/nowhere" });
const msg = (id: string, parentId: string | null, role: string, content: unknown, t: number) =>
  line({ type: "message", id, parentId, timestamp: new Date(t).toISOString(), message: { role, content, timestamp: t } });

/** A Clawdbot-layout state dir under a fresh home; `files` are written relative to it. */
function stateDir(files: Record<string, string | Buffer>): { home: string; state: string; brain: string } {
  const root = tmpDir("onebrain-import-hostile-");
  const home = path.join(root, "home");
  const state = path.join(home, ".clawdbot");
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(state, rel)), { recursive: true });
    fs.writeFileSync(path.join(state, rel), content);
  }
  return { home, state, brain: path.join(root, "brain") };
}

test("a broken config, a line that is not JSON, a line of 5 MiB and odd session keys are left with their reasons; the rest comes over", bounded, async () => {
  const t = Date.parse("2026-01-20T09:00:00.000Z");
  const huge = msg("c3", "b2", "user", "x".repeat(5 * 1024 * 1024), t + 3000);
  const sessions = {
    "agent:main:main": { sessionId: "s1", updatedAt: t + 9000 },
    "agent:main:telegram:dm:98765 4321": { sessionId: "s2", updatedAt: t },
    "agent:main:tele\u0007gram": { sessionId: "s3", updatedAt: t },
    "agent:main:notes/ünïcode✓": { sessionId: "s4", updatedAt: t },
  };
  const d = stateDir({
    "clawdbot.json": '// a config with a syntax error\n{ gateway: { port: 1234, auth: { token: "x" } }\n',
    "agents/main/sessions/sessions.json": JSON.stringify(sessions, null, 2),
    "agents/main/sessions/s1.jsonl":
      header("s1") +
      msg("a1", null, "user", "first question", t + 1000) +
      "this line is not JSON at all\n" +
      msg("b2", "a1", "assistant", [{ type: "text", text: "first answer" }], t + 2000) +
      huge +
      msg("d4", "b2", "user", "second question", t + 4000) +
      msg("e5", "d4", "assistant", [{ type: "text", text: "second answer" }], t + 5000),
    "agents/main/sessions/s2.jsonl": header("s2") + msg("a1", null, "user", "hello", t),
    "agents/main/sessions/s3.jsonl": header("s3") + msg("a1", null, "user", "hello", t),
    "agents/main/sessions/s4.jsonl": header("s4") + msg("a1", null, "user", "a note", t),
  });
  const before = hashTree(d.home);
  const r = await importJson([], importEnv(d.brain, d.home));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(hashTree(d.home), before, "the source is untouched");

  const other = itemsOf(r.report, "other", "left");
  assert.ok(
    other.some((l) => /^the config .*clawdbot\.json: Cannot parse .*clawdbot\.json at line 3, column 1: .*no settings .* were imported$/.test(l)),
    other.join("\n"),
  );
  const sessionsLeft = itemsOf(r.report, "sessions", "left");
  assert.ok(
    sessionsLeft.includes('session "agent:main:telegram:dm:98765 4321": its key cannot be used: it contains whitespace or a control character'),
    sessionsLeft.join("\n"),
  );
  assert.ok(sessionsLeft.includes('session "agent:main:tele\\u0007gram": its key cannot be used: it contains whitespace or a control character'));
  assert.ok(sessionsLeft.includes("1 transcript line: not a JSON object (line 3)"));
  assert.ok(sessionsLeft.includes("1 transcript line: over the 4 MiB a transcript line may have (line 5: 5.0 MiB)"));
  assert.deepEqual([r.report.counts.sessions, r.report.counts.sessionsLeft, r.report.counts.linesLeft], [2, 2, 2]);

  // The active path of the tree is kept whole around the lines left out: the second answer hangs on the first.
  const rows = brainRows(d.brain, "SELECT s.session_key AS key, m.role, m.content FROM messages m JOIN sessions s ON s.id = m.session_id ORDER BY m.id");
  assert.deepEqual(
    rows.map((x) => `${String(x.key)} ${String(x.role)}: ${String(x.content)}`),
    [
      "agent:main:main user: first question",
      "agent:main:main assistant: first answer",
      "agent:main:main user: second question",
      "agent:main:main assistant: second answer",
      "agent:main:notes/ünïcode✓ user: a note",
    ],
  );
  assert.equal(fs.existsSync(path.join(d.brain, "onebrain.json")), false, "no settings came over, so no config was written");
});

test("a corrupt database is refused (IMPORT_SOURCE_UNREADABLE) and this brain is not touched", bounded, async () => {
  const d = stateDir({
    "openclaw.json": "{ gateway: { port: 1 } }",
    "agents/main/agent/openclaw-agent.sqlite": Buffer.from("this is not an SQLite database, whatever its name says".repeat(100)),
  });
  const before = hashTree(d.home);
  const r = await importJson([], importEnv(d.brain, d.home));
  assert.equal(r.code, 112, r.stdout + r.stderr);
  assert.equal(r.report.error.code, "IMPORT_SOURCE_UNREADABLE");
  assert.match(r.report.error.message, /openclaw-agent\.sqlite: it is not a readable SQLite database .*Nothing was imported/);
  assert.equal(fs.existsSync(d.brain), false);
  assert.deepEqual(hashTree(d.home), before);
});

test("a newer layout whose tables changed is refused (IMPORT_SOURCE_TOO_NEW), naming the version and what is missing", bounded, async () => {
  const d = stateDir({ "openclaw.json": "{}" });
  const file = path.join(d.state, "agents", "main", "agent", "openclaw-agent.sqlite");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  db.exec(`CREATE TABLE schema_meta (meta_key TEXT PRIMARY KEY, role TEXT, schema_version INTEGER, agent_id TEXT, app_version TEXT, created_at INTEGER, updated_at INTEGER);
    INSERT INTO schema_meta VALUES ('primary', 'agent', 99, 'main', '2027.3.1', 0, 0);
    CREATE TABLE session_nodes (session_key TEXT PRIMARY KEY, current_session_id TEXT, entry_blob BLOB);`);
  db.close();
  const r = await importJson(["--dry-run"], importEnv(d.brain, d.home));
  assert.equal(r.code, 113, r.stdout + r.stderr);
  assert.match(r.report.error.message, /schema version 99 is newer than the 23 this onebrain reads, and session_nodes\.entry_json is gone/);
});

test("a failure inside the import undoes all of it: no session, no job, no config (all or nothing)", bounded, async () => {
  const fx = copyClawdbot();
  // This brain's database refuses the first cron job, after the sessions went in.
  const store = openStore(path.join(fx.brain, "brain.db"));
  store.db.exec("CREATE TRIGGER refuse_jobs BEFORE INSERT ON cron_jobs BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END;");
  store.close();
  writeConfig(fx.brain, { logging: { level: "warn" } });
  const config = fs.readFileSync(path.join(fx.brain, "onebrain.json"), "utf8");
  const r = await importJson([], importEnv(fx.brain, fx.home, { TMPDIR: fx.tmp }));
  assert.equal(r.code, 114, r.stdout + r.stderr);
  assert.equal(r.report.error.code, "IMPORT_FAILED");
  assert.match(r.report.error.message, /the disk is on fire\. Nothing was imported: the database and the config are as they were/);
  assert.deepEqual(brainRows(fx.brain, "SELECT count(*) AS n FROM sessions"), [{ n: 0 }]);
  assert.equal(fs.readFileSync(path.join(fx.brain, "onebrain.json"), "utf8"), config);
  assert.deepEqual(
    fs.readdirSync(fx.brain).filter((f) => f.startsWith("onebrain.json")),
    ["onebrain.json"],
  );
});

test("a brain.db left half-made by a killed start (WAL set, no table yet) is completed and imported into, not refused", bounded, async () => {
  const fx = copyClawdbot();
  fs.mkdirSync(fx.brain, { recursive: true });
  const db = new DatabaseSync(path.join(fx.brain, "brain.db"));
  db.exec("PRAGMA journal_mode=WAL");
  db.close();
  assert.ok(fs.statSync(path.join(fx.brain, "brain.db")).size > 0);
  const r = await importJson([], importEnv(fx.brain, fx.home, { TMPDIR: fx.tmp }));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(brainRows(fx.brain, "SELECT count(*) AS n FROM sessions"), [{ n: 7 }]);
  // The backup is of a brain (its schema made), never of the bare file.
  assert.ok(r.report.backup && fs.existsSync(r.report.backup), "the half-made file was backed up");
});
