/** Which Discord messages and slash commands reach the agent and as what text (pure: no server needed). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { configSchema } from "../../src/config/schema.ts";
import { decideInteraction, decideMessage, type DiscordMessage, type InboundContext } from "../../src/channels/discord/inbound.ts";

const BOT = "400000000000000001";
const base = configSchema.parse({}).channels.discord;
const access = {
  isAllowed: (s: string) => s === "7" || s === "9",
  isOwner: (s: string) => s === "7",
  requestPairing: () => ({ code: "ABCD", isNew: true }),
};
const threads = new Map([["thread-1", "chan-open"]]);
const ctx = (settings: Partial<typeof base> = {}): InboundContext => ({
  botId: BOT,
  settings: { ...base, ...settings },
  access,
  parentOf: (c) => threads.get(c),
});
let n = 100;
function msg(o: Partial<DiscordMessage> & { from?: string; name?: string }): DiscordMessage {
  const id = String(n++);
  return {
    id,
    channel_id: "dm-1",
    author: { id: o.from ?? "7", username: o.name ?? "ada", global_name: "Ada" },
    content: "hello",
    type: 0,
    mentions: [],
    ...o,
  };
}
const kinds = (ds: ReturnType<typeof decideMessage>[]) => ds.map((d) => d.kind);

test("a direct message from the owner reaches the agent bare, threaded to itself; an approved guest is a guest", () => {
  const owner = decideMessage(msg({ content: "what time is it?" }), ctx());
  assert.equal(owner.kind, "ingest");
  if (owner.kind !== "ingest") return;
  assert.deepEqual(
    { ...owner.message, messageId: "x" },
    { messageId: "x", peer: "dm-1", sender: "7", replyTo: owner.message.messageId, kind: "dm", text: "what time is it?", owner: true },
  );
  const guest = decideMessage(msg({ from: "9", name: "bo" }), ctx());
  assert.equal(guest.kind === "ingest" && guest.message.guest, true);
});

test("a stranger's direct message asks for pairing under `pairing`, and is skipped under `allowlist`", () => {
  const stranger = msg({ from: "55", name: "eve" });
  const d = decideMessage(stranger, ctx());
  assert.deepEqual(d, { kind: "pairing", ask: { sender: "55", senderName: "Ada (@eve)", peer: "dm-1" } });
  assert.equal(decideMessage(stranger, ctx({ dmPolicy: "allowlist" })).kind, "skip");
});

test("bots, webhooks, our own messages and system messages are skipped; replies (type 19) are heard", () => {
  const ds = [
    decideMessage(msg({ author: { id: BOT, username: "me", bot: true } }), ctx()),
    decideMessage(msg({ author: { id: "8", username: "other", bot: true } }), ctx()),
    decideMessage(msg({ webhook_id: "w" }), ctx()),
    decideMessage(msg({ type: 7 }), ctx()),
    decideMessage(msg({ type: 19 }), ctx()),
    decideMessage(msg({ content: "" }), ctx()),
  ];
  assert.deepEqual(kinds(ds), ["skip", "skip", "skip", "skip", "ingest", "skip"]);
});

test("in a guild the bot answers only when mentioned or replied to, and the model reads `Name: text` without the mention", () => {
  const g = { guild_id: "g1", channel_id: "chan-open" };
  const plain = decideMessage(msg({ ...g, content: "talking among ourselves" }), ctx());
  const mention = decideMessage(msg({ ...g, content: `<@${BOT}> summarise please`, mentions: [{ id: BOT }], member: { nick: "Captain" } }), ctx());
  const bang = decideMessage(msg({ ...g, content: `hey <@!${BOT}>, hi`, mentions: [{ id: BOT }] }), ctx());
  const reply = decideMessage(msg({ ...g, content: "and then?", type: 19, referenced_message: { author: { id: BOT } } }), ctx());
  assert.deepEqual(kinds([plain, mention, bang, reply]), ["skip", "ingest", "ingest", "ingest"]);
  const texts = [mention, bang, reply].map((d) => (d.kind === "ingest" ? d.message.text : ""));
  assert.deepEqual(texts, ["Captain: summarise please", "Ada: hey hi", "Ada: and then?"]);
  assert.equal(mention.kind === "ingest" && mention.message.kind, "group");
  assert.equal(mention.kind === "ingest" && mention.message.peer, "chan-open", "one session per guild channel");
});

test("guild rules: listed guilds only, listed channels only (threads inherit their parent's rule), users, and requireMention overrides", () => {
  const guilds = {
    g1: { channels: { "chan-open": { allow: true, requireMention: false }, "chan-shut": { allow: false } }, users: [] },
    g2: { requireMention: false, channels: {}, users: ["@ada"] },
  };
  const c = ctx({ guilds });
  const say = (o: Partial<DiscordMessage> & { from?: string; name?: string }) => decideMessage(msg({ content: "hi", ...o }), c).kind;
  assert.equal(say({ guild_id: "g1", channel_id: "chan-open" }), "ingest", "requireMention off in this channel");
  assert.equal(say({ guild_id: "g1", channel_id: "thread-1" }), "ingest", "a thread of chan-open inherits its rule");
  assert.equal(say({ guild_id: "g1", channel_id: "chan-shut", mentions: [{ id: BOT }] }), "skip", "allow: false");
  assert.equal(say({ guild_id: "g1", channel_id: "chan-other", mentions: [{ id: BOT }] }), "skip", "not listed");
  assert.equal(say({ guild_id: "g3", channel_id: "x", mentions: [{ id: BOT }] }), "skip", "guild not listed");
  assert.equal(say({ guild_id: "g2", channel_id: "any" }), "ingest", "the guild's requireMention: false, ada listed by username");
  assert.equal(say({ guild_id: "g2", channel_id: "any", from: "12", name: "bo" }), "skip", "bo is not in the guild's users");
  const thread = decideMessage(msg({ guild_id: "g1", channel_id: "thread-1", content: "hi" }), c);
  assert.equal(thread.kind === "ingest" && thread.message.peer, "thread-1", "a thread is a session of its own");
});

test("a slash command is ingested as /new or /status under the same access, keyed by the interaction id", () => {
  const user = { id: "7", username: "ada" };
  const dm = decideInteraction({ id: "i1", type: 2, token: "t", channel_id: "dm-1", user, data: { name: "new" } }, ctx());
  assert.deepEqual(dm.kind === "ingest" && [dm.message.messageId, dm.message.text, dm.message.kind], ["i1", "/new", "dm"]);
  const guild = decideInteraction(
    { id: "i2", type: 2, token: "t", channel_id: "chan-open", guild_id: "g1", member: { user }, data: { name: "status" } },
    ctx(),
  );
  assert.deepEqual(guild.kind === "ingest" && [guild.message.text, guild.message.kind], ["/status", "group"], "no mention needed");
  const stranger = decideInteraction({ id: "i3", type: 2, token: "t", channel_id: "dm-2", user: { id: "55", username: "eve" }, data: { name: "new" } }, ctx());
  assert.equal(stranger.kind, "pairing");
  assert.equal(decideInteraction({ id: "i4", type: 2, token: "t", channel_id: "dm-1", user, data: { name: "other" } }, ctx()).kind, "skip");
});
