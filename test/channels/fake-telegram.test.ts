/**
 * The fake Bot API server speaks Telegram's wire format: the tests of the Telegram channel are
 * only as good as this. Checked with grammY's own client, with raw HTTP (JSON, form, query), and
 * with raw sockets for clients that die while or right after sending.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Api, GrammyError } from "grammy";
import { DEFAULT_TOKEN, FakeTelegram } from "../helpers/fake-telegram.ts";
import { parseHtml, parseMarkdownV2 } from "../helpers/fake-telegram-parse.ts";

const fake = new FakeTelegram();
before(() => fake.start());
after(() => fake.close());

const raw = async (method: string, init: RequestInit & { token?: string; query?: string } = {}) => {
  const res = await fetch(`${fake.apiRoot}/bot${init.token ?? fake.token}/${method}${init.query ? `?${init.query}` : ""}`, init);
  return { status: res.status, body: (await res.json()) as any };
};
const json = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const apiError = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GrammyError, String(err));
    return { code: err.error_code, description: err.description, parameters: err.parameters };
  }
  assert.fail("expected an API error");
};

test("listens on loopback only and answers getMe to grammY, by JSON, form and query", async () => {
  assert.match(fake.apiRoot, /^http:\/\/127\.0\.0\.1:\d+$/);
  const api = new Api(fake.token, { apiRoot: fake.apiRoot });
  const me = await api.getMe();
  assert.deepEqual([me.id, me.is_bot, me.username], [7000001, true, "onebrain_test_bot"]);
  assert.equal((await raw("getMe", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" })).body.result.id, 7000001);
  assert.equal((await raw("getMe")).body.ok, true);
});

test("an unknown or revoked token gets 401 Unauthorized; an unknown method 404", async () => {
  assert.deepEqual(await raw("getMe", { token: "1:nope" }), { status: 401, body: { ok: false, error_code: 401, description: "Unauthorized" } });
  assert.equal((await raw("noSuchMethod")).status, 404);
  const token = "7000050:AARevokeMexxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "revoke_bot");
  assert.equal((await raw("getMe", { token })).status, 200);
  fake.revoke(token);
  assert.deepEqual((await raw("getMe", { token })).body, { ok: false, error_code: 401, description: "Unauthorized" });
});

test("getUpdates long-polls until an update arrives, returns [] at its timeout, and an offset confirms what is below it", async () => {
  const token = "7000051:AAPollxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "poll_bot");
  const api = new Api(token, { apiRoot: fake.apiRoot });
  const t0 = Date.now();
  assert.deepEqual(await api.getUpdates({ timeout: 1 }), []);
  assert.ok(Date.now() - t0 >= 900, "held for the timeout");
  const waiting = api.getUpdates({ timeout: 10 });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fake.pollsInFlight(token), 1);
  const u1 = fake.userSays(5, "one", { token });
  const got = await waiting;
  assert.deepEqual(
    got.map((u) => u.update_id),
    [u1.update_id],
  );
  assert.equal(got[0]!.message!.text, "one");
  assert.deepEqual(got[0]!.message!.chat, { id: 5, type: "private", first_name: "User5" });
  const u2 = fake.userSays(5, "two", { token });
  assert.deepEqual(
    (await api.getUpdates({ timeout: 0 })).map((u) => u.update_id),
    [u1.update_id, u2.update_id],
    "nothing confirmed without an offset",
  );
  assert.deepEqual(
    (await api.getUpdates({ offset: u2.update_id, timeout: 0 })).map((u) => u.update_id),
    [u2.update_id],
  );
  assert.equal(fake.unconfirmed(token), 1);
  assert.deepEqual(await api.getUpdates({ offset: u2.update_id + 1, timeout: 0 }), []);
  assert.equal(fake.unconfirmed(token), 0);
  assert.equal(fake.redeliver(undefined, token), 2);
  assert.deepEqual(
    (await api.getUpdates({ offset: u2.update_id + 1, timeout: 0 })).map((u) => u.update_id),
    [u1.update_id, u2.update_id],
    "redelivered once",
  );
  assert.deepEqual(await api.getUpdates({ offset: u2.update_id + 1, timeout: 0 }), []);
});

test("update ids restarted lower: an offset above the newest id + 10 is ignored (the queue is served from its start, nothing confirmed), one within it is honoured", async () => {
  const token = "7000052:AARestartxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "restart_bot");
  const api = new Api(token, { apiRoot: fake.apiRoot });
  const old = fake.userSays(6, "old", { token });
  assert.deepEqual(await api.getUpdates({ offset: old.update_id + 1, timeout: 0 }), []);
  fake.restartUpdateIds(50, token);
  const a = fake.userSays(6, "a", { token });
  const b = fake.userSays(6, "b", { token });
  assert.deepEqual([a.update_id, b.update_id], [50, 51]);
  for (let i = 0; i < 2; i++)
    assert.deepEqual(
      (await api.getUpdates({ offset: old.update_id + 1, timeout: 0 })).map((u) => u.update_id),
      [50, 51],
      "our old offset is ignored, again and again",
    );
  assert.deepEqual(await api.getUpdates({ offset: 61, timeout: 0 }), [], "newest + 10 is still an offset");
  assert.equal(fake.unconfirmed(token), 0, "and it confirmed both");
});

test("a second getUpdates terminates the older one with Telegram's 409; a webhook blocks polling until deleteWebhook", async () => {
  const token = "7000052:AAConflictxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "conflict2_bot");
  const api = new Api(token, { apiRoot: fake.apiRoot });
  const older = apiError(api.getUpdates({ timeout: 5 }));
  await new Promise((r) => setTimeout(r, 50));
  const newer = api.getUpdates({ timeout: 1 });
  assert.deepEqual(await older, {
    code: 409,
    description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    parameters: {},
  });
  assert.deepEqual(await newer, []);
  fake.setWebhook("https://example.invalid/hook", token);
  assert.match((await apiError(api.getUpdates({ timeout: 0 }))).description, /can't use getUpdates method while webhook is active/);
  assert.equal(await api.deleteWebhook(), true);
  assert.deepEqual(await api.getUpdates({ timeout: 0 }), []);
});

test("allowed_updates drops the kinds not asked for; mentions and commands get their entities", async () => {
  const token = "7000053:AAAllowedxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "allowed_bot");
  const api = new Api(token, { apiRoot: fake.apiRoot });
  fake.userSays(-9, "/start@allowed_bot hi @allowed_bot and @other", { token, from: { id: 3, first_name: "C" } });
  fake.userSays(-9, "edited", { token, edited: true, from: { id: 3, first_name: "C" } });
  const got = await api.getUpdates({ timeout: 0, allowed_updates: ["message"] });
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]!.message!.entities, [
    { type: "bot_command", offset: 0, length: 18 },
    { type: "mention", offset: 22, length: 12 },
    { type: "mention", offset: 39, length: 6 },
  ]);
  assert.equal(got[0]!.message!.chat.type, "supergroup");
});

test("sendMessage parses MarkdownV2 and HTML as Telegram does and refuses malformed text with 400 can't parse entities", async () => {
  const api = new Api(fake.token, { apiRoot: fake.apiRoot });
  fake.userSays(11, "hi");
  const bad = async (text: string, parse_mode: "MarkdownV2" | "HTML") => (await apiError(api.sendMessage(11, text, { parse_mode }))).description;
  assert.equal(await bad("Hello.", "MarkdownV2"), "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'");
  assert.equal(await bad("*bold", "MarkdownV2"), "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0");
  assert.equal(await bad("<b>open", "HTML"), "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"");
  assert.match(await bad("<blink>x</blink>", "HTML"), /Unsupported start tag "blink" at byte offset 0/);
  assert.match(await bad("1 < 2", "HTML"), /can't parse entities/);
  const ok = await api.sendMessage(11, "*bold* and \\. and `code.`", { parse_mode: "MarkdownV2" });
  assert.equal(ok.text, "bold and . and code.");
  const html = await api.sendMessage(11, '<b>b</b> <a href="https://x.y/?a=1&amp;b=2">l</a> 1 &lt; 2', { parse_mode: "HTML" });
  assert.equal(html.text, "b l 1 < 2");
  assert.equal((await apiError(api.sendMessage(11, "x".repeat(4097)))).description, "Bad Request: message is too long");
  assert.equal((await apiError(api.sendMessage(11, "  "))).description, "Bad Request: message text is empty");
  assert.equal((await apiError(api.sendMessage(999_999, "hi"))).description, "Bad Request: chat not found");
});

test("sendMessage threads replies, takes the id after the user's message, and records what was sent; sendChatAction is recorded", async () => {
  const api = new Api(fake.token, { apiRoot: fake.apiRoot });
  const u = fake.userSays(12, "question");
  const m = await api.sendMessage(12, "answer", { reply_parameters: { message_id: u.message!.message_id } });
  assert.equal(m.message_id, u.message!.message_id + 1);
  assert.equal(m.reply_to_message?.message_id, u.message!.message_id);
  assert.equal(
    (await apiError(api.sendMessage(12, "x", { reply_parameters: { message_id: 999 } }))).description,
    "Bad Request: message to be replied not found",
  );
  await api.sendMessage(12, "x", { reply_parameters: { message_id: 999, allow_sending_without_reply: true } });
  assert.deepEqual(
    fake.sentTo(12).map((s) => [s.text, s.replyTo]),
    [
      ["answer", u.message!.message_id],
      ["x", 999],
    ],
  );
  assert.equal(await api.sendChatAction(12, "typing"), true);
  assert.deepEqual(
    fake.actions.filter((a) => a.chatId === 12).map((a) => a.action),
    ["typing"],
  );
  const form = await raw("sendMessage", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `chat_id=12&text=${encodeURIComponent("form *x*")}&parse_mode=MarkdownV2`,
  });
  assert.equal(form.body.result.text, "form x");
});

test("scripted trouble: failNext with retry_after, a reset socket, a non-JSON 502, stall", async () => {
  const api = new Api(fake.token, { apiRoot: fake.apiRoot });
  fake.failNext("getMe", { code: 429, description: "Too Many Requests: retry after 7", retryAfter: 7 });
  assert.deepEqual(await apiError(api.getMe()), { code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } });
  fake.failNext("getMe", { reset: true });
  await assert.rejects(api.getMe(), /Network request for 'getMe' failed/);
  fake.failNext("getMe", { code: 502, raw: "<html>Bad Gateway</html>" });
  await assert.rejects(api.getMe(), /Network request for 'getMe' failed/);
  fake.stall("getMe", 300);
  const t0 = Date.now();
  await api.getMe();
  assert.ok(Date.now() - t0 >= 280);
  assert.equal((await api.getMe()).id, 7000001, "back to normal");
  assert.equal(DEFAULT_TOKEN, fake.token);
});

test("the markup parsers: nesting, escapes, code, links", () => {
  assert.deepEqual(parseMarkdownV2("*bold _italic_* ~s~ ||sp|| __u__ [l](https://a.b/c\\)d) `a\\`b` ```js\nx = 1;\n```"), {
    ok: true,
    text: "bold italic s sp u l a`b x = 1;\n",
  });
  assert.equal(parseMarkdownV2("a_b").ok, false);
  assert.equal(parseMarkdownV2("*a _b* c_").ok, false, "entities must nest");
  assert.deepEqual(parseMarkdownV2(">quote\n>more"), { ok: true, text: "quote\nmore" });
  assert.deepEqual(parseHtml('<pre><code class="language-js">a &amp;&amp; b</code></pre>'), { ok: true, text: "a && b" });
  assert.equal(parseHtml("<b><i>x</b></i>").ok, false);
  assert.equal(parseHtml("<a>x</a>").ok, false, "a link needs href");
});

test("private chats and basic groups take message ids from one counter per bot; a supergroup counts its own from 1", async () => {
  const token = "7000054:AAIdsxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "ids_bot");
  const api = new Api(token, { apiRoot: fake.apiRoot });
  const heard = (chat: number, o: { chatType?: "group" | "supergroup" } = {}) => fake.userSays(chat, "hi", { token, ...o }).message!.message_id;
  const said = async (chat: number) => (await api.sendMessage(chat, "hello")).message_id;
  const box = [heard(21), await said(21), heard(-22, { chatType: "group" }), heard(23), await said(-22), await said(23)];
  assert.deepEqual(box, [1, 2, 3, 4, 5, 6], "user and bot messages in two private chats and a basic group, interleaved");
  const supergroup = [heard(-1_000_000_024, { chatType: "supergroup" }), await said(-1_000_000_024)];
  assert.deepEqual(supergroup, [1, 2]);
  assert.equal(heard(21), 7, "the supergroup did not move the bot's counter");
  const elsewhere = await apiError(api.sendMessage(23, "x", { reply_parameters: { message_id: 1 } }));
  assert.equal(elsewhere.description, "Bad Request: message to be replied not found", "message 1 is chat 21's, not chat 23's");
});

test("editMessageReplyMarkup answers not found, can't be edited and not modified as Telegram does, and stores a new keyboard", async () => {
  const token = "7000055:AAProbexxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "probe_bot");
  const api = new Api(token, { apiRoot: fake.apiRoot });
  const theirs = fake.userSays(31, "hi", { token }).message!.message_id;
  fake.userSays(32, "hi", { token });
  const mine = (await api.sendMessage(31, "hello")).message_id;
  const otherChat = (await api.sendMessage(32, "hello")).message_id;
  const keyboard = { inline_keyboard: [[{ text: "Yes", callback_data: "yes" }]] };
  const probe = async (id: number, reply_markup?: typeof keyboard) =>
    (await apiError(api.editMessageReplyMarkup(31, id, reply_markup ? { reply_markup } : {}))).description;
  const NOT_MODIFIED =
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
  assert.equal(await probe(otherChat), "Bad Request: message to edit not found");
  assert.equal(await probe(999), "Bad Request: message to edit not found", "an id never allocated");
  assert.equal(await probe(theirs), "Bad Request: message can't be edited");
  assert.equal(await probe(mine), NOT_MODIFIED, "the bot's own message, no keyboard before or after");
  const edited = await api.editMessageReplyMarkup(31, mine, { reply_markup: keyboard });
  assert.deepEqual(edited !== true && edited.reply_markup, keyboard);
  assert.equal(await probe(mine, keyboard), NOT_MODIFIED, "the same keyboard again");
  assert.equal(fake.calls.filter((c) => c.token === token && c.method === "editMessageReplyMarkup").length, 6, "every probe is recorded");
});

test("editMessageText tells a missing message from someone else's and refuses an edit that changes nothing", async () => {
  const token = "7000056:AAEditxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "edit_bot");
  const api = new Api(token, { apiRoot: fake.apiRoot });
  const theirs = fake.userSays(33, "hi", { token }).message!.message_id;
  const mine = (await api.sendMessage(33, "hello")).message_id;
  const edit = async (id: number, text: string) => (await apiError(api.editMessageText(33, id, text))).description;
  assert.equal(await edit(999, "x"), "Bad Request: message to edit not found");
  assert.equal(await edit(theirs, "x"), "Bad Request: message can't be edited");
  assert.match(await edit(mine, "hello"), /^Bad Request: message is not modified: /);
  const edited = await api.editMessageText(33, mine, "hello again");
  assert.equal((edited as { text?: string }).text, "hello again");
});

test("a request written in full runs even if its client is gone right after, also after a stall; one cut mid-body does not", async () => {
  const chat = 41;
  fake.userSays(chat, "hi");
  const { port } = new URL(fake.apiRoot);
  // Writes `data` on a raw socket and destroys it at once, as a client process killed after its write.
  const writeAndDie = (data: string) =>
    new Promise<void>((resolve) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(data, () => socket.destroy()));
      socket.on("close", () => resolve());
    });
  const request = (text: string, cut = false) => {
    const body = JSON.stringify({ chat_id: chat, text });
    const head = `POST /bot${fake.token}/sendMessage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    return head + (cut ? body.slice(0, body.length / 2) : body);
  };
  const sentTexts = () => fake.sentTo(chat).map((m) => m.text);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const waitFor = async (n: number) => {
    for (let i = 0; i < 100 && sentTexts().length < n; i++) await sleep(20);
  };

  await writeAndDie(request("sent by a client that died"));
  await waitFor(1);
  assert.deepEqual(sentTexts(), ["sent by a client that died"]);

  fake.stall("sendMessage", 300);
  await writeAndDie(request("stalled, and its client died"));
  await sleep(100);
  assert.equal(sentTexts().length, 1, "still stalled");
  await waitFor(2);
  assert.deepEqual(sentTexts(), ["sent by a client that died", "stalled, and its client died"]);

  const calls = fake.calls.length;
  await writeAndDie(request("cut mid-body", true));
  await sleep(200);
  assert.equal(fake.calls.length, calls, "an incomplete request is not a call");
  assert.equal(sentTexts().length, 2);
});

test("flood control answers as Telegram does: HTTP 429 with retry_after, per chat, per group and for the whole bot", async () => {
  const token = "7000777:AAFloodTokenxxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "flood_bot");
  const api = new Api(token, { apiRoot: fake.apiRoot });
  for (const chat of [31, 32, 33, -1_000_000_031]) fake.userSays(chat, "hi", { token });
  const flood = fake.flood(token);
  // Windows shrunk tenfold: one message per 100 ms per chat, 20 per 6 s per group, 30 per 100 ms in all.
  flood.enforce({ chat: { max: 1, windowMs: 1_000 }, group: { max: 20, windowMs: 60_000 }, global: { max: 30, windowMs: 1_000 } }, 0.1);
  await api.sendMessage(31, "one");
  const refused = await raw("sendMessage", { ...json({ chat_id: 31, text: "two" }), token });
  assert.deepEqual(
    [refused.status, refused.body],
    [429, { ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } }],
  );
  assert.equal((await apiError(api.sendMessage(31, "three"))).code, 429, "the chat stays flooded for retry_after");
  await api.sendMessage(32, "another chat is not flooded");
  // A group: 20 messages in its minute, then 429 even with the per-chat limit respected.
  for (let i = 0; i < 20; i++) {
    await api.sendMessage(-1_000_000_031, `g${i}`);
    await new Promise((r) => setTimeout(r, 105));
  }
  assert.equal((await apiError(api.sendMessage(-1_000_000_031, "g20"))).code, 429);
  // The whole bot: over the global limit every chat is refused (3 a second here, to keep it short).
  flood.enforce({ chat: { max: 1, windowMs: 1_000 }, group: { max: 20, windowMs: 60_000 }, global: { max: 3, windowMs: 1_000 } });
  for (const chat of [34, 35, 36]) fake.userSays(chat, "hi", { token });
  for (const chat of [34, 35, 36]) await api.sendMessage(chat, "within the bot's second");
  assert.equal((await apiError(api.sendMessage(32, "a fourth chat"))).code, 429);
  // A scripted flood: every send refused with the same retry_after until it ends.
  flood.enforce(null);
  flood.flood(200, 30, 33);
  const e = await apiError(api.sendMessage(33, "during"));
  assert.deepEqual([e.code, e.parameters.retry_after], [429, 30]);
  await new Promise((r) => setTimeout(r, 250));
  await api.sendMessage(33, "after");
  assert.deepEqual(
    flood.refusals.map((r) => r.chatId),
    [31, 31, -1_000_000_031, 32, 33],
  );
});
