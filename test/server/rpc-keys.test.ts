/**
 * Keys a client names (idempotency keys, session keys, its client id) are stored in SQLite as
 * UTF-8 and used as map keys. A string with a lone UTF-16 surrogate has no UTF-8 form: stored, it
 * would become U+FFFD, and two different keys would collide (a new message taken for a duplicate,
 * one client's session shared with another). Such keys are refused with INVALID_REQUEST.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gatewayFor, openRaw, type RawClient } from "./raw-ws.ts";

const LONE_HIGH = "\ud800";
const LONE_LOW = "\udfff";

async function connected(port: number, clientId = "raw-test"): Promise<RawClient> {
  const c = await openRaw(port);
  const res = await c.request("connect", { minProtocol: 1, maxProtocol: 1, client: { id: clientId, version: "0.0.0", platform: "linux", mode: "test" } });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  return c;
}

test("chat.send refuses an idempotency key with a lone surrogate instead of storing a mangled key that collides", async (t) => {
  const gw = await gatewayFor(t, {});
  const c = await connected(gw.port);
  for (const key of [`k-${LONE_HIGH}`, `k-${LONE_LOW}`, `${LONE_LOW}${LONE_HIGH}`]) {
    const res = await c.request("chat.send", { text: "hello", idempotencyKey: key });
    assert.equal(res.ok, false, `accepted ${JSON.stringify(key)}: ${JSON.stringify(res.payload)}`);
    assert.equal(res.error!.code, "INVALID_REQUEST");
    assert.match(res.error!.message, /^idempotencyKey: expected well-formed Unicode: a lone UTF-16 surrogate \(\\u[0-9a-f]{4} at index \d\) has no UTF-8 form/);
  }
  // A well-formed key with a real surrogate pair (an emoji) is a key like any other.
  const emoji = await c.request("chat.send", { text: "hello", idempotencyKey: "k-😀" });
  assert.equal(emoji.ok, true, JSON.stringify(emoji.error));
  assert.equal(emoji.payload.status, "accepted");
  const other = await c.request("chat.send", { text: "hello", idempotencyKey: "k-\ufffd" });
  assert.equal(other.payload.status, "accepted", "U+FFFD itself is a distinct, valid key");
  c.ws.close();
});

test("session keys with a lone surrogate are refused by every method that takes one", async (t) => {
  const gw = await gatewayFor(t, {});
  const c = await connected(gw.port);
  const key = `agent:main:webchat:dm:x${LONE_HIGH}`;
  for (const [method, params] of [
    ["chat.send", { text: "hi", idempotencyKey: "s-1", sessionKey: key }],
    ["chat.history", { sessionKey: key }],
    ["chat.abort", { sessionKey: key }],
    ["sessions.reset", { sessionKey: key }],
  ] as const) {
    const res = await c.request(method, params);
    assert.equal(res.error?.code, "INVALID_REQUEST", `${method}: ${JSON.stringify(res)}`);
    assert.match(res.error!.message, /^sessionKey: expected well-formed Unicode/);
  }
  c.ws.close();
});

test("a connect whose client id has a lone surrogate is refused: the id names the client's own session", async (t) => {
  const gw = await gatewayFor(t, {});
  const c = await openRaw(gw.port);
  const res = await c.request("connect", { minProtocol: 1, maxProtocol: 1, client: { id: `tab${LONE_HIGH}`, version: "0", platform: "linux", mode: "test" } });
  assert.equal(res.error?.code, "INVALID_REQUEST");
  assert.match(res.error!.message, /client\.id: expected well-formed Unicode/);
  assert.equal((await c.closed).code, 1008);
});
