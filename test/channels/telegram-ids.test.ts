/** Which counter a Telegram chat's message ids come from, and the newest id kept in the cursor. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { idSpace, KnownIds } from "../../src/channels/telegram/ids.ts";

test("private chats and basic groups share the bot's counter; each supergroup has its own", () => {
  assert.equal(idSpace(12345), "box");
  assert.equal(idSpace("-4567"), "box");
  assert.equal(idSpace("-1001234567890"), "-1001234567890");
});

test("the newest id per counter only grows, and a private chat's id raises the floor of every private chat", () => {
  const ids = new KnownIds();
  ids.note(1, 50);
  ids.note(2, 40);
  ids.note("-100777", 9);
  assert.equal(ids.newestIn(3), 50);
  assert.equal(ids.newestIn("-100777"), 9);
  assert.equal(ids.newestIn("-100888"), 0);
  ids.note(1, Number.NaN);
  ids.note(1, -3);
  assert.equal(ids.newestIn(1), 50, "nonsense ids are ignored");
});

test("the cursor carries the offset and the bot's newest private id, and an old offset-only cursor still reads", () => {
  const a = new KnownIds();
  assert.equal(a.cursor(501), "501", "no id known yet");
  a.note(7, 1234);
  assert.equal(a.cursor(501), "501/1234");
  const b = new KnownIds();
  assert.equal(b.restore("501/1234"), 501);
  assert.equal(b.newestIn(99), 1234);
  assert.equal(new KnownIds().restore("501"), 501);
  assert.equal(new KnownIds().restore(null), null);
  assert.equal(new KnownIds().restore("garbage"), null);
});
