/**
 * The Slack channel in process (the real SlackChannel, Brain and SQLite against the fake Slack's
 * Web API and Socket Mode): threads as sessions, mention rules, one reply per message however many
 * envelopes carry it, edits and bot messages ignored, replies made safe, slash commands, and the
 * ack only after the message is stored.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import path from "node:path";
import { FakeSlack } from "../helpers/fake-slack.ts";
import { slackBrain, untilState, type SlackBrain } from "./slack-support.ts";
import { eventually, sleep } from "./telegram-support.ts";

const fakes: FakeSlack[] = [];
const brains: SlackBrain[] = [];
after(async () => {
  for (const b of brains) await b.stop();
  for (const f of fakes) await f.close();
});

async function setup(
  o: Parameters<typeof slackBrain>[1] = {},
  fakeOptions: ConstructorParameters<typeof FakeSlack>[0] = {},
): Promise<{ f: FakeSlack; b: SlackBrain }> {
  const f = new FakeSlack({ ackTimeoutMs: 1500, ...fakeOptions });
  await f.start();
  fakes.push(f);
  const b = await slackBrain(f, o);
  brains.push(b);
  await untilState(b, "connected");
  return { f, b };
}

const texts = (f: FakeSlack, channel: string) => f.botMessages(channel).map((m) => m.text);

test("a DM is answered once, at the top of the DM, with the reply's idempotency key in its metadata", async () => {
  const { f, b } = await setup({ settings: { allowFrom: ["*"] } });
  const user = f.user("ada");
  const dm = f.im(user);
  const m = f.userSays(dm, user, "hello there");
  await eventually(() => f.botMessages(dm).length === 1, 5000, "reply");
  const reply = f.botMessages(dm)[0]!;
  assert.equal(reply.text, "echo: hello there");
  assert.equal(reply.thread_ts, undefined, "a DM is answered in the DM, not in a thread");
  assert.equal(reply.metadata?.event_type, "onebrain_reply");
  const key = (b.store.prepare("SELECT idempotency_key AS k FROM outbox").get() as { k: string }).k;
  assert.deepEqual(reply.metadata?.event_payload, { key, part: 0 });
  const row = b.store.prepare("SELECT message_id AS id FROM inbound").get() as { id: string };
  assert.equal(row.id, `${dm}:${m.ts}`, "stored under channel + ts");
});

test("a channel mention is answered in a thread under it; the thread's follow-ups need no mention; other channel talk is ignored", async () => {
  const { f } = await setup({ settings: { allowFrom: ["*"] } });
  const bob = f.user("bob");
  const general = f.channel("general");
  f.userSays(general, bob, "just chatting, not to the bot");
  const asked = f.userSays(general, bob, "what is 2+2?", { mention: true });
  await eventually(() => f.botMessages(general).length === 1, 5000, "reply to the mention");
  const first = f.botMessages(general)[0]!;
  assert.equal(first.thread_ts, asked.ts, "in a thread under the message");
  assert.match(first.text, /what is 2\+2\?/);
  assert.doesNotMatch(first.text, /U0FAKEBOT1/, "the bot's own mention is left out of what the agent reads");
  // Two envelopes (message + app_mention) carried the mention: one reply.
  await sleep(300);
  assert.equal(f.botMessages(general).length, 1);
  f.userSays(general, bob, "and 3+3?", { threadTs: asked.ts });
  await eventually(() => f.botMessages(general).length === 2, 5000, "reply in the thread without a mention");
  assert.equal(f.botMessages(general)[1]!.thread_ts, asked.ts);
  f.userSays(general, bob, "still not to the bot");
  await sleep(500);
  assert.equal(f.botMessages(general).length, 2);
});

test("a mention inside a thread the bot never saw starts a session with the thread's earlier messages", async () => {
  const { f, b } = await setup({ settings: { allowFrom: ["*"], thread: { initialHistoryLimit: 5 } } });
  const cy = f.user("cy");
  const general = f.channel("general");
  const root = f.userSays(general, cy, "deploy plan: friday at noon");
  f.userSays(general, cy, "ops agrees", { threadTs: root.ts });
  f.userSays(general, cy, "is friday a good idea?", { threadTs: root.ts, mention: true });
  await eventually(() => f.botMessages(general).length === 1, 5000, "reply");
  assert.equal(f.botMessages(general)[0]!.thread_ts, root.ts);
  const asked = b.agent.calls[0]!.at(-1)!.content;
  assert.match(asked, /\[earlier in this Slack thread\]/);
  assert.match(asked, /deploy plan: friday at noon/);
  assert.match(asked, /ops agrees/);
  assert.match(asked, /is friday a good idea\?$/);
});

test("edits, deletions, joins and bot messages (ours and others') never start a run", async () => {
  const { f, b } = await setup({ settings: { allowFrom: ["*"] } });
  const dee = f.user("dee");
  const dm = f.im(dee);
  const raw = (event: Record<string, unknown>) =>
    f.socket.deliver("events_api", { type: "event_callback", team_id: f.world.teamId, api_app_id: f.world.appId, event_id: f.world.id("Ev"), event });
  const base = { type: "message", channel: dm, channel_type: "im", event_ts: "1.000001" };
  raw({ ...base, subtype: "message_changed", message: { text: "edited", user: dee, ts: "1.000001" }, ts: "1.000002" });
  raw({ ...base, subtype: "message_deleted", deleted_ts: "1.000001", ts: "1.000003" });
  raw({ ...base, subtype: "channel_join", user: dee, text: "joined", ts: "1.000004" });
  raw({ ...base, subtype: "bot_message", bot_id: "B0OTHER", text: "another bot", ts: "1.000005" });
  raw({ ...base, user: f.world.botUserId, bot_id: f.world.botId, text: "our own echo", ts: "1.000006" });
  raw({ ...base, user: dee, text: "a real one", ts: "1.000007" });
  await eventually(() => f.botMessages(dm).length === 1, 5000, "the real message answered");
  await sleep(300);
  assert.deepEqual(texts(f, dm), ["echo: a real one"]);
  assert.equal(b.agent.calls.length, 1);
  assert.equal(f.socket.unacked, 0, "every envelope acked, ignored ones too");
});

test("a reply cannot ping @channel or anyone: control sequences are escaped, links kept, posted with parse none", async () => {
  const { f, b } = await setup({ settings: { allowFrom: ["*"] } });
  b.agent.script = async (_h, _s, onDelta) => {
    const t = "**Note** <!channel> <!here> <@U0ADMIN> & see [docs](https://example.com/a?b=1&c=2) @channel";
    onDelta(t);
    return t;
  };
  const eve = f.user("eve");
  const dm = f.im(eve);
  f.userSays(dm, eve, "format please");
  await eventually(() => f.botMessages(dm).length === 1, 5000, "reply");
  const text = texts(f, dm)[0]!;
  assert.equal(text, "*Note* &lt;!channel&gt; &lt;!here&gt; &lt;@U0ADMIN&gt; &amp; see <https://example.com/a?b=1&amp;c=2|docs> @channel");
  const post = f.calls.find((c) => c.method === "chat.postMessage")!;
  assert.equal(post.params.parse, "none");
  assert.equal(String(post.params.link_names), "false");
});

test("a long reply goes out in parts of at most textChunkLimit, in order, each with its part index", async () => {
  const { f, b } = await setup({ settings: { allowFrom: ["*"], textChunkLimit: 200 } });
  const long = Array.from({ length: 30 }, (_, i) => `line ${i} of a long answer`).join("\n");
  b.agent.script = async (_h, _s, onDelta) => (onDelta(long), long);
  const fay = f.user("fay");
  const dm = f.im(fay);
  f.userSays(dm, fay, "tell me everything");
  await eventually(() => f.botMessages(dm).length >= 4, 5000, "parts");
  await sleep(200);
  const parts = f.botMessages(dm);
  assert.ok(parts.every((p) => p.text.length <= 200));
  assert.deepEqual(
    parts.map((p) => p.metadata?.event_payload.part),
    parts.map((_, i) => i),
  );
  assert.equal(parts.map((p) => p.text).join("\n"), long);
});

test("/onebrain status is stored and answered; a wrong sub-command gets the usage in its ack; a stranger gets a pairing code there", async () => {
  const { f, b } = await setup({ settings: { allowFrom: [] } });
  const owner = f.user("gus");
  b.slackSettings.allowFrom.push(owner);
  const dm = f.im(owner);
  const ok = f.slash(dm, owner, "status");
  await eventually(() => f.botMessages(dm).length === 1, 5000, "status answered");
  assert.match(texts(f, dm)[0]!, /session/i);
  assert.equal(f.socket.acks.get(ok.envelope_id), 1);
  const wrong = f.slash(dm, owner, "dance");
  await eventually(() => f.socket.ackPayloads.has(wrong.envelope_id), 5000, "usage");
  assert.match(String(f.socket.ackPayloads.get(wrong.envelope_id)!.text), /Usage: \/onebrain new/);
  const stranger = f.user("hal");
  const sdm = f.im(stranger);
  const asked = f.slash(sdm, stranger, "new");
  await eventually(() => f.socket.ackPayloads.has(asked.envelope_id), 5000, "pairing in the ack");
  const payload = f.socket.ackPayloads.get(asked.envelope_id)!;
  assert.equal(payload.response_type, "ephemeral");
  assert.match(String(payload.text), /onebrain pairing approve slack [A-Z2-9]{8}/);
  assert.equal(b.agent.calls.length, 0, "nothing reached the agent");
});

test("an envelope is acked only once its message is stored", async () => {
  const { f, b } = await setup({ settings: { allowFrom: ["*"] } });
  const ivy = f.user("ivy");
  const dm = f.im(ivy);
  const db = new DatabaseSync(path.join(b.stateDir, "brain.db"), { readOnly: true });
  const seenAtAck: boolean[] = [];
  f.socket.onAck = (id) => {
    const env = f.socket.envelopes.get(id);
    const ts = (env?.payload.event as { ts?: string } | undefined)?.ts;
    if (ts) seenAtAck.push(db.prepare("SELECT 1 FROM inbound WHERE message_id = ?").get(`${dm}:${ts}`) !== undefined);
  };
  for (let i = 0; i < 20; i++) f.userSays(dm, ivy, `m${i}`);
  await eventually(() => seenAtAck.length === 20, 10_000, "20 acks");
  db.close();
  assert.deepEqual(seenAtAck, Array(20).fill(true));
});

test("malformed envelopes (no event, wrong types, bogus ts, a 200 KB text) are acked and skipped; the channel goes on", async () => {
  const { f, b } = await setup({ settings: { allowFrom: ["*"] } });
  const jo = f.user("jo");
  const dm = f.im(jo);
  const raw = (payload: Record<string, unknown>, type: "events_api" | "slash_commands" | "interactive" = "events_api") => f.socket.deliver(type, payload);
  const base = { type: "message", channel: dm, channel_type: "im", user: jo };
  raw({});
  raw({ event: null });
  raw({ event: "message" });
  raw({ event: { ...base, text: 42, ts: "1.000001" } });
  raw({ event: { ...base, text: "x", ts: "not-a-ts" } });
  raw({ event: { ...base, text: "x", ts: "1.000002", thread_ts: { a: 1 } } });
  raw({ event: { ...base, channel: ["D1"], text: "x", ts: "1.000003" } });
  raw({ event: { ...base, user: "<script>", text: "x", ts: "1.000004" } });
  raw({ user_id: 7, channel_id: null, text: ["new"], trigger_id: 1 }, "slash_commands");
  raw({ type: "block_actions" }, "interactive");
  const big = "y".repeat(200_000);
  raw({ event: { ...base, text: big, ts: "1.000005" } });
  f.userSays(dm, jo, "still there?");
  await eventually(() => texts(f, dm).includes("echo: still there?"), 10_000, "answered after the junk");
  await eventually(() => f.socket.unacked === 0, 5000, "every envelope acked");
  assert.equal(b.agent.calls.length, 2, "the big one and the real one ran; the malformed ones did not");
});
