import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { stateDirsCheck } from "../../src/diagnostics/doctor/brains.ts";
import { portPlanCheck } from "../../src/diagnostics/doctor/ports.ts";
import { runDoctor } from "../../src/diagnostics/doctor/index.ts";
import { resolvePaths } from "../../src/paths/paths.ts";
import { tmpDir } from "../helpers/gateway.ts";
import { brainOnDisk, check } from "./support.ts";

const DAY = 86_400_000;
const now = Date.now();

/** Two users' homes (temp dirs standing for /root and /home/ada), doctor running as the first. */
function twoHomes() {
  const root = tmpDir();
  const a = path.join(root, "root");
  const b = path.join(root, "home", "ada");
  fs.mkdirSync(a, { recursive: true });
  fs.mkdirSync(b, { recursive: true });
  return { a, b, paths: resolvePaths({ env: {}, home: a }) };
}

test("warns of two brains when two users' ~/.onebrain were both active this week, and gives the migration steps", async () => {
  const { a, b, paths } = twoHomes();
  brainOnDisk(path.join(a, ".onebrain"), {}, 3600_000, now);
  brainOnDisk(path.join(b, ".onebrain"), {}, 2 * DAY, now);
  const report = await runDoctor({ paths, homes: [a, b], now, checks: [stateDirsCheck] });
  const c = check(report, "state-dirs");
  assert.equal(c.status, "warn");
  assert.match(c.finding, /two brains: 2 dirs of profile default were active in the last 7d/);
  assert.match(c.finding, new RegExp(`${a}/\\.onebrain \\(default, <0\\.1 MB, last active 60m ago\\)`));
  assert.match(c.finding, new RegExp(`${b}/\\.onebrain \\(default, .*last active 2d ago\\)`));
  assert.match(c.fix!, new RegExp(`keep ${a}/\\.onebrain; .*\`onebrain migrate --from ${b}/\\.onebrain\``));
  assert.equal(report.worst, "warn");
});

test("a dormant second brain and a named profile are not two brains", async () => {
  const { a, b, paths } = twoHomes();
  brainOnDisk(path.join(a, ".onebrain"), {}, 0, now);
  brainOnDisk(path.join(a, ".onebrain-work"), {}, 0, now);
  brainOnDisk(path.join(b, ".onebrain"), {}, 30 * DAY, now);
  const report = await runDoctor({ paths, homes: [a, b], now, checks: [stateDirsCheck] });
  const c = check(report, "state-dirs");
  assert.equal(c.status, "ok");
  assert.match(c.finding, /^3 brain dir\(s\) in 2 home\(s\), one active per profile/);
  const dirs = (c.details as { dirs: Array<{ dir: string; profile: string; active: boolean; isThisBrain: boolean; sizeBytes: number }> }).dirs;
  const byDir = (x: [string, ...unknown[]], y: [string, ...unknown[]]) => x[0].localeCompare(y[0]);
  assert.deepEqual(
    dirs.map((d): [string, string, boolean, boolean] => [path.relative(path.dirname(a), d.dir), d.profile, d.active, d.isThisBrain]).sort(byDir),
    [
      ["home/ada/.onebrain", "default", false, false],
      ["root/.onebrain", "default", true, true],
      ["root/.onebrain-work", "work", true, false],
    ],
  );
});

test("a home it cannot read is named in the finding, not an error", async () => {
  const { a, paths } = twoHomes();
  const notADir = path.join(a, "plain-file");
  fs.writeFileSync(notADir, "");
  const report = await runDoctor({ paths, homes: [a, notADir, path.join(a, "missing")], now, checks: [stateDirsCheck] });
  const c = check(report, "state-dirs");
  assert.equal(c.status, "ok");
  assert.match(c.finding, new RegExp(`cannot read ${notADir} \\(ENOTDIR\\)`));
  assert.ok(!c.finding.includes("missing"), "a home that does not exist is simply skipped");
});

test("lists an OpenClaw state dir with the command that imports it", async () => {
  const { a, paths } = twoHomes();
  fs.mkdirSync(path.join(a, ".openclaw"));
  fs.writeFileSync(path.join(a, ".openclaw", "openclaw.json"), "{}");
  const c = check(await runDoctor({ paths, homes: [a], now, checks: [stateDirsCheck] }), "state-dirs");
  assert.equal(c.status, "ok");
  assert.match(c.finding, new RegExp(`also ${a}/\\.openclaw \\(OpenClaw, .*\\): \`onebrain import openclaw --from DIR\` imports it`));
});

test("this brain's port plan fails against another user's recently active brain with the same ports, and warns against a dormant one", async () => {
  const { a, b, paths } = twoHomes();
  brainOnDisk(path.join(a, ".onebrain"), { gateway: { port: 61000 } }, 0, now);
  brainOnDisk(path.join(b, ".onebrain"), { gateway: { port: 61050 } }, DAY, now);
  const active = check(await runDoctor({ paths, homes: [a, b], now, checks: [portPlanCheck] }), "port-plan");
  assert.equal(active.status, "fail");
  assert.match(active.finding, new RegExp(`ports 61000-61110 overlap ${b}/\\.onebrain \\(recently active\\) at 61050`));
  fs.utimesSync(path.join(b, ".onebrain", "brain.db"), new Date(now - 60 * DAY), new Date(now - 60 * DAY));
  const dormant = check(await runDoctor({ paths, homes: [a, b], now, checks: [portPlanCheck] }), "port-plan");
  assert.equal(dormant.status, "warn");
  fs.writeFileSync(path.join(b, ".onebrain", "onebrain.json"), JSON.stringify({ gateway: { port: 62000 } }));
  assert.equal(check(await runDoctor({ paths, homes: [a, b], now, checks: [portPlanCheck] }), "port-plan").status, "ok");
});
