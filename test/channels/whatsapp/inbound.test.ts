/**
 * Which WhatsApp messages reach the agent, decided on messages built as Baileys builds them
 * (proto.WebMessageInfo from the library itself): allowlisted numbers, pairing for strangers, the
 * self-chat without echo loops, the owner's other chats left alone, groups by allowlist and
 * mention (by phone JID or LID), undecryptable messages counted, broadcasts ignored.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { proto } from "@whiskeysockets/baileys";
import type { ChannelAccess } from "../../../src/channels/channel.ts";
import { decideMessages, textOf, type Me } from "../../../src/channels/whatsapp/inbound.ts";
import { whatsappSchema } from "../../../src/config/schema-channels.ts";
import type { WaMessage } from "../../../src/channels/whatsapp/baileys.ts";

const me: Me = { pn: "4915100000001:12@s.whatsapp.net", lid: "111222333444555:12@lid" };
const OWNER = "+4915100000001";
const FRIEND = "4915100000002@s.whatsapp.net";
const STRANGER = "4915100000003@s.whatsapp.net";
const GROUP = "120363012345678901@g.us";

/** A message as Baileys emits it (a protobuf WebMessageInfo). */
const wa = (o: Record<string, unknown>): WaMessage => proto.WebMessageInfo.fromObject({ messageTimestamp: 1765000000, ...o }) as unknown as WaMessage;

let n = 0;
const dm = (from: string, text: string, extra: Record<string, unknown> = {}) =>
  wa({ key: { remoteJid: from, fromMe: false, id: `3EB0IN${++n}` }, pushName: "Bea", message: { conversation: text }, ...extra });

const access = (allowed: string[]): ChannelAccess => ({
  isAllowed: (s) => allowed.includes(s) || s === OWNER,
  isOwner: (s) => s === OWNER,
  requestPairing: () => ({ code: "ABCD2345", isNew: true }),
});

const settings = (s: Record<string, unknown> = {}) => whatsappSchema.parse(s);
const decide = (batch: WaMessage[], o: { s?: Record<string, unknown>; allowed?: string[]; sent?: Set<string> } = {}) =>
  decideMessages(batch, { me, settings: settings(o.s), access: access(o.allowed ?? []), sentByUs: (id) => o.sent?.has(id) ?? false });

before(() => {
  n = 0;
});

test("an allowed number's DM is a guest message keyed by chat and id; a stranger gets a pairing ask, nothing ingested", () => {
  const d = decide([dm(FRIEND, "hello"), dm(STRANGER, "who are you?")], { allowed: ["+4915100000002"] });
  assert.deepEqual(d.messages, [
    { messageId: `${FRIEND}/3EB0IN1`, peer: FRIEND, replyTo: "3EB0IN1", kind: "dm", sender: "+4915100000002", text: "hello", guest: true },
  ]);
  assert.deepEqual(d.pairing, [{ sender: "+4915100000003", senderName: "Bea (+4915100000003)", peer: STRANGER }]);
  assert.equal(decide([dm(STRANGER, "hi")], { s: { dmPolicy: "allowlist" } }).pairing.length, 0, "allowlist: ignored, no code");
});

test("100 messages in the self-chat are 100 owner messages, and the 100 replies echoed back (ids we sent) are 0 runs", () => {
  const mine = Array.from({ length: 100 }, (_, i) =>
    wa({ key: { remoteJid: "4915100000001@s.whatsapp.net", fromMe: true, id: `3EB0SELF${i}` }, message: { conversation: `note ${i}` } }),
  );
  const sent = new Set(Array.from({ length: 100 }, (_, i) => `3EB0REPLY${i}`));
  const echoes = [...sent].map((id) => wa({ key: { remoteJid: "4915100000001@s.whatsapp.net", fromMe: true, id }, message: { conversation: `echo: ${id}` } }));
  const d = decide([...mine, ...echoes], { sent });
  assert.equal(d.messages.length, 100);
  assert.ok(d.messages.every((m) => m.owner === true && m.sender === OWNER && m.kind === "dm" && m.text.startsWith("note ")));
  assert.equal(d.skipped, 100);
  // The self-chat addressed by the LID (as newer WhatsApp versions do) is the same chat.
  const lid = wa({ key: { remoteJid: "111222333444555@lid", fromMe: true, id: "3EB0LID" }, message: { conversation: "by lid" } });
  assert.equal(decide([lid]).messages[0]?.owner, true);
  assert.equal(decide(mine.slice(0, 3), { s: { selfChat: false } }).messages.length, 0, "selfChat off: the owner's notes are theirs");
});

test("the owner writing to a friend from the phone is never a run", () => {
  const out = wa({ key: { remoteJid: FRIEND, fromMe: true, id: "3EB0OUT" }, message: { conversation: "see you at 8" } });
  assert.deepEqual(decide([out], { allowed: ["+4915100000002"] }).messages, []);
});

test("groups: only allowlisted ones, and there only when the number is mentioned (by phone or LID) or replied to", () => {
  const said = (text: string, ctx?: Record<string, unknown>, group = GROUP) =>
    wa({
      key: { remoteJid: group, fromMe: false, id: `3EB0G${++n}`, participant: "4915100000002@s.whatsapp.net" },
      pushName: "Bea",
      message: ctx ? { extendedTextMessage: { text, contextInfo: ctx } } : { conversation: text },
    });
  const allow = { groups: { allow: [GROUP] } };
  assert.equal(decide([said("hi all", { mentionedJid: ["111222333444555@lid"] }, "120363099999999999@g.us")], { s: {} }).messages.length, 0, "not allowlisted");
  assert.equal(decide([said("hi all")], { s: allow }).messages.length, 0, "not addressed");
  const byLid = decide([said("@bot what time is it", { mentionedJid: ["111222333444555@lid"] })], { s: allow }).messages;
  assert.deepEqual(
    byLid.map((m) => [m.kind, m.peer, m.sender, m.text]),
    [["group", GROUP, "+4915100000002", "Bea: @bot what time is it"]],
  );
  const reply = decide([said("and tomorrow?", { stanzaId: "3EB0X", participant: "4915100000001@s.whatsapp.net" })], { s: allow }).messages;
  assert.equal(reply.length, 1, "a reply to the number's message");
  assert.equal(decide([said("no mention needed")], { s: { groups: { allow: [GROUP], requireMention: false } } }).messages.length, 1);
  assert.equal(
    decide([said("open", { mentionedJid: ["4915100000001@s.whatsapp.net"] }, "120363099999999999@g.us")], { s: { groups: { policy: "open" } } }).messages
      .length,
    1,
  );
  assert.equal(
    decide([said("x", { mentionedJid: ["4915100000001@s.whatsapp.net"] })], { s: { groups: { policy: "disabled", allow: [GROUP] } } }).messages.length,
    0,
  );
});

test("a message Baileys could not decrypt is counted with its reason, never ingested; status broadcasts are ignored", () => {
  const bad = wa({
    key: { remoteJid: FRIEND, fromMe: false, id: "3EB0BAD" },
    messageStubType: proto.WebMessageInfo.StubType.CIPHERTEXT,
    messageStubParameters: ["Bad MAC"],
  });
  const status = wa({ key: { remoteJid: "status@broadcast", fromMe: false, id: "3EB0ST", participant: FRIEND }, message: { conversation: "my story" } });
  const d = decide([bad, status], { allowed: ["+4915100000002"] });
  assert.deepEqual([d.messages.length, d.undecryptable, d.skipped], [0, ["Bad MAC"], 2]);
});

test("text is found through WhatsApp's wrappers: disappearing, view-once, captions; media without a caption is skipped", () => {
  assert.equal(textOf({ ephemeralMessage: { message: { extendedTextMessage: { text: "vanishing" } } } }), "vanishing");
  assert.equal(textOf({ viewOnceMessageV2: { message: { imageMessage: { caption: "look" } } } }), "look");
  assert.equal(textOf({ documentWithCaptionMessage: { message: { documentMessage: { caption: "the report", fileName: "r.pdf" } } } }), "the report");
  assert.equal(
    decide([wa({ key: { remoteJid: FRIEND, id: "3EB0IMG" }, message: { imageMessage: { mimetype: "image/jpeg" } } })], { allowed: ["+4915100000002"] }).messages
      .length,
    0,
  );
});
