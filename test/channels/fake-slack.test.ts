/** The fake Slack speaks the real wire: the official clients (@slack/web-api, @slack/socket-mode) work against it. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SocketModeClient } from "@slack/socket-mode";
import { ErrorCode, LogLevel, WebClient, type WebAPIRateLimitedError } from "@slack/web-api";
import { FakeSlack } from "../helpers/fake-slack.ts";

const slack = new FakeSlack({ ackTimeoutMs: 300, maxRetries: 2 });
const clients: SocketModeClient[] = [];
before(() => slack.start());
after(async () => {
  for (const c of clients) await c.disconnect().catch(() => {});
  await slack.close();
});

const web = (token = slack.botToken, o: ConstructorParameters<typeof WebClient>[1] = {}) =>
  new WebClient(token, { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 }, ...o });

function socketClient(): SocketModeClient {
  const c = new SocketModeClient({ appToken: slack.appToken, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: slack.apiUrl } });
  clients.push(c);
  return c;
}

const until = async (cond: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test("WebClient: auth.test, a post with metadata, and history that returns the metadata only when asked", async () => {
  const c = web();
  const me = await c.auth.test();
  assert.equal(me.user_id, slack.world.botUserId);
  const ch = slack.channel("general");
  const posted = await c.chat.postMessage({ channel: ch, text: "hello", metadata: { event_type: "onebrain_reply", event_payload: { key: "k-1", part: 1 } } });
  assert.equal(posted.ok, true);
  const plain = await c.conversations.history({ channel: ch, oldest: "0" });
  assert.equal(plain.messages?.[0]?.text, "hello");
  assert.equal((plain.messages![0] as { metadata?: unknown }).metadata, undefined);
  const meta = await c.conversations.history({ channel: ch, include_all_metadata: true });
  assert.deepEqual((meta.messages![0] as { metadata?: unknown }).metadata, { event_type: "onebrain_reply", event_payload: { key: "k-1", part: 1 } });
  await assert.rejects(c.chat.postMessage({ channel: "C0NOPE", text: "x" }), /channel_not_found/);
  await assert.rejects(web("xoxb-wrong").auth.test(), /invalid_auth/);
});

test("WebClient: a 429 carries Retry-After; the SDK reports it as rate limited with the wait", async () => {
  const ch = slack.channel("limited");
  slack.rateLimit("chat.postMessage", 7);
  const err = (await web(slack.botToken, { rejectRateLimitedCalls: true })
    .chat.postMessage({ channel: ch, text: "x" })
    .catch((e: unknown) => e)) as WebAPIRateLimitedError;
  assert.equal(err.code, ErrorCode.RateLimitedError);
  assert.equal(err.retryAfter, 7);
  assert.equal(slack.botMessages(ch).length, 0, "a 429 is not carried out");
});

test("WebClient: a lost answer still posts the message (the client sees a network error)", async () => {
  const ch = slack.channel("lossy");
  slack.loseAnswers("chat.postMessage");
  await assert.rejects(web().chat.postMessage({ channel: ch, text: "maybe" }));
  assert.deepEqual(
    slack.botMessages(ch).map((m) => m.text),
    ["maybe"],
  );
});

test("SocketModeClient: hello with num_connections, a DM event, ack; an unacked envelope comes again with retry_attempt", async () => {
  const c = socketClient();
  const seen: Array<{ id: string; retry: number; type: string; ts: string }> = [];
  let ackIt = false;
  c.on("slack_event", async ({ ack, envelope_id, retry_num, body }) => {
    seen.push({ id: envelope_id, retry: retry_num, type: body.event.type, ts: body.event.ts });
    if (ackIt) await ack();
  });
  const hello = new Promise<void>((r) => c.once("connected", () => r()));
  await c.start();
  await hello;
  assert.equal(slack.socket.sockets.size, 1);
  const u = slack.user("ada");
  const dm = slack.im(u);
  const m = slack.userSays(dm, u, "first");
  await until(() => seen.filter((s) => s.ts === m.ts).length >= 2, "redelivered after no ack");
  const mine = seen.filter((s) => s.ts === m.ts);
  assert.equal(mine[0]!.id, mine[1]!.id, "the same envelope");
  assert.deepEqual(
    mine.slice(0, 2).map((s) => s.retry),
    [0, 1],
  );
  ackIt = true;
  const n = slack.userSays(dm, u, "second");
  await until(() => slack.socket.acks.size > 0 && seen.some((s) => s.ts === n.ts), "acked");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(seen.filter((s) => s.ts === n.ts).length, 1, "an acked envelope is not sent again");
});

test("SocketModeClient: a channel mention is two envelopes (message, app_mention) for one ts; disconnect makes it reconnect", async () => {
  const c = socketClient();
  const events: Array<{ type: string; ts: string; eventId: string }> = [];
  c.on("slack_event", async ({ ack, body }) => {
    await ack();
    events.push({ type: body.event.type, ts: body.event.ts, eventId: body.event_id });
  });
  await c.start();
  await until(() => slack.socket.sockets.size >= 1, "connected");
  for (const other of clients.slice(0, -1)) await other.disconnect();
  await until(() => slack.socket.sockets.size === 1, "one socket");
  const u = slack.user("bo");
  const ch = slack.channel("team");
  const m = slack.userSays(ch, u, "hi bot", { mention: true });
  await until(() => events.filter((e) => e.ts === m.ts).length === 2, "both events");
  const both = events.filter((e) => e.ts === m.ts);
  assert.deepEqual(both.map((e) => e.type).sort(), ["app_mention", "message"]);
  assert.notEqual(both[0]!.eventId, both[1]!.eventId);

  const reconnected = new Promise<void>((r) => c.once("connected", () => r()));
  slack.socket.disconnectAll("refresh_requested");
  await reconnected;
  await until(() => slack.socket.sockets.size === 1, "the old socket closed");
  const after = slack.userSays(ch, u, "still here?", { mention: true });
  await until(() => events.some((e) => e.ts === after.ts), "an event on the new connection");
});

test("hello counts the app's open connections (this one included); a ticket is good for one connection", async () => {
  const { WebSocket } = await import("ws");
  for (const c of clients) await c.disconnect().catch(() => {});
  await until(() => slack.socket.sockets.size === 0, "no sockets");
  const open = async () => {
    const r = await web(slack.appToken).apps.connections.open();
    const ws = new WebSocket(r.url!);
    const hello = await new Promise<{ type: string; num_connections: number }>((res, rej) => {
      ws.once("message", (d: Buffer) => res(JSON.parse(d.toString("utf8"))));
      ws.once("error", rej);
    });
    return { ws, hello, url: r.url! };
  };
  const a = await open();
  const b = await open();
  assert.deepEqual([a.hello.type, a.hello.num_connections, b.hello.num_connections], ["hello", 1, 2]);
  const again = new WebSocket(a.url);
  await assert.rejects(new Promise((res, rej) => (again.once("open", res), again.once("error", rej))), /401/);
  a.ws.terminate();
  b.ws.terminate();
  await assert.rejects(web(slack.botToken).apps.connections.open(), /not_allowed_token_type/);
});
