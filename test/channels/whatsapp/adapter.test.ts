/**
 * The adapter against Baileys' own exported functions that need no network: our JID helpers agree
 * with Baileys' jidDecode / jidNormalizedUser / isJidGroup; the codes we keep are Baileys'
 * (DisconnectReason, StubType.CIPHERTEXT, Status.SERVER_ACK); messages built by Baileys' own
 * builder are read as the channel expects; our message ids have the form Baileys gives its own,
 * and Baileys' ids are never taken for ours.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as baileys from "@whiskeysockets/baileys";
import { whatsappSchema } from "../../../src/config/schema-channels.ts";
import {
  DISCONNECT,
  isGroupJid,
  jidServer,
  jidUser,
  normalUser,
  STATUS_SERVER_ACK,
  STUB_CIPHERTEXT,
  type WaMessage,
} from "../../../src/channels/whatsapp/baileys.ts";
import { MessageIds } from "../../../src/channels/whatsapp/ids.ts";
import { decideMessages, textOf } from "../../../src/channels/whatsapp/inbound.ts";

const JIDS = [
  "4915100000001@s.whatsapp.net",
  "4915100000001:12@s.whatsapp.net",
  "123456789012345@lid",
  "123456789012345:3@lid",
  "120363012345678901@g.us",
  "status@broadcast",
  "4915100000001@c.us",
];

test("our JID helpers agree with Baileys' jidDecode, jidNormalizedUser and isJidGroup", () => {
  for (const jid of JIDS) {
    const d = baileys.jidDecode(jid)!;
    assert.equal(jidUser(jid), d.user, jid);
    assert.equal(jidServer(jid), d.server, jid);
    assert.equal(isGroupJid(jid), Boolean(baileys.isJidGroup(jid)), jid);
    if (d.server !== "broadcast" && d.server !== "g.us") assert.equal(normalUser(jid), baileys.jidNormalizedUser(jid), jid);
  }
});

test("the codes the channel keeps are Baileys' own", () => {
  const r = baileys.DisconnectReason;
  assert.deepEqual(DISCONNECT, {
    loggedOut: r.loggedOut,
    forbidden: r.forbidden,
    timedOut: r.timedOut,
    multideviceMismatch: r.multideviceMismatch,
    connectionClosed: r.connectionClosed,
    connectionReplaced: r.connectionReplaced,
    badSession: r.badSession,
    unavailableService: r.unavailableService,
    restartRequired: r.restartRequired,
  });
  assert.equal(STUB_CIPHERTEXT, baileys.proto.WebMessageInfo.StubType.CIPHERTEXT);
  assert.equal(STATUS_SERVER_ACK, baileys.proto.WebMessageInfo.Status.SERVER_ACK);
});

test("a group message built by Baileys' own builder, mentioning the number, is read with its text and sender", () => {
  const me = { pn: "4915100000001:3@s.whatsapp.net", lid: "123456789012345:3@lid" };
  const group = "120363012345678901@g.us";
  const built = baileys.generateWAMessageFromContent(
    group,
    { extendedTextMessage: { text: "@4915100000001 what is the time?", contextInfo: { mentionedJid: ["4915100000001@s.whatsapp.net"] } } },
    { userJid: "4915100000002:1@s.whatsapp.net" },
  );
  // As it arrives at the number: from someone else, with the participant set.
  const m = { ...built, key: { ...built.key, fromMe: false, participant: "4915100000002@s.whatsapp.net" }, pushName: "Bea" } as unknown as WaMessage;
  assert.equal(textOf(m.message), "@4915100000001 what is the time?");
  const settings = whatsappSchema.parse({ groups: { allow: [group] } });
  const d = decideMessages([m], { me, settings, access: undefined, sentByUs: () => false });
  assert.equal(d.messages.length, 1);
  assert.deepEqual([d.messages[0]!.kind, d.messages[0]!.sender, d.messages[0]!.peer], ["group", "+4915100000002", group]);
  assert.match(d.messages[0]!.text, /^Bea: @4915100000001 what is the time\?$/);
});

test("our ids have the form of Baileys' own (3EB0 + 18 hex), and none of 5,000 ids Baileys makes is taken for ours", () => {
  const ids = new MessageIds("the device's secret");
  const theirs = Array.from({ length: 5000 }, () => baileys.generateMessageIDV2("4915100000001@s.whatsapp.net"));
  for (const id of theirs.slice(0, 20)) assert.match(id, /^3EB0[0-9A-F]{18}$/);
  assert.match(ids.idFor("outbox:1", 0), /^3EB0[0-9A-F]{18}$/);
  assert.equal(theirs.filter((id) => ids.ours(id)).length, 0);
});
