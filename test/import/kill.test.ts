/**
 * `onebrain import openclaw` killed with SIGKILL at moments spread over a whole import, from the
 * process's start to its end: nothing is ever torn (brain.db passes its integrity check and holds
 * all of the imported sessions or none, the config parses and is the old one or the new one), the
 * source is untouched, and running the import again ends in the same brain as an import never
 * interrupted: no session, message or cron job twice.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { brainRows, spawnCli, writeConfig } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { copyClawdbot, hashTree, importEnv, importJson } from "./support.ts";

after(reapAll);

const ROUNDS = 20;
const OWN = { logging: { level: "warn" } };

/** What an import left in a brain: its counts, and the config's agents (null: no config written). */
function contents(brain: string): { sessions: number; messages: number; cron: number; integrity: string } | null {
  if (!fs.existsSync(path.join(brain, "brain.db"))) return null;
  // Killed while brain.db was being made, its tables may not all be there yet: none of them holds anything then.
  const tables = new Set(brainRows(brain, "SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => String(r.name)));
  const one = (sql: string) => (tables.has(/FROM (\w+)/.exec(sql)![1]!) ? Number(Object.values(brainRows(brain, sql)[0]!)[0]) : 0);
  return {
    integrity: String(Object.values(brainRows(brain, "PRAGMA integrity_check")[0]!)[0]),
    sessions: one("SELECT COUNT(*) FROM sessions"),
    messages: one("SELECT COUNT(*) FROM messages"),
    cron: one("SELECT COUNT(*) FROM cron_jobs"),
  };
}

const agentsOf = (brain: string) =>
  (JSON.parse(fs.readFileSync(path.join(brain, "onebrain.json"), "utf8")) as { agents?: { list?: Array<{ id: string }> } }).agents?.list?.map((a) => a.id) ??
  [];

test(`kill -9 at ${ROUNDS} moments of an import: nothing torn, and a second run ends as an uninterrupted import`, { timeout: 240_000 }, async (t) => {
  // The uninterrupted import, timed: the kills are spread over its length.
  const ref = copyClawdbot();
  writeConfig(ref.brain, OWN);
  const t0 = performance.now();
  const clean = await importJson([], importEnv(ref.brain, ref.home, { TMPDIR: ref.tmp }));
  const took = performance.now() - t0;
  assert.equal(clean.code, 0, clean.stderr);
  const want = contents(ref.brain)!;
  assert.equal(want.sessions, 7);
  assert.deepEqual(agentsOf(ref.brain), ["main", "work"]);

  const seen = { none: 0, all: 0, configOld: 0, configNew: 0, finished: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    const fx = copyClawdbot();
    const ownText = fs.readFileSync(writeConfig(fx.brain, OWN), "utf8");
    const source = hashTree(fx.root + "/src");
    const env = importEnv(fx.brain, fx.home, { TMPDIR: fx.tmp });
    const p = track(spawnCli(["import", "openclaw", "--json"], env));
    // Over the import's own work (the first ~30% is node starting) to a little past its end, off the grid each round.
    await new Promise((r) => setTimeout(r, took * (0.3 + (0.75 * (i + Math.random())) / ROUNDS)));
    p.kill("SIGKILL");
    const r = await p.exited;
    if (r.code === 0) seen.finished++;

    assert.deepEqual(hashTree(fx.root + "/src"), source, `round ${i}: the source is untouched`);
    const left = contents(fx.brain);
    if (left) {
      assert.equal(left.integrity, "ok", `round ${i}: brain.db is whole`);
      assert.ok(left.sessions === 0 || left.sessions === want.sessions, `round ${i}: all sessions or none, not ${left.sessions}`);
      assert.equal(left.messages, left.sessions ? want.messages : 0, `round ${i}: the messages go with their sessions`);
      if (left.sessions) seen.all++;
      else seen.none++;
    } else seen.none++;
    const text = fs.readFileSync(path.join(fx.brain, "onebrain.json"), "utf8");
    if (text === ownText) seen.configOld++;
    else {
      assert.deepEqual(agentsOf(fx.brain), ["main", "work"], `round ${i}: a config written is the whole new one`);
      seen.configNew++;
    }

    const again = await importJson([], env);
    assert.equal(again.code, 0, `round ${i}: the second run: ${again.stderr}`);
    const end = contents(fx.brain)!;
    assert.deepEqual(
      { sessions: end.sessions, messages: end.messages, cron: end.cron, integrity: end.integrity },
      { sessions: want.sessions, messages: want.messages, cron: want.cron, integrity: "ok" },
      `round ${i}: the same brain as an uninterrupted import`,
    );
    assert.deepEqual(agentsOf(fx.brain), ["main", "work"]);
    assert.equal(
      (JSON.parse(fs.readFileSync(path.join(fx.brain, "onebrain.json"), "utf8")) as typeof OWN).logging.level,
      "warn",
      "this brain's own setting kept",
    );
    fs.rmSync(fx.root, { recursive: true, force: true });
  }
  t.diagnostic(`kill points: ${JSON.stringify(seen)} (import took ${Math.round(took)} ms)`);
  assert.ok(seen.none > 0, "some kills came before the commit");
});
