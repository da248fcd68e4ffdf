/** Chat messages keep one idempotency key until the gateway acknowledges them. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ChatOutbox } from "../../console/src/chat/outbox.ts";
import { RequestError } from "../../console/src/link/connection.ts";
import { freePort, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { flush } from "./fakes.ts";
import { nodeLink, waitForLink } from "./support.ts";

test("a send that was not acknowledged goes again with the same key on reconnect, and only then", async () => {
  const keys: string[] = [];
  let fail: string | null = "LINK_DOWN";
  let n = 0;
  const box = new ChatOutbox(
    async (p) => {
      keys.push(p.idempotencyKey);
      if (fail) throw new RequestError(fail, "down");
      return { status: "accepted" };
    },
    () => `key-${++n}`,
  );
  const statuses: string[] = [];
  box.subscribe((m) => statuses.push(m.status));
  box.submit("hello");
  await flush();
  assert.deepEqual(
    box.unacknowledged().map((m) => [m.key, m.status]),
    [["key-1", "waiting"]],
  );
  fail = null;
  box.resendWaiting();
  await flush();
  assert.deepEqual(keys, ["key-1", "key-1"]);
  assert.deepEqual(statuses, ["sending", "waiting", "sending", "accepted"]);
  box.resendWaiting();
  await flush();
  assert.equal(keys.length, 2, "an acknowledged message is never sent again");
});

test("every new message gets a fresh key", async () => {
  const keys: string[] = [];
  const box = new ChatOutbox(async (p) => void keys.push(p.idempotencyKey));
  box.submit("one");
  box.submit("two");
  await flush();
  assert.equal(new Set(keys).size, 2);
  for (const k of keys) assert.match(k, /^console-[A-Za-z0-9_-]{22}$/);
});

test("a message the gateway rejected outright is failed, not resent", async () => {
  let calls = 0;
  const box = new ChatOutbox(async () => {
    calls++;
    throw new RequestError("INVALID_REQUEST", "text: too long");
  });
  const seen: Array<[string, string | undefined]> = [];
  box.subscribe((m) => seen.push([m.status, m.error]));
  box.submit("x");
  await flush();
  box.resendWaiting();
  await flush();
  assert.equal(calls, 1);
  assert.deepEqual(seen.at(-1), ["failed", "text: too long"]);
});

const running: RunningGateway[] = [];
after(async () => {
  for (const g of running) await g.stop();
});

test("a message typed while the gateway is down is delivered once after it comes back", async () => {
  const port = await freePort();
  const stateDir = path.join(tmpDir(), "state");
  const first = await startGateway({ port, stateDir });
  running.push(first);
  const { conn } = nodeLink(port, { backoff: { baseMs: 100, maxMs: 300 } });
  const box = new ChatOutbox((p) => conn.request("chat.send", p));
  // What the app does: resend on every new link.
  conn.subscribe((s) => s.hello && s.generation > 1 && box.resendWaiting());
  conn.start();
  await waitForLink(conn, (s) => s.state === "connected", "connected");
  await first.stop();
  await waitForLink(conn, (s) => s.state === "reconnecting", "reconnecting");

  const key = box.submit("typed while down");
  await flush();
  assert.deepEqual(
    box.unacknowledged().map((m) => [m.key, m.status]),
    [[key, "waiting"]],
  );

  running.push(await startGateway({ port, stateDir }));
  await waitForLink(conn, (s) => s.state === "replaced", "replaced");
  const deadline = Date.now() + 5_000;
  while (box.unacknowledged().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(box.unacknowledged().length, 0);
  const history = await conn.request<{ messages: Array<{ role: string; content: string }> }>("chat.history", { limit: 50 });
  assert.equal(history.messages.filter((m) => m.role === "user" && m.content === "typed while down").length, 1);
  conn.stop();
});
