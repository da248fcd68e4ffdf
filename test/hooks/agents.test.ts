/** Hooks with several agents on one brain: `agent` in the body or mapping, the default agent otherwise, and sessions of that agent only. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { planAgent, planMapping, planWake, type PlanContext } from "../../src/hooks/plan.ts";
import { hooksStatus } from "../../src/hooks/status.ts";
import { hasCode } from "../../src/shared/errors.ts";

const ctx: PlanContext = {
  agents: { ids: ["home", "work"], defaultId: "home" },
  channels: [{ id: "webchat", account: "default" }],
  sessionExists: (key) => ["agent:work:telegram:*:dm:42", "agent:home:main", "agent:work:main"].includes(key),
};

const invalid = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (err) => {
    assert.ok(hasCode(err, "HOOK_INVALID"), String(err));
    assert.match((err as Error).message, re);
    return true;
  });

test("/hooks/agent runs as the agent named, else the agent of the session named, else the default agent", () => {
  assert.equal(planAgent({ message: "hi" }, ctx).sessionKey, "agent:home:hook:agent");
  assert.equal(planAgent({ message: "hi", agent: "work" }, ctx).sessionKey, "agent:work:hook:agent");
  assert.equal(planAgent({ message: "hi", session: "agent:work:telegram:*:dm:42" }, ctx).sessionKey, "agent:work:telegram:*:dm:42");
  assert.equal(planAgent({ message: "hi", agent: "work", session: "agent:work:main" }, ctx).sessionKey, "agent:work:main");
});

test("a hook's session must be its agent's, and its agent configured", () => {
  invalid(() => planAgent({ message: "x", agent: "work", session: "agent:home:main" }, ctx), /"agent:home:main" is not a session of agent work/);
  invalid(() => planAgent({ message: "x", agent: "lab" }, ctx), /"agent": no agent "lab" in this brain \(agents: home, work\)/);
  invalid(() => planAgent({ message: "x", session: "agent:main:main" }, ctx), /is not a session of agent home/);
  invalid(() => planAgent({ message: "x", agent: "" }, ctx), /"agent" must be a non-empty string/);
});

test("/hooks/wake goes to the main session of its agent", () => {
  assert.equal(planWake({ text: "x" }, ctx).sessionKey, "agent:home:main");
  assert.equal(planWake({ text: "x", agent: "work" }, ctx).sessionKey, "agent:work:main");
  invalid(() => planWake({ text: "x", agent: "work", session: "isolated" }, ctx), /default agent:work:main/);
});

test("a mapping with an agent runs in that agent's session, and status shows it", () => {
  const m = { message: "ping", agent: "work", signatureHeader: "X-Hub-Signature-256" } as const;
  assert.equal(planMapping("ci", m, { body: {}, headers: {}, query: {} }, ctx).sessionKey, "agent:work:hook:ci");
  const plain = { message: "ping", signatureHeader: "X-Hub-Signature-256" } as const;
  assert.equal(planMapping("ci", plain, { body: {}, headers: {}, query: {} }, ctx).sessionKey, "agent:home:hook:ci");
  const status = hooksStatus({
    config: { enabled: true, maxBodyBytes: 1024, idempotencyHeaders: [], mappings: { ci: m, other: plain } },
    token: { source: null } as never,
    store: null,
    env: {},
    defaultAgent: "home",
  });
  assert.deepEqual(
    status.mappings.map((s) => [s.name, s.agent, s.session]),
    [
      ["ci", "work", "agent:work:hook:ci"],
      ["other", "home", "agent:home:hook:other"],
    ],
  );
});
