/** The configured agents as a config resolves them (src/agents/roster.ts), and the config's checks of agents and bindings. */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { agentRoster } from "../../src/agents/roster.ts";
import { validateConfig } from "../../src/config/load.ts";
import { hasCode } from "../../src/shared/errors.ts";

const at = { stateDir: "/srv/brain", home: "/home/ada" };
const load = (raw: unknown) => validateConfig(raw, "/srv/brain/onebrain.json");

/** The config's problems, one `path: message` per line. */
function problems(raw: unknown): string[] {
  try {
    load(raw);
  } catch (err) {
    assert.ok(hasCode(err, "CONFIG_INVALID"), String(err));
    return (err.details.problems as Array<{ path: string; message: string }>).map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

test("an empty agents.list is the one agent 'main' with agents.defaults, models and tools, as before", () => {
  const config = load({ models: { primary: "anthropic/claude-x", fallbacks: ["openai/gpt-x"] }, tools: { profile: "coding" } });
  const r = agentRoster(config, at);
  assert.deepEqual(r.ids, ["main"]);
  const main = r.defaultAgent;
  assert.deepEqual([main.id, main.isDefault, main.workspace, main.workspaceFrom], ["main", true, "/srv/brain/workspace", "defaults"]);
  assert.equal(main.models, config.models, "the models section itself");
  assert.equal(main.tools, config.tools);
  assert.equal(main.promptFile, "/srv/brain/workspace/AGENTS.md");
  const custom = agentRoster(load({ agents: { defaults: { workspace: "/data/ws" } } }), at);
  assert.equal(custom.defaultAgent.workspace, "/data/ws");
});

test("the default agent is the one marked default, else the first; it keeps agents.defaults.workspace, the others get workspace-<id>", () => {
  const first = agentRoster(load({ agents: { list: [{ id: "home" }, { id: "work" }] } }), at);
  assert.deepEqual([first.defaultAgent.id, first.ids], ["home", ["home", "work"]]);
  const marked = agentRoster(load({ agents: { defaults: { workspace: "/data/ws" }, list: [{ id: "home" }, { id: "work", default: true }] } }), at);
  assert.deepEqual(marked.ids, ["work", "home"], "the default agent first");
  assert.equal(marked.get("work")!.workspace, "/data/ws");
  assert.equal(marked.get("home")!.workspace, "/srv/brain/workspace-home");
  assert.equal(marked.get("home")!.workspaceFrom, "derived");
  assert.equal(marked.get("nobody"), undefined);
});

test("an agent's workspace expands ~ and puts relative paths in the state dir; its prompt file is relative to its workspace", () => {
  const r = agentRoster(
    load({
      agents: {
        list: [
          { id: "a", workspace: "~/agents/a", systemPromptFile: "PROMPT.md" },
          { id: "b", workspace: "ws-b", systemPromptFile: "/etc/onebrain/b.md" },
          { id: "c", workspace: "/abs/c", systemPromptFile: "~/c.md" },
        ],
      },
    }),
    at,
  );
  assert.deepEqual(
    r.agents.map((a) => [a.id, a.workspace, a.promptFile, a.workspaceFrom]),
    [
      ["a", "/home/ada/agents/a", "/home/ada/agents/a/PROMPT.md", "agent"],
      ["b", path.join("/srv/brain", "ws-b"), "/etc/onebrain/b.md", "agent"],
      ["c", "/abs/c", "/home/ada/c.md", "agent"],
    ],
  );
});

test("an agent's model replaces primary and fallbacks (a string has none); its tools replace only the keys it gives", () => {
  const config = load({
    models: { primary: "anthropic/base", fallbacks: ["openai/fb"], maxTokens: 2000 },
    tools: { profile: "full", deny: ["exec"] },
    agents: {
      list: [
        { id: "plain" },
        { id: "str", model: "fake/str-1", tools: { profile: "minimal" } },
        { id: "obj", model: { primary: "fake/obj-1", fallbacks: ["fake/obj-2"] }, tools: { allow: ["exec"], deny: [] } },
      ],
    },
  });
  const r = agentRoster(config, at);
  const plain = r.get("plain")!;
  assert.equal(plain.models, config.models);
  const str = r.get("str")!;
  assert.deepEqual([str.models.primary, str.models.fallbacks, str.models.maxTokens], ["fake/str-1", [], 2000]);
  assert.deepEqual([str.tools.profile, str.tools.deny], ["minimal", ["exec"]]);
  const obj = r.get("obj")!;
  assert.deepEqual([obj.models.primary, obj.models.fallbacks], ["fake/obj-1", ["fake/obj-2"]]);
  assert.deepEqual([obj.tools.profile, obj.tools.allow, obj.tools.deny], ["full", ["exec"], []]);
  assert.equal(obj.tools.exec, config.tools.exec, "the limits stay the brain's");
  assert.ok(Object.isFrozen(obj) && Object.isFrozen(obj.models));
});

test("a roster is made once per config object: the same config gives the same roster, a reloaded one a new one", () => {
  const raw = { agents: { list: [{ id: "home" }] } };
  const a = load(raw);
  assert.equal(agentRoster(a, at), agentRoster(a, at));
  const b = load(raw);
  assert.notEqual(agentRoster(b, at), agentRoster(a, at));
  assert.notEqual(agentRoster(a, { ...at, stateDir: "/other" }), agentRoster(a, at));
});

test("the config refuses duplicate ids, two defaults and malformed ids, naming each key path", () => {
  assert.deepEqual(problems({ agents: { list: [{ id: "home", default: true }, { id: "work" }, { id: "home", default: true }] } }), [
    'agents.list.2.id: expected an id no other agent has (agents.list.0.id is the same), got "home"',
    "agents.list.2.default: expected at most one default agent (agents.list.0 is already the default), got true",
  ]);
  const [bad] = problems({ agents: { list: [{ id: "Work" }] } });
  assert.match(bad!, /^agents\.list\.0\.id: expected an agent id of a-z, 0-9, _ and -/);
  assert.match(problems({ agents: { list: [{ id: "a", model: "nope" }] } })[0]!, /^agents\.list\.0\.model: expected "provider\/model"/);
  assert.match(
    problems({ agents: { list: [{ id: "a", tools: { profile: "all" } }] } })[0]!,
    /^agents\.list\.0\.tools\.profile: expected one of minimal, messaging, coding, full/,
  );
});

test("the config refuses a binding to an agent that is not configured, or to an unknown channel, naming the key path", () => {
  assert.deepEqual(
    problems({
      agents: { list: [{ id: "home" }, { id: "work" }] },
      bindings: [
        { agentId: "home", match: { channel: "telegram" } },
        { agentId: "wrk", match: { channel: "telegram" } },
      ],
    }),
    ['bindings.1.agentId: expected the id of an agent in agents.list (home, work), got "wrk"'],
  );
  assert.match(
    problems({ bindings: [{ agentId: "work", match: { channel: "telegram" } }] })[0]!,
    /^bindings\.0\.agentId: expected "main" \(agents\.list is empty/,
  );
  assert.deepEqual(problems({ bindings: [{ agentId: "main", match: { channel: "telegram" } }] }), [], '"main" is the agent of an empty list');
  assert.match(
    problems({ bindings: [{ agentId: "main", match: { channel: "irc" } }] })[0]!,
    /^bindings\.0\.match\.channel: expected one of telegram, discord, slack, whatsapp, webchat, got "irc"/,
  );
  assert.match(
    problems({ bindings: [{ agentId: "main", match: { channel: "telegram", peer: { kind: "dm", id: "1" } } }] })[0]!,
    /^bindings\.0\.match\.peer\.kind: expected one of direct, group, channel/,
  );
  assert.match(
    problems({ agents: { list: [{ id: "home" }] }, hooks: { mappings: { gh: { message: "x", agent: "work" } } } })[0]!,
    /^hooks\.mappings\.gh\.agent: expected the id of an agent in agents\.list \(home\)/,
  );
});
