/**
 * Sends in doubt on a platform without idempotency: a part that was on the wire when the process
 * died, or whose request got no answer, is checked with the platform (Channel.checkSent) before
 * it is ever sent again, and nothing else goes to that conversation until it is settled. The
 * platform here is an in-memory list of messages with increasing ids, as Telegram hands them out.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Delivered, DeliveryProgress, OutboundMessage, PartialDeliveryError, SendCheck, SendInDoubt } from "../../src/channels/channel.ts";
import { harness, msg, RecordingChannel, until } from "./harness.ts";

interface PlatformMessage {
  target: string;
  text: string;
  id: number;
}

/** A channel over an in-memory platform; a send can hang after or before its request "leaves", or lose its answer. */
class DoubtChannel extends RecordingChannel {
  override readonly idempotentDelivery = false;
  platform: { messages: PlatformMessage[]; nextId: number } = { messages: [], nextId: 100 };
  /** Hang at this part (1-based) after the platform got it (the answer never comes), or before it left. */
  hangAfterWrite: number | null = null;
  hangBeforeWrite: number | null = null;
  /** The next send reaches the platform but its answer is lost (a network error after the write). */
  loseAnswer = false;
  /** The next send fails the same way, but its request never reached the platform. */
  dropRequest = false;
  checkFails = 0;
  checks: SendInDoubt[] = [];
  priors: Array<number | null> = [];

  sendFloor(m: OutboundMessage, prior: number | null): number | null {
    this.priors.push(prior);
    return Math.max(prior ?? 0, ...this.platform.messages.filter((p) => p.target === m.target).map((p) => p.id)) || null;
  }

  async checkSent(d: SendInDoubt): Promise<SendCheck> {
    this.checks.push(d);
    if (this.checkFails > 0) {
      this.checkFails--;
      throw new Error("the platform cannot tell now");
    }
    const hit = this.platform.messages.find((p) => p.target === d.target && p.id > (d.floor ?? 0));
    return hit ? { sent: true, platformMessageId: String(hit.id), floor: hit.id } : { sent: false };
  }

  override async deliver(m: OutboundMessage, _signal?: AbortSignal, progress?: DeliveryProgress): Promise<Delivered> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("platform unavailable"); // an answer: not in doubt
    }
    const parts = m.text.split("\n\n");
    let first: number | undefined;
    let last: number | undefined;
    for (let i = m.skipParts ?? 0; i < parts.length; i++) {
      if (this.hangBeforeWrite === i + 1) return new Promise(() => {});
      if (this.dropRequest) {
        this.dropRequest = false;
        throw Object.assign(new Error("socket hang up"), { partsSent: i - (m.skipParts ?? 0), inDoubt: true }) as PartialDeliveryError;
      }
      const id = this.platform.nextId++;
      this.platform.messages.push({ target: m.target, text: parts[i]!, id });
      if (this.hangAfterWrite === i + 1) return new Promise(() => {});
      if (this.loseAnswer) {
        this.loseAnswer = false;
        throw Object.assign(new Error("socket hang up"), { partsSent: i - (m.skipParts ?? 0), inDoubt: true }) as PartialDeliveryError;
      }
      first ??= id;
      last = id;
      progress?.partSent(i + 1, id);
    }
    this.delivered.push(m);
    return { ...(first ? { platformMessageId: String(first) } : {}), ...(last ? { floor: last } : {}) };
  }

  texts(target = "ada"): string[] {
    return this.platform.messages.filter((p) => p.target === target).map((p) => p.text);
  }
}

/** A brain over a DoubtChannel; `after` continues another harness's file and platform, as a restart would. */
function doubtHarness(after?: { file: string; channel: DoubtChannel }) {
  const channel = new DoubtChannel();
  if (after) channel.platform = after.channel.platform;
  const h = harness({ channel, ...(after ? { file: after.file } : {}) });
  return { ...h, channel };
}

/**
 * A first brain answers "hi" until `caught` holds, then dies (its store is closed, nothing else is
 * written); a second one starts on the same file and platform, as a restart would.
 */
async function crashAndRestart(
  setup: (first: ReturnType<typeof doubtHarness>) => void,
  caught: (first: ReturnType<typeof doubtHarness>) => boolean,
  prepare?: (second: ReturnType<typeof doubtHarness>) => void,
) {
  const first = doubtHarness();
  setup(first);
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => caught(first));
  first.store.close();
  const second = doubtHarness(first);
  prepare?.(second);
  second.brain.start();
  return second;
}

const row = (
  h: ReturnType<typeof doubtHarness>,
  sql = "SELECT state, parts_sent, send_started_at, platform_message_id, last_error, send_floor FROM outbox ORDER BY id",
) =>
  h.store.db.prepare(sql).all() as Array<{
    state: string;
    parts_sent: number;
    send_started_at: number | null;
    platform_message_id: string | null;
    last_error: string | null;
    send_floor: number | null;
  }>;

test("a part on the wire at a crash that reached the platform is found there and never sent again", async () => {
  // The process dies with the request handled and its answer not read.
  const second = await crashAndRestart(
    (f) => (f.channel.hangAfterWrite = 1),
    (f) => f.channel.platform.messages.length === 1,
  );
  await until(() => row(second)[0]?.state === "delivered");
  assert.equal(second.channel.checks.length, 1);
  assert.deepEqual(second.channel.texts(), ["echo: hi"], "on the platform once");
  const r = row(second)[0]!;
  assert.equal(r.platform_message_id, "100");
  assert.match(r.last_error ?? "", /part 1 was being sent when the gateway stopped: found on the platform/);
});

test("a part that had not left when the process died is sent once after the restart", async () => {
  const second = await crashAndRestart(
    (f) => (f.channel.hangBeforeWrite = 1),
    (f) => row(f)[0]?.send_started_at != null,
  );
  await until(() => row(second)[0]?.state === "delivered");
  assert.deepEqual(second.channel.texts(), ["echo: hi"]);
  assert.match(row(second)[0]!.last_error ?? "", /not on the platform: sent again/);
});

test("a send whose answer was lost stays in doubt and is found on the platform instead of being sent twice", async () => {
  const h = doubtHarness();
  h.channel.loseAnswer = true;
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => row(h)[0]?.state === "delivered", 8000);
  assert.deepEqual(h.channel.texts(), ["echo: hi"]);
  assert.equal(h.channel.checks.length, 1);
  await h.brain.stop(0);
});

test("while the platform cannot tell about a part in doubt, later replies to that chat wait and other chats' replies go out", async () => {
  const second = await crashAndRestart(
    (f) => (f.channel.hangAfterWrite = 1),
    (f) => f.channel.platform.messages.length === 1,
    (s) => (s.channel.checkFails = 2),
  );
  await second.brain.ingest("test", "a1", { messages: [msg("2", "again"), msg("3", "hello", "grace")] });
  await until(() => second.channel.texts("grace").length === 1);
  assert.deepEqual(second.channel.texts(), ["echo: hi"], "ada's second reply waits for the first to be settled");
  await until(() => second.channel.texts().length === 2, 8000);
  assert.deepEqual(second.channel.texts(), ["echo: hi", "echo: again"], "in order, each once");
  assert.equal(second.channel.checks.length, 3);
  await second.brain.stop(0);
});

test("each send records the chat's floor, and the next send to that chat starts from it", async () => {
  const h = doubtHarness();
  h.agent.script = async (history) => `one\n\ntwo for ${history.at(-1)?.content}`;
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "a")] });
  await until(() => row(h)[0]?.state === "delivered");
  await h.brain.ingest("test", "a1", { messages: [msg("2", "b")] });
  await until(() => row(h)[1]?.state === "delivered");
  assert.deepEqual(h.channel.priors, [null, 101], "the first reply's last part");
  assert.deepEqual(
    row(h).map((r) => r.send_floor),
    [101, 103],
  );
  await h.brain.stop(0);
});

test("a long reply caught with its second part in doubt is checked above the first part, then goes on with the third", async () => {
  const second = await crashAndRestart(
    (f) => {
      f.agent.script = async () => "one\n\ntwo\n\nthree";
      f.channel.hangAfterWrite = 2;
    },
    (f) => f.channel.platform.messages.length === 2,
  );
  await until(() => row(second)[0]?.state === "delivered");
  assert.deepEqual({ part: second.channel.checks[0]!.part, floor: second.channel.checks[0]!.floor }, { part: 1, floor: 100 });
  assert.deepEqual(second.channel.texts(), ["one", "two", "three"]);
  assert.equal(row(second)[0]!.parts_sent, 3);
});

test("an older reply waiting out a backoff is not sent to a chat while a newer one is in doubt there", async () => {
  const h = doubtHarness();
  h.channel.failNext = 1;
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "first")] });
  await until(() => (h.store.db.prepare("SELECT attempts FROM outbox").get() as { attempts: number } | undefined)?.attempts === 1);
  // While "first" waits out its backoff, "second" is sent without an answer (it never arrived): in
  // doubt. Had "first" gone out now, its message would sit above second's floor and pass for it.
  h.channel.dropRequest = true;
  h.channel.checkFails = 1;
  await h.brain.ingest("test", "a1", { messages: [msg("2", "second")] });
  await until(() => row(h).every((r) => r.state === "delivered"), 10_000);
  assert.deepEqual(h.channel.texts().sort(), ["echo: first", "echo: second"], "each once: second was not taken for found");
  await h.brain.stop(0);
});
