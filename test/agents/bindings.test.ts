/** Which agent a message goes to: the bindings' precedence, pure (src/agents/bindings.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bindAgent, type Binding } from "../../src/agents/bindings.ts";

const dm = (peer: string, account = "bot1", channel = "telegram") => ({ channel, account, kind: "dm" as const, peer });
const group = (peer: string, account = "bot1", channel = "telegram") => ({ channel, account, kind: "group" as const, peer });
const bind = (agentId: string, match: Binding["match"]): Binding => ({ agentId, match });

test("with no binding, or none for the channel, a message goes to the default agent", () => {
  assert.equal(bindAgent([], dm("42"), "home"), "home");
  assert.equal(bindAgent([bind("work", { channel: "discord" })], dm("42"), "home"), "home");
});

test("a binding naming the chat wins over an exact account, which wins over any account, whatever their order", () => {
  const bindings = [
    bind("any", { channel: "telegram" }),
    bind("star", { channel: "telegram", accountId: "*" }),
    bind("account", { channel: "telegram", accountId: "bot1" }),
    bind("peer", { channel: "telegram", peer: { kind: "direct", id: "42" } }),
  ];
  assert.equal(bindAgent(bindings, dm("42"), "home"), "peer");
  assert.equal(bindAgent(bindings, dm("43"), "home"), "account");
  assert.equal(bindAgent(bindings, dm("43", "bot2"), "home"), "any", "omitted accountId and '*' are one tier: the first in order wins");
});

test("within a tier the first binding in config order wins", () => {
  const bindings = [bind("first", { channel: "telegram", accountId: "*" }), bind("second", { channel: "telegram" })];
  assert.equal(bindAgent(bindings, dm("1"), "home"), "first");
  const peers = [
    bind("a", { channel: "telegram", peer: { kind: "group", id: "-100" } }),
    bind("b", { channel: "telegram", peer: { kind: "channel", id: "-100" } }),
  ];
  assert.equal(bindAgent(peers, group("-100"), "home"), "a");
});

test("peer kinds: direct matches a direct chat only; group and channel match groups only", () => {
  const direct = [bind("work", { channel: "telegram", peer: { kind: "direct", id: "7" } })];
  assert.equal(bindAgent(direct, dm("7"), "home"), "work");
  assert.equal(bindAgent(direct, group("7"), "home"), "home", "a group with the same id is another chat");
  for (const kind of ["group", "channel"] as const) {
    const b = [bind("work", { channel: "discord", peer: { kind, id: "g1" } })];
    assert.equal(bindAgent(b, group("g1", "bot1", "discord"), "home"), "work", kind);
    assert.equal(bindAgent(b, dm("g1", "bot1", "discord"), "home"), "home", kind);
  }
});

test("a peer binding with an account matches that account only; a wrong channel never matches", () => {
  const b = [bind("work", { channel: "telegram", accountId: "bot2", peer: { kind: "direct", id: "7" } })];
  assert.equal(bindAgent(b, dm("7", "bot2"), "home"), "work");
  assert.equal(bindAgent(b, dm("7", "bot1"), "home"), "home");
  assert.equal(bindAgent(b, dm("7", "bot2", "slack"), "home"), "home");
  assert.equal(bindAgent([bind("work", { channel: "telegram", accountId: "bot2" })], dm("7", "bot1"), "home"), "home");
});
