/**
 * Which state dir `onebrain import openclaw` reads, and that it says why: --from, then --profile
 * (after `import`: OpenClaw's; before it: this brain's), then OPENCLAW_STATE_DIR and the legacy
 * variables, then ~/.openclaw, ~/.moltbot, ~/.clawdbot by real path (doctor's symlink counts
 * once). Nothing found is IMPORT_SOURCE_NOT_FOUND naming every place looked at.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { runCli, tmpDir } from "../helpers/gateway.ts";
import { bounded } from "../gateway/support.ts";
import { importEnv, importJson } from "./support.ts";

function home(dirs: Record<string, string>): string {
  const h = path.join(tmpDir("onebrain-import-src-"), "home");
  for (const [dir, config] of Object.entries(dirs)) {
    fs.mkdirSync(path.join(h, dir), { recursive: true });
    fs.writeFileSync(path.join(h, dir, config), "{}\n");
  }
  return h;
}

test("with nothing to import, it names every place it looked", bounded, async () => {
  const h = home({});
  const r = await importJson(["--dry-run"], importEnv(path.join(h, "brain"), h));
  assert.equal(r.code, 110, r.stdout + r.stderr);
  assert.equal(r.report.error.code, "IMPORT_SOURCE_NOT_FOUND");
  for (const d of [".openclaw", ".moltbot", ".clawdbot"]) assert.ok(r.report.error.message.includes(path.join(h, d)), r.report.error.message);
  const from = await importJson(["--from", path.join(h, "nope"), "--dry-run"], importEnv(path.join(h, "brain"), h));
  assert.equal(from.code, 110);
  assert.match(from.report.error.message, /no such directory/);
});

test("~/.clawdbot as doctor's symlink to ~/.openclaw is one dir; a second real dir is named as also found", bounded, async () => {
  const h = home({ ".openclaw": "openclaw.json" });
  fs.symlinkSync(path.join(h, ".openclaw"), path.join(h, ".clawdbot"));
  const one = await importJson(["--dry-run"], importEnv(path.join(h, "brain"), h));
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual([one.report.source.dir, one.report.source.why, one.report.source.others], [path.join(h, ".openclaw"), "~/.openclaw exists", []]);
  fs.rmSync(path.join(h, ".clawdbot"));
  fs.mkdirSync(path.join(h, ".clawdbot"));
  fs.writeFileSync(path.join(h, ".clawdbot", "clawdbot.json"), "{}");
  const two = await importJson(["--dry-run"], importEnv(path.join(h, "brain"), h));
  assert.deepEqual(two.report.source.others, [path.join(h, ".clawdbot")]);
});

test("--profile after `import` is OpenClaw's (~/.openclaw-NAME), before it this brain's; OPENCLAW_STATE_DIR comes after both flags", bounded, async () => {
  const h = home({ ".openclaw": "openclaw.json", ".openclaw-work": "openclaw.json", elsewhere: "openclaw.json" });
  const env = importEnv(path.join(h, "unused"), h, { OPENCLAW_STATE_DIR: path.join(h, "elsewhere") });
  delete env.ONEBRAIN_STATE_DIR;
  const byEnv = await importJson(["--dry-run"], env);
  assert.deepEqual([byEnv.report.source.dir, byEnv.report.source.why], [path.join(h, "elsewhere"), "OPENCLAW_STATE_DIR"]);
  const r = await runCli(["--profile", "mine", "import", "openclaw", "--profile", "work", "--dry-run", "--json"], env, 30_000);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual([report.source.dir, report.source.why, report.to], [path.join(h, ".openclaw-work"), "--profile work", path.join(h, ".onebrain-mine")]);
  assert.ok(report.next[0].startsWith("run it for real: onebrain --profile mine import openclaw --profile work"), report.next[0]);
  const missing = await importJson(["--profile", "nope", "--dry-run"], env);
  assert.equal(missing.code, 110);
  assert.match(missing.report.error.message, /OpenClaw profile nope: none of .*\.openclaw-nope, .*\.moltbot-nope, .*\.clawdbot-nope exists/);
});
