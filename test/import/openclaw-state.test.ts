/**
 * `onebrain import openclaw` from a state dir made by the real OpenClaw 2026.9.6 CLI and gateway
 * (scripts/test-tools/make-openclaw-state.sh, run once by `scripts/install.sh --test-tools` into
 * the test-tools cache): the SQLite layout, zstd-compressed transcript events, the shared and
 * per-agent auth stores, cron jobs with OpenClaw's own among them, the pairing store, a second
 * Telegram account. The cached dir is copied to a temp dir; skipped only when it is absent.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { brainRows, tmpDir } from "../helpers/gateway.ts";
import { bounded } from "../gateway/support.ts";
import { hashTree, importEnv, importJson, itemsOf, OPENCLAW_STATE_CACHE, openclawStateMissing } from "./support.ts";

test(
  "a state dir made by the real OpenClaw 2026.9.6 comes over: settings, sessions from SQLite, cron jobs, the pairing store",
  { ...bounded, skip: openclawStateMissing() ?? false },
  async () => {
    const root = tmpDir("onebrain-import-oc-");
    const home = path.join(root, "home");
    const state = path.join(root, "openclaw-state");
    fs.mkdirSync(home);
    fs.cpSync(path.join(OPENCLAW_STATE_CACHE, "state"), state, { recursive: true, verbatimSymlinks: true });
    const brain = path.join(root, "brain");
    const env = importEnv(brain, home);
    const before = hashTree(state);

    const dry = await importJson(["--from", state, "--dry-run"], env);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.equal(fs.existsSync(brain), false, "a dry run writes nothing");
    const r = await importJson(["--from", state], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.report.counts, dry.report.counts);
    assert.deepEqual(hashTree(state), before, "the source (its SQLite files and their -wal/-shm included) is byte-identical");

    const s = r.report.source;
    assert.deepEqual([s.product, s.layout, s.versions.app, s.versions.agentSchema, s.versions.stateSchema], ["OpenClaw", "sqlite", "2026.9.6", 23, 18]);
    const c = r.report.counts;
    assert.deepEqual([c.sessions, c.toolLines, c.pairings, c.agents, c.sessionsLeft], [5, 1, 1, 2, 0]);
    assert.ok(c.cronJobs >= 2, "the user's jobs (the one-time one too, while it is ahead)");
    assert.ok(itemsOf(r.report, "cron", "left").some((l) => /OpenClaw's own jobs \(.*heartbeat:main.*\): OpenClaw made them for itself/.test(l)));
    assert.ok(
      itemsOf(r.report, "channels", "left").some((l) =>
        l.startsWith("channels.telegram.accounts.alerts (bot 654321): onebrain runs one telegram account per brain"),
      ),
    );

    const config = JSON.parse(fs.readFileSync(path.join(brain, "onebrain.json"), "utf8"));
    const theirs = JSON.parse(fs.readFileSync(path.join(state, "openclaw.json"), "utf8"));
    assert.deepEqual(config.gateway, { port: theirs.gateway.port, bind: "loopback", auth: { mode: "token", token: "gw-token-fake-0123456789abcdef" } });
    assert.equal(config.models.providers.fakeai.apiKeyEnv, "FAKEAI_API_KEY", "a key from ${VAR} (the state dir's .env) stays out of the file");
    assert.equal(config.models.providers.openrouter.apiKey, "sk-or-fake-main-000000000000", "the default agent's key from the shared auth store");
    assert.equal(config.models.providers.anthropic.apiKey, "sk-ant-fake-api03-000000000000000000", "agent work's key from its own database");
    assert.deepEqual(config.channels.telegram.allowFrom, ["987654321"], "the tg: prefix is dropped");
    assert.deepEqual(config.session, { dmScope: "per-channel-peer", pairedDmScope: "per-channel-peer", reset: { mode: "idle", idleMinutes: 240 } });
    assert.deepEqual(
      config.agents.list.map((a: { id: string; name?: string }) => [a.id, a.name ?? null]),
      [
        ["main", null],
        ["work", "Worker"],
      ],
    );

    const keys = brainRows(brain, "SELECT session_key AS k FROM sessions ORDER BY session_key").map((x) => String(x.k));
    assert.deepEqual(
      keys.filter((k) => !k.startsWith("agent:main:cron:")),
      ["agent:main:main", "agent:main:telegram:123456:dm:987654321", "agent:work:project-x", "agent:work:telegram:654321:dm:987654321"],
    );
    const main = brainRows(
      brain,
      "SELECT m.role, m.content, m.data FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.session_key = 'agent:main:main' ORDER BY m.id",
    );
    assert.equal(main[0]!.content, "Hello OpenClaw, this is the onebrain import fixture.");
    const tool = main.find((m) => m.role === "tool")!;
    assert.ok(String(tool.content).length > 4096, "the tool result, stored zstd-compressed by OpenClaw, is read whole");
    assert.deepEqual(JSON.parse(String(tool.data)), { callId: "call_fake0001", name: "read", isError: false });
    const call = main.find((m) => m.role === "assistant" && m.data !== null)!;
    assert.deepEqual(JSON.parse(String(call.data)), [{ id: "call_fake0001", name: "read", input: { path: "AGENTS.md" } }]);
    const paired = brainRows(brain, "SELECT channel, account, sender, approved_at IS NOT NULL AS approved FROM pairings");
    assert.deepEqual(paired, [{ channel: "telegram", account: "123456", sender: "111222333", approved: 1 }]);
  },
);
