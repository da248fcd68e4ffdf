/** The Discord cursor: the session to RESUME and the channels seen, small and read back safely (pure). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeCursor, encodeCursor, MAX_CHANNELS, noteChannel, recentChannels, snowflakeMs, type SeenChannel } from "../../src/channels/discord/cursor.ts";

/** A snowflake made at Unix ms `ms` (worker/process/increment `n`). */
const flake = (ms: number, n = 0) => String(((BigInt(ms) - 1_420_070_400_000n) << 22n) + BigInt(n));

test("the session and the channels (guild, thread parent) come back as they went in", () => {
  const channels = new Map<string, SeenChannel>();
  noteChannel(channels, "10", flake(1_700_000_000_000), { guild: "g" });
  noteChannel(channels, "11", flake(1_700_000_001_000), { guild: "g", parent: "10" });
  noteChannel(channels, "12", flake(1_700_000_002_000));
  const text = encodeCursor({ session: { sessionId: "abc", seq: 42, resumeUrl: "wss://r" }, channels });
  assert.deepEqual(decodeCursor(text), { session: { sessionId: "abc", seq: 42, resumeUrl: "wss://r" }, channels });
});

test("a channel keeps its newest message id, compared as BigInt (snowflakes do not fit a double)", () => {
  const channels = new Map<string, SeenChannel>();
  const a = "1578819240125792257";
  const b = "1578819240125792258"; // equal to `a` as a Number
  assert.equal(Number(a), Number(b));
  noteChannel(channels, "c", b);
  noteChannel(channels, "c", a);
  assert.equal(channels.get("c")!.last, b);
  assert.equal(snowflakeMs(flake(1_700_000_000_123, 5)), 1_700_000_000_123);
});

test("at most MAX_CHANNELS channels are kept, the most recently active; backfill reads only those within its hours", () => {
  const channels = new Map<string, SeenChannel>();
  const now = 1_800_000_000_000;
  for (let i = 0; i < MAX_CHANNELS + 50; i++) noteChannel(channels, `c${i}`, flake(now - (MAX_CHANNELS + 50 - i) * 60_000));
  const back = decodeCursor(encodeCursor({ session: null, channels })).channels;
  assert.equal(back.size, MAX_CHANNELS);
  assert.ok(back.has(`c${MAX_CHANNELS + 49}`) && !back.has("c0"));
  assert.deepEqual(
    recentChannels(back, now, 1).map(([id]) => id),
    [...back.keys()].filter((id) => Number(id.slice(1)) >= MAX_CHANNELS + 50 - 60),
  );
  assert.deepEqual(recentChannels(back, now, 0), [], "backfillHours 0: none");
});

test("an unreadable or foreign cursor is a fresh start, never a throw", () => {
  for (const bad of [null, "", "{", "42", '{"v":2}', '{"v":1,"s":["x","y","z"],"c":{"a":["nope"]}}'])
    assert.deepEqual(decodeCursor(bad), { session: null, channels: new Map() }, String(bad));
});
