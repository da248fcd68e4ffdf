import { test } from "node:test";
import assert from "node:assert/strict";
import { isResetCommand, parseSessionKey, sessionKey, type SessionAddress } from "../../src/sessions/keys.ts";
import { expiry, lastDailyBoundary } from "../../src/sessions/reset.ts";

const dm: SessionAddress = { agentId: "main", channel: "telegram", account: "bot1", kind: "dm", peer: "42" };

test("the owner's direct chats share agent:<id>:main by default", () => {
  assert.equal(sessionKey(dm, "main"), "agent:main:main");
  assert.equal(sessionKey({ ...dm, channel: "webchat", account: "default", peer: "tab-1" }, "main"), "agent:main:main");
});

test("per-channel-peer and per-peer give each person a session; groups always have their own", () => {
  assert.equal(sessionKey(dm, "per-channel-peer"), "agent:main:telegram:bot1:dm:42");
  assert.equal(sessionKey(dm, "per-peer"), "agent:main:telegram:*:dm:42");
  assert.equal(sessionKey({ ...dm, kind: "group", peer: "-100123" }, "main"), "agent:main:telegram:bot1:group:-100123");
});

test("ids containing ':' cannot forge another key, and keys parse back", () => {
  const key = sessionKey({ ...dm, peer: "a:b", account: "x:y" }, "per-channel-peer");
  assert.equal(key.split(":").length, 6);
  assert.deepEqual(parseSessionKey(key), { agentId: "main", scope: "dm", channel: "telegram", account: "x:y", peer: "a:b" });
  assert.deepEqual(parseSessionKey("agent:main:main"), { agentId: "main", scope: "main" });
  assert.equal(parseSessionKey("something-else"), null);
});

test("/new and /reset are commands, with or without @botname; other text is not", () => {
  assert.equal(isResetCommand("/new"), "new");
  assert.equal(isResetCommand(" /RESET@my_bot "), "reset");
  assert.equal(isResetCommand("/new chat please"), null);
  assert.equal(isResetCommand("please /reset"), null);
});

test("a daily session expires once the local reset hour has passed since its last activity", () => {
  const at = (y: number, mo: number, d: number, h: number, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
  const policy = { mode: "daily" as const, atHour: 4, idleMinutes: 120 };
  assert.equal(lastDailyBoundary(at(2026, 11, 21, 10), 4), at(2026, 11, 21, 4));
  assert.equal(lastDailyBoundary(at(2026, 11, 21, 3), 4), at(2026, 11, 20, 4));
  assert.equal(expiry(at(2026, 11, 21, 3, 59), at(2026, 11, 21, 4, 1), policy), "daily");
  assert.equal(expiry(at(2026, 11, 21, 4, 1), at(2026, 11, 21, 23, 0), policy), null);
  assert.equal(expiry(at(2026, 11, 20, 23, 0), at(2026, 11, 21, 3, 0), policy), null, "before today's boundary");
  assert.equal(expiry(at(2026, 11, 18, 12, 0), at(2026, 11, 21, 3, 0), policy), "daily", "days idle");
});

test("an idle session expires after idleMinutes without activity", () => {
  const policy = { mode: "idle" as const, atHour: 4, idleMinutes: 30 };
  assert.equal(expiry(0, 29 * 60_000, policy), null);
  assert.equal(expiry(0, 30 * 60_000, policy), "idle");
});

test("a string with a malformed %-escape is not a session key (null, not a URIError)", () => {
  assert.equal(parseSessionKey("agent:main:%E0:default:dm:x"), null);
});
