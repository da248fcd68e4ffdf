import { test } from "node:test";
import assert from "node:assert/strict";
import { planConfigMerge } from "../../src/migrate/config-merge.ts";

const OLD = "/home/ada/.onebrain-old";

test("adds what this config lacks, leaf by leaf, and names a wholly new subtree once", () => {
  const plan = planConfigMerge(
    { gateway: { bind: "loopback" }, session: { reset: { mode: "idle" } } },
    { gateway: { bind: "lan", allowedOrigins: ["https://a.example"] }, session: { reset: { mode: "daily", atHour: 5 } }, reply: { timeoutSeconds: 60 } },
    { force: false, otherStateDir: OLD },
  );
  assert.deepEqual(plan.merged, {
    gateway: { bind: "loopback", allowedOrigins: ["https://a.example"] },
    session: { reset: { mode: "idle", atHour: 5 } },
    reply: { timeoutSeconds: 60 },
  });
  assert.deepEqual(plan.added, ["gateway.allowedOrigins", "session.reset.atHour", "reply"]);
  assert.deepEqual(
    plan.skipped.map((s) => s.key),
    ["gateway.bind", "session.reset.mode"],
  );
  assert.deepEqual(plan.sections, ["gateway", "session", "reply"]);
});

test("auth and each model provider are kept whole: the other brain's auth mode none never lands beside this brain's token", () => {
  const mine = { gateway: { auth: { token: "mine-token-123456" } }, models: { providers: { anthropic: { apiKeyEnv: "MY_KEY" } } } };
  const theirs = {
    gateway: { auth: { mode: "none" } },
    models: { providers: { anthropic: { apiKey: "sk-theirs" }, local: { baseUrl: "http://127.0.0.1:11434/v1" } } },
  };
  const plan = planConfigMerge(mine, theirs, { force: false, otherStateDir: OLD });
  assert.deepEqual(plan.merged.gateway, mine.gateway);
  assert.deepEqual((plan.merged.models as any).providers, { anthropic: { apiKeyEnv: "MY_KEY" }, local: { baseUrl: "http://127.0.0.1:11434/v1" } });
  assert.deepEqual(plan.added, ["models.providers.local"]);
  assert.deepEqual(
    plan.skipped.map((s) => s.key),
    ["gateway.auth", "models.providers.anthropic"],
  );

  const forced = planConfigMerge(mine, theirs, { force: true, otherStateDir: OLD });
  assert.deepEqual(forced.merged.gateway, { auth: { mode: "none" } });
  assert.deepEqual((forced.merged.models as any).providers.anthropic, { apiKey: "sk-theirs" });
  assert.deepEqual(forced.replaced, ["gateway.auth", "models.providers.anthropic"]);
});

test("ports and paths into the old state dir are never carried over, even with force; paths elsewhere are", () => {
  const theirs = {
    gateway: { port: 19001 },
    browser: { controlPort: 19003, profiles: { work: { cdpPort: 19100, color: "red" } } },
    canvasHost: { port: 19005 },
    agents: { defaults: { workspace: `${OLD}/workspace` } },
    logging: { file: `${OLD}/logs/gateway.log` },
  };
  for (const force of [false, true]) {
    const plan = planConfigMerge({}, theirs, { force, otherStateDir: OLD });
    assert.deepEqual(plan.merged, { browser: { profiles: { work: { color: "red" } } } });
    assert.deepEqual(
      plan.skipped.map((s) => s.key),
      ["gateway.port", "browser.controlPort", "browser.profiles.work.cdpPort", "canvasHost.port", "agents.defaults.workspace", "logging.file"],
    );
    assert.deepEqual(plan.added, ["browser.profiles.work.color"]);
  }
  const shared = planConfigMerge({}, { agents: { defaults: { workspace: "/srv/agent" } } }, { force: false, otherStateDir: OLD });
  assert.deepEqual(shared.merged, { agents: { defaults: { workspace: "/srv/agent" } } });
});

test("the inputs are not changed and equal values are neither added nor reported", () => {
  const mine = { logging: { level: "warn" } };
  const theirs = { logging: { level: "warn" } };
  const plan = planConfigMerge(mine, theirs, { force: false, otherStateDir: OLD });
  assert.deepEqual([plan.added, plan.replaced, plan.skipped, plan.sections], [[], [], [], []]);
  plan.merged.logging = { level: "debug" };
  assert.deepEqual(mine, { logging: { level: "warn" } });
});
