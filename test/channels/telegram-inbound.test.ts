/** Which updates reach the agent and as what text (decideUpdates is pure: no server needed). */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Update } from "grammy/types";
import { decideUpdates } from "../../src/channels/telegram/inbound.ts";

const me = { id: 900, username: "helper_bot" };
const settings = { dmPolicy: "pairing" as const, groups: { requireMention: true, allow: [] } };
const access = { isAllowed: (s: string) => s === "7" || s === "9", isOwner: (s: string) => s === "7", requestPairing: () => ({ code: "ABCD", isNew: true }) };

function groupUpdate(id: number, text: string, from: { id: number; first_name: string; last_name?: string; username?: string }): Update {
  const entities = [...text.matchAll(/@helper_bot|\/\w+@helper_bot/g)].map((m) => ({
    type: m[0].startsWith("/") ? "bot_command" : "mention",
    offset: m.index!,
    length: m[0].length,
  }));
  return {
    update_id: id,
    message: { message_id: id, date: 0, chat: { id: -1005, type: "supergroup", title: "G" }, from: { is_bot: false, ...from }, text, entities },
  } as unknown as Update;
}

test("a group message reaches the model with who wrote it, and a command in a group stays bare", () => {
  const d = decideUpdates(
    [
      groupUpdate(1, "@helper_bot what time is it?", { id: 5, first_name: "Ada", last_name: "L", username: "ada" }),
      groupUpdate(2, "thanks @helper_bot", { id: 6, first_name: "Bo" }),
      groupUpdate(3, "/new@helper_bot", { id: 5, first_name: "Ada" }),
    ],
    { me, settings, access },
  );
  assert.deepEqual(
    d.messages.map((m) => m.text),
    ["Ada L (@ada): what time is it?", "Bo: thanks", "/new@helper_bot"],
  );
});

test("a stranger's direct message is a pairing request named as people see them, and reaches nobody", () => {
  const u = {
    update_id: 4,
    message: {
      message_id: 4,
      date: 0,
      chat: { id: 8, type: "private", first_name: "Cy" },
      from: { id: 8, is_bot: false, first_name: "Cy", username: "cy" },
      text: "hi",
    },
  } as unknown as Update;
  const d = decideUpdates([u], { me, settings, access });
  assert.deepEqual(d.messages, []);
  assert.deepEqual(d.pairing, [{ sender: "8", senderName: "Cy (@cy)", peer: "8" }]);
});

test("a direct message from someone let in who is not the owner is marked a guest's (own session); the owner's is marked the owner's", () => {
  const dm = (id: number, from: number) =>
    ({
      update_id: id,
      message: {
        message_id: id,
        date: 0,
        chat: { id: from, type: "private", first_name: "X" },
        from: { id: from, is_bot: false, first_name: "X" },
        text: "hi",
      },
    }) as unknown as Update;
  const d = decideUpdates([dm(10, 7), dm(11, 9)], { me, settings, access });
  assert.deepEqual(
    d.messages.map((m) => [m.sender, m.messageId, m.guest ?? false, m.owner ?? false]),
    [
      ["7", "7:10", false, true],
      ["9", "9:11", true, false],
    ],
  );
});

test("in a group, the owner's message is marked the owner's (only they may /approve there), others' are not", () => {
  const d = decideUpdates(
    [
      groupUpdate(20, "/approve@helper_bot ABCD2345 deny", { id: 7, first_name: "Own" }),
      groupUpdate(21, "/approve@helper_bot ABCD2345 allow-once", { id: 6, first_name: "Bo" }),
    ],
    { me, settings, access },
  );
  assert.deepEqual(
    d.messages.map((m) => [m.sender, m.text, m.owner ?? false]),
    [
      ["7", "/approve@helper_bot ABCD2345 deny", true],
      ["6", "/approve@helper_bot ABCD2345 allow-once", false],
    ],
  );
});
