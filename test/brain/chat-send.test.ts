/**
 * `chat.send` over a real WebSocket to a real gateway: the session a reply names is the session
 * the message went to, a duplicate names the original's, and the 64 KiB limit counts UTF-8 bytes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectGateway, type GatewayConnection } from "../../src/client/gateway-client.ts";
import type { EventFrame } from "../../src/protocol/frames.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway, type RunningGateway } from "../helpers/gateway.ts";

const fake = new FakeModelServer();
let gw: RunningGateway;
let c: GatewayConnection;
before(async () => {
  await fake.start();
  gw = await startGateway({ config: { models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } } } });
  c = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, clientId: "chat-send-test", mode: "webchat" });
});
after(async () => {
  await c?.close();
  await gw?.stop();
  await fake.close();
});

interface Sent {
  status: string;
  sessionKey: string;
  idempotencyKey: string;
}

/** The wire error code and message of a refused request. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { message: string; details?: { wireCode?: string } };
    return { code: e.details?.wireCode ?? "none", message: e.message };
  }
  assert.fail("the request was accepted");
}

async function finalFor(sessionKey: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const hit = c.events.find(
      (e: EventFrame) =>
        e.event === "chat" &&
        (e.payload as { state: string; sessionKey: string }).state === "final" &&
        (e.payload as { sessionKey: string }).sessionKey === sessionKey,
    );
    if (hit) return hit.payload as Record<string, unknown>;
    if (Date.now() > deadline) assert.fail(`no final reply in session ${sessionKey}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const key of [
  "my-chat",
  "main",
  "agent:",
  "agent:main",
  "agent:main:",
  "agent:other:main",
  " agent:main:main",
  "agent:main:two words",
  "agent:main:line\nbreak",
]) {
  test(`a session key that is not routable (${JSON.stringify(key)}) is refused with INVALID_REQUEST naming it and the accepted forms`, async () => {
    const r = await refusal(c.request("chat.send", { text: "hi", idempotencyKey: `bad-${key}`, sessionKey: key }));
    assert.equal(r.code, "INVALID_REQUEST");
    assert.ok(r.message.includes(JSON.stringify(key)), r.message);
    assert.match(r.message, /agent:main:main/);
    assert.match(r.message, /agent:main:<channel>:<account>:dm:<peer>/);
  });
}

for (const key of ["agent:main:webchat:default:dm:side-chat", "agent:main:my-notes"]) {
  test(`a routable session key (${key}) is used as given, and the reply comes in that session`, async () => {
    const sent = await c.request<Sent>("chat.send", { text: "side", idempotencyKey: `routable-${key}`, sessionKey: key });
    assert.deepEqual([sent.status, sent.sessionKey], ["accepted", key]);
    assert.equal((await finalFor(key)).text, "echo: side");
    const history = await c.request<{ messages: Array<{ content: string }> }>("chat.history", { sessionKey: key });
    assert.deepEqual(
      history.messages.map((m) => m.content),
      ["side", "echo: side"],
    );
  });
}

test("a duplicate answers with the original message's session, not the one the retry names", async () => {
  const first = await c.request<Sent>("chat.send", { text: "original", idempotencyKey: "dup-session-1" });
  assert.deepEqual([first.status, first.sessionKey], ["accepted", "agent:main:main"]);
  const retry = await c.request<Sent>("chat.send", {
    text: "original",
    idempotencyKey: "dup-session-1",
    sessionKey: "agent:main:webchat:default:dm:elsewhere",
  });
  assert.deepEqual([retry.status, retry.sessionKey], ["duplicate", "agent:main:main"]);
});

test("the 64 KiB limit on text counts UTF-8 bytes: multi-byte text just under it is accepted, just over it refused", async () => {
  // "€" is 3 bytes in UTF-8 and 1 UTF-16 unit: 21,845 of them are 65,535 bytes.
  const under = "€".repeat(21_845);
  const ok = await c.request<Sent>("chat.send", { text: under, idempotencyKey: "bytes-under" });
  assert.equal(ok.status, "accepted");
  const exact = "€".repeat(21_845) + "a";
  assert.equal(Buffer.byteLength(exact), 65_536);
  assert.equal((await c.request<Sent>("chat.send", { text: exact, idempotencyKey: "bytes-exact" })).status, "accepted");
  // 21,846 of them are 65,538 bytes (but only 21,846 UTF-16 units: far under a char count of 65,536).
  const over = "€".repeat(21_846);
  const r = await refusal(c.request("chat.send", { text: over, idempotencyKey: "bytes-over" }));
  assert.equal(r.code, "INVALID_REQUEST");
  assert.match(r.message, /text: .*65536 bytes/);
  // An emoji is 4 bytes and 2 UTF-16 units.
  const emoji = "😀".repeat(16_385);
  assert.equal((await refusal(c.request("chat.send", { text: emoji, idempotencyKey: "bytes-emoji" }))).code, "INVALID_REQUEST");
});
