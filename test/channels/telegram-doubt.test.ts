/**
 * Sends in doubt on Telegram: a reply part whose request went out without an answer is looked
 * for by message id (editMessageReplyMarkup, which changes nothing) before it is ever sent again.
 * The real channel, store and brain against the fake Bot API, which numbers messages as Telegram
 * does; the crash across processes is the channel contract suite (test/channels/contract/suite.ts, run by contract-telegram.test.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api } from "grammy";
import { findOurMessage } from "../../src/channels/telegram/doubt.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { eventually, sleep, telegramBrain } from "./telegram-support.ts";

const fake = new FakeTelegram();
before(() => fake.start());
after(() => fake.close());

let nextChat = 700;
const probes = () => fake.calls.filter((c) => c.method === "editMessageReplyMarkup").length;

test("a reply whose answer was lost on its way back is found on Telegram and not sent a second time", async () => {
  const ada = ++nextChat;
  const b = await telegramBrain(fake, { settings: { allowFrom: [String(ada)] }, timing: { doubtSettleMs: 100 } });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.failNext("sendMessage", { loseAnswer: true, match: (p) => Number(p.chat_id) === ada });
    const before = probes();
    fake.userSays(ada, "hello");
    await eventually(() => b.store.prepare("SELECT state FROM outbox").get()?.state === "delivered", 10_000, "delivered");
    assert.equal(fake.sentTo(ada).length, 1, "on Telegram once");
    assert.ok(probes() > before, "looked for on Telegram");
    const row = b.store.prepare("SELECT platform_message_id AS id, last_error AS e FROM outbox").get() as { id: string; e: string };
    assert.equal(row.id, String(fake.sentTo(ada)[0]!.messageId));
    assert.match(row.e, /found on the platform/);
  } finally {
    await b.stop();
  }
});

test("a reply whose request never reached Telegram is looked for, not found, and then sent once", async () => {
  const ada = ++nextChat;
  const b = await telegramBrain(fake, { settings: { allowFrom: [String(ada)] }, timing: { doubtSettleMs: 100 } });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.failNext("sendMessage", { reset: true, match: (p) => Number(p.chat_id) === ada });
    fake.userSays(ada, "hello");
    await eventually(() => b.store.prepare("SELECT state FROM outbox").get()?.state === "delivered", 10_000, "delivered");
    assert.deepEqual(
      fake.sentTo(ada).map((m) => m.plain),
      ["echo: hello"],
    );
    assert.match((b.store.prepare("SELECT last_error AS e FROM outbox").get() as { e: string }).e, /not on the platform: sent again/);
  } finally {
    await b.stop();
  }
});

/** A bot of its own, so that its message ids are predictable. */
function freshBot(name: string) {
  const token = `${7_100_000 + ++nextChat}:AADoubtTokenxxxxxxxxxxxxxxxxxxxxxxxxxx`;
  fake.addBot(token, name);
  const api = new Api(token, { apiRoot: fake.apiRoot });
  const scan = (chatId: number, floor: number, horizon: number) =>
    findOurMessage({ apiRoot: fake.apiRoot, token, chatId: String(chatId), floor, horizon, signal: AbortSignal.timeout(20_000) });
  return { token, api, scan };
}

test("in the bot's shared counter the search steps over other chats' messages and finds ours, or ends past the newest id", async () => {
  const { token, api, scan } = freshBot("box_bot");
  const [x, y, z] = [++nextChat, ++nextChat, ++nextChat];
  const floor = fake.userSays(x, "question", { token }).message!.message_id;
  const yId = fake.userSays(y, "meanwhile", { token }).message!.message_id;
  fake.userSays(z, "and me", { token });
  const ours = (await api.sendMessage(x, "the answer")).message_id;
  fake.userSays(z, "later", { token });
  assert.equal(await scan(x, floor, yId), ours, "found above ids of chats y and z");
  const calls = probes();
  assert.equal(await scan(y, yId, yId + 3), null, "y got nothing from the bot");
  assert.ok(probes() - calls >= 20, "ends only after 20 empty ids past the newest known one");
});

test("in a supergroup the search goes through other people's messages to ours, and waits out a 429", async () => {
  const { token, api, scan } = freshBot("group_bot");
  const group = -1_000_000_000 - ++nextChat;
  const said = (text: string) => fake.userSays(group, text, { token, chatType: "supergroup", from: { id: 42, first_name: "Zoe" } }).message!.message_id;
  const floor = [said("a"), said("b"), said("c")].at(-1)!;
  said("d");
  const ours = (await api.sendMessage(group, "reply")).message_id;
  said("e");
  fake.failNext("editMessageReplyMarkup", {
    code: 429,
    description: "Too Many Requests: retry after 1",
    retryAfter: 1,
    match: (p) => Number(p.chat_id) === group,
  });
  const started = Date.now();
  assert.equal(await scan(group, floor, floor), ours);
  assert.ok(Date.now() - started >= 900, "waited retry_after");
  assert.equal(await scan(group, ours, ours), null, "nothing of ours above it");
});

test("a send Telegram handles 8 s late, its connection gone at once, is not taken as never arrived: it is found once it appears and sent once", async () => {
  const ada = ++nextChat;
  const b = await telegramBrain(fake, { settings: { allowFrom: [String(ada)] }, timing: { doubtLifeMs: 15_000, doubtRescanMs: 2_000 } });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.failNext("sendMessage", { lateMs: 8_000, match: (p) => Number(p.chat_id) === ada });
    const t0 = Date.now();
    fake.userSays(ada, "slow day at Telegram");
    await eventually(() => b.store.prepare("SELECT state FROM outbox").get()?.state === "delivered", 20_000, "delivered");
    // Long enough for the late send to have landed, and for a second one to show.
    await sleep(Math.max(0, t0 + 9_500 - Date.now()));
    assert.deepEqual(
      fake.sentTo(ada).map((m) => m.plain),
      ["echo: slow day at Telegram"],
      "on Telegram once",
    );
    const row = b.store.prepare("SELECT platform_message_id AS id, last_error AS e FROM outbox").get() as { id: string; e: string };
    assert.equal(row.id, String(fake.sentTo(ada)[0]!.messageId));
    assert.match(row.e, /found on the platform/);
  } finally {
    await b.stop();
  }
});
