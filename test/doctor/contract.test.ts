import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { exitCodeFor, renderDoctor } from "../../src/cli/commands/doctor.ts";
import { createContext, doctorChecks, runChecks, runDoctor, type DoctorCheck } from "../../src/diagnostics/doctor/index.ts";
import { resolvePaths } from "../../src/paths/paths.ts";
import { errorCatalog } from "../../src/shared/errors.ts";
import { repoRoot, startGateway, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, reapAll, snapshotFiles, track } from "../gateway/support.ts";
import { quietPort } from "./support.ts";

after(reapAll);

const TOKEN = "contract-token-ZmFrZS1idXQtbG9uZy1lbm91Z2gtdG8tYmUtc3Ryb25n";

const belongs = (id: string, c: DoctorCheck) => id === c.id || id.startsWith(`${c.id}.`);

test(
  "every check keeps the contract on a live brain with problems: one-line findings, a fix for each warning and failure, no secret shown",
  bounded,
  async () => {
    const gw = track(await startGateway({ port: await quietPort(), config: { gateway: { auth: { token: TOKEN } } } }));
    try {
      const config = path.join(gw.stateDir, "onebrain.json");
      fs.chmodSync(config, 0o644);
      fs.copyFileSync(config, `${config}.bak`);
      const env = { ONEBRAIN_STATE_DIR: gw.stateDir, ONEBRAIN_GATEWAY_PASSWORD: "weak" };
      const paths = resolvePaths({ env, home: path.dirname(gw.stateDir) });
      const report = await runDoctor({ paths, env, url: `http://127.0.0.1:${gw.port}/`, homes: [path.dirname(gw.stateDir)] });
      for (const c of doctorChecks)
        assert.ok(
          report.checks.some((r) => belongs(r.id, c)),
          `${c.id} reported nothing`,
        );
      for (const r of report.checks) {
        const owner = doctorChecks.find((c) => belongs(r.id, c));
        assert.ok(owner, `${r.id} belongs to no registered check`);
        assert.equal(r.group, owner.group);
        assert.ok(["ok", "warn", "fail"].includes(r.status));
        assert.ok(r.finding.length > 0 && !r.finding.includes("\n"), `${r.id}: one line`);
        if (r.status !== "ok") assert.ok(r.fix && !r.fix.includes("\n"), `${r.id} (${r.status}) needs a one-line fix`);
        else assert.equal(r.fix, undefined, `${r.id}: no fix hint when ok`);
      }
      assert.equal(report.checks.find((r) => r.id === "perms")?.status, "fail", "the brain has problems, so fixes are exercised");
      const all = JSON.stringify(report) + renderDoctor(report).join("\n");
      assert.ok(!all.includes(TOKEN) && !all.includes(TOKEN.slice(10, 30)), "no secret in the output");
      assert.equal(report.ok, false);
      assert.equal(report.worst, "fail");
    } finally {
      await gw.stop();
    }
  },
);

test("doctor without --fix writes nothing, even to a broken brain", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway: { port: await quietPort(), auth: { token: TOKEN } } });
  fs.writeFileSync(path.join(stateDir, "brain.owner.json"), JSON.stringify({ schema: 1, pid: 999_999_999, instanceId: "gone" }));
  fs.chmodSync(stateDir, 0o777);
  const paths = resolvePaths({ env: { ONEBRAIN_STATE_DIR: stateDir }, home: path.dirname(stateDir) });
  const before = snapshotFiles(path.dirname(stateDir));
  const report = await runDoctor({ paths, env: {}, homes: [path.dirname(stateDir)] });
  assert.equal(report.checks.find((c) => c.id === "perms")?.status, "fail");
  assert.equal(report.checks.find((c) => c.id === "lock")?.status, "warn");
  assert.deepEqual(snapshotFiles(path.dirname(stateDir)), before);
  assert.equal(fs.statSync(stateDir).mode & 0o777, 0o777);
});

test("every check has a title and a row in docs/doctor.md", () => {
  const doc = fs.readFileSync(path.join(repoRoot, "docs", "doctor.md"), "utf8");
  for (const c of doctorChecks) {
    assert.ok(c.title.length > 20, `${c.id} has a title`);
    assert.match(doc, new RegExp(`^\\| \`${c.id}\` \\| ${c.group} \\|`, "m"), `${c.id} is documented`);
  }
  assert.equal(new Set(doctorChecks.map((c) => c.id)).size, doctorChecks.length, "ids are unique");
});

test("a check that throws is reported as a failure of that check, and the others still run", async () => {
  const paths = resolvePaths({ env: {}, home: tmpDir() });
  const boom: DoctorCheck = {
    id: "boom",
    group: "environment",
    title: "throws",
    run: () => {
      throw new Error("kaput");
    },
  };
  const fine: DoctorCheck = { id: "fine", group: "environment", title: "fine", run: () => [{ id: "fine", status: "ok", finding: "fine" }] };
  const results = await runChecks(createContext({ paths, homes: [] }), [boom, fine]);
  assert.deepEqual(
    results.map((r) => [r.id, r.status, r.finding]),
    [
      ["boom", "fail", "check crashed: kaput"],
      ["fine", "ok", "fine"],
    ],
  );
});

test("the output is one line per check and fits one screen; exit codes follow the worst status", async () => {
  const home = tmpDir();
  const stateDir = path.join(home, ".onebrain");
  writeConfig(stateDir, { gateway: { port: await quietPort() } });
  const report = await runDoctor({ paths: resolvePaths({ env: {}, home }), env: {}, homes: [home], unitDirs: [] });
  const lines = renderDoctor(report);
  const notOk = report.checks.filter((c) => c.status !== "ok").length;
  assert.equal(lines.length, 1 + new Set(report.checks.map((c) => c.group)).size + report.checks.length + notOk);
  assert.ok(lines.length <= 24, lines.join("\n"));
  assert.match(lines[0]!, /^onebrain doctor: (all \d+ checks ok|.*(failed|warning\(s\))) \(\d+ ms\)$/);
  assert.ok(report.checks.every((c) => lines.some((l) => l.startsWith(`  ${{ ok: "✓", warn: "!", fail: "✗" }[c.status]} ${c.id} `))));
  assert.deepEqual([exitCodeFor("ok"), exitCodeFor("warn"), exitCodeFor("fail")], [0, errorCatalog.DOCTOR_WARN.exitCode, errorCatalog.DOCTOR_FAIL.exitCode]);
  assert.deepEqual([errorCatalog.DOCTOR_WARN.exitCode, errorCatalog.DOCTOR_FAIL.exitCode], [30, 31]);
});
