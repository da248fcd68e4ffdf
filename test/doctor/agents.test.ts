/** The doctor's `agents` check: every agent has a workspace of its own, and every binding can match. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { agentsCheck } from "../../src/diagnostics/doctor/agents.ts";
import { createContext, runChecks } from "../../src/diagnostics/doctor/index.ts";
import { resolvePaths } from "../../src/paths/paths.ts";
import { brainEnv, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { check, doctorCli } from "./support.ts";

/** A brain with `config`, and the `agents` check run on it in-process. */
function brain(config: Record<string, unknown>, env: Record<string, string> = {}) {
  const home = tmpDir();
  const stateDir = path.join(home, ".onebrain");
  writeConfig(stateDir, config);
  const all = { ONEBRAIN_STATE_DIR: stateDir, ...env };
  const ctx = createContext({ paths: resolvePaths({ env: all, home }), env: all, homes: [home], unitDirs: [] });
  const run = async () => (await runChecks(ctx, [agentsCheck])).map((r) => ({ id: r.id, status: r.status, finding: r.finding, fix: r.fix }));
  return { home, stateDir, run };
}

test("two agents that resolve to one workspace fail, naming both agents and the key to change", async () => {
  const home = tmpDir();
  const shared = path.join(home, "shared");
  fs.mkdirSync(shared);
  fs.symlinkSync(shared, path.join(home, "link"));
  // One by its path, one through a symlink and `..`: the same directory once resolved.
  const b = brain({
    agents: {
      list: [
        { id: "home", workspace: shared },
        { id: "work", workspace: path.join(home, "link", "..", "link") },
      ],
    },
  });
  const [r] = await b.run();
  assert.equal(r!.status, "fail");
  assert.equal(r!.finding, `agents "home" and "work" share one workspace (${fs.realpathSync(shared)}): each reads and overwrites the other's files and notes`);
  assert.match(r!.fix!, /^give each agent a directory of its own: set agents\.list\.1\.workspace for "work"/);
});

test("a workspace inside another agent's fails; the default workspace and derived ones side by side are fine", async () => {
  const root = fs.realpathSync(tmpDir());
  const nested = brain({ agents: { defaults: { workspace: root }, list: [{ id: "home" }, { id: "work", workspace: path.join(root, "work") }] } });
  const [r] = await nested.run();
  assert.equal(r!.status, "fail");
  assert.equal(r!.finding, `agent "work"'s workspace (${root}/work) is inside agent "home"'s (${root}): their files and notes mix`);
  assert.match(r!.fix!, /set agents\.list\.1\.workspace for "work"/);

  const fine = brain({ agents: { list: [{ id: "home" }, { id: "work" }, { id: "lab", workspace: "labs/lab" }] } });
  const [ok] = await fine.run();
  assert.equal(ok!.status, "ok");
  assert.equal(
    ok!.finding,
    `3 agents, each with its own workspace: home (default) ${fine.stateDir}/workspace, work ${fine.stateDir}/workspace-work, lab ${fine.stateDir}/labs/lab`,
  );
});

test("a binding that can never match warns: a channel that does not run here, another account, or one an earlier binding always wins", async () => {
  const b = brain(
    {
      agents: { list: [{ id: "home" }, { id: "work" }] },
      bindings: [
        { agentId: "work", match: { channel: "slack" } },
        { agentId: "work", match: { channel: "telegram", accountId: "999" } },
        { agentId: "home", match: { channel: "telegram", peer: { kind: "direct", id: "42" } } },
        { agentId: "work", match: { channel: "telegram", accountId: "*", peer: { kind: "direct", id: "42" } } },
        { agentId: "work", match: { channel: "webchat" } },
      ],
    },
    { TELEGRAM_BOT_TOKEN: "7123456:AAdoctorAgentsTokenxxxxxxxxxxxxxxxxxx" },
  );
  const found = (await b.run()).filter((r) => r.id === "agents.bindings");
  assert.deepEqual(
    found.map((r) => [r.status, r.finding]),
    [
      ["warn", 'bindings.0 (to "work") is for slack, which does not run in this brain (no credential, or disabled): it never matches'],
      ["warn", 'bindings.1 (to "work") is for telegram account "999", but this brain\'s telegram account is 7123456: it never matches'],
      ["warn", 'bindings.3 (to "work") matches exactly what bindings.2 matches, which comes first and always wins: it never matches'],
    ],
  );
  assert.ok(found.every((r) => r.fix && !r.fix.includes("\n")));
});

test("`onebrain doctor` exits 31 when two agents share a workspace", async () => {
  const b = brain({
    agents: {
      list: [
        { id: "home", workspace: "ws" },
        { id: "work", workspace: "./ws/" },
      ],
    },
  });
  const { r, report } = await doctorCli([], brainEnv(b.stateDir));
  assert.equal(r.code, 31, r.stderr);
  const c = check(report, "agents");
  assert.equal(c.status, "fail");
  assert.match(c.finding, /^agents "home" and "work" share one workspace/);
});
