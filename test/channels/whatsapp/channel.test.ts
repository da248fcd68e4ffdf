/**
 * The WhatsApp channel in process: the real WhatsAppChannel, its real auth store, a real SQLite
 * brain with a scripted agent, and Baileys' boundary played by the fake library (Baileys' own
 * message, Boom and codec shapes). Replies go out once with ids made from their outbox keys,
 * the self-chat works without echo loops, and each failure state says what it is and what to do,
 * while the gateway's other work goes on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { channelCursor } from "../../../src/brain/inbox.ts";
import type { ChannelState } from "../../../src/channels/channel.ts";
import { createChannelAccess } from "../../../src/channels/pairing.ts";
import { openAuthStore } from "../../../src/channels/whatsapp/auth-store.ts";
import { WhatsAppChannel } from "../../../src/channels/whatsapp/channel.ts";
import { MessageIds } from "../../../src/channels/whatsapp/ids.ts";
import { whatsappSchema } from "../../../src/config/schema-channels.ts";
import { harness } from "../../brain/harness.ts";
import { FakeBaileys, waText } from "../../helpers/fake-baileys.ts";
import { tmpDir } from "../../helpers/gateway.ts";
import { until } from "../../helpers/wait.ts";

const ME = "4915100000001";
const FRIEND = "4915100000002@s.whatsapp.net";

/** A brain with a linked WhatsApp device (creds.me set) on the fake library. */
async function waBrain(o: { settings?: Record<string, unknown>; leaseDir?: string; unlinked?: boolean } = {}) {
  const lib = new FakeBaileys();
  const stateDir = tmpDir("onebrain-wa-");
  const dir = path.join(stateDir, "whatsapp", "default");
  const a = openAuthStore(dir, lib);
  if (!o.unlinked) a.state.creds.me = { id: `${ME}:3@s.whatsapp.net`, lid: "111222333444555:3@lid", name: "Ada" };
  a.saveCreds();
  a.close();
  const h = harness({ file: path.join(stateDir, "brain.db") });
  const settings = whatsappSchema.parse({ allowFrom: ["+4915100000002"], ...o.settings });
  const wa = new WhatsAppChannel({
    dir,
    account: ME,
    settings: () => settings,
    holder: { user: os.userInfo().username, stateDir, profile: null, port: null, startedAt: new Date().toISOString() },
    env: { ONEBRAIN_LEASE_DIR: o.leaseDir ?? tmpDir("onebrain-lease-") },
    library: async () => lib,
    timing: { leaseRecheckMs: 100, degradedCheckMs: 50 },
    random: () => 0.5,
  });
  h.brain.addChannel(wa);
  const states: ChannelState[] = [];
  const abort = new AbortController();
  await wa.start({
    ingest: (batch) => h.brain.ingest("whatsapp", wa.account, batch),
    cursor: () => channelCursor(h.store, "whatsapp", wa.account),
    setState: (s) => states.push(s),
    logger: pino({ level: process.env.ONEBRAIN_TEST_LOG ? "debug" : "silent" }),
    signal: abort.signal,
    access: createChannelAccess({ store: h.store, channel: "whatsapp", account: wa.account, policy: () => settings }),
  });
  h.brain.start();
  const state = () => states.at(-1) ?? { state: "stopped" as const };
  return {
    ...h,
    lib,
    wa,
    dir,
    states,
    state,
    untilState: (s: ChannelState["state"]) => until(`whatsapp ${s} (now ${JSON.stringify(state())})`, () => state().state === s, 10_000),
    /** Waits for the first socket and lets WhatsApp accept it. */
    online: async () => {
      await until("a socket", () => lib.sockets.length === 1);
      lib.last.connect();
      await until("connected", () => state().state === "connected", 10_000);
    },
    stop: async () => {
      abort.abort();
      await wa.stop();
      await h.brain.stop(200);
      h.store.close();
    },
  };
}

test("a friend's message is answered once, quoting it, with the id made from the reply's outbox key; its read receipt goes out", async () => {
  const b = await waBrain();
  try {
    await b.online();
    b.lib.last.emitMessages([waText(FRIEND, "3EB0FRIEND1", "hello there")]);
    await until("the reply", () => b.lib.last.sent.length === 1);
    const [sent] = b.lib.last.sent;
    assert.equal(sent!.jid, FRIEND);
    assert.equal(sent!.text, "echo: hello there");
    assert.equal(sent!.quotedId, "3EB0FRIEND1");
    const key = (b.store.prepare("SELECT idempotency_key AS k FROM outbox").get() as { k: string }).k;
    const secret = String(b.lib.last.auth.creds.advSecretKey);
    assert.equal(sent!.id, new MessageIds(secret).idFor(key, 0));
    assert.ok(new MessageIds(secret).ours(sent!.id) && !new MessageIds("another device").ours(sent!.id), "the id is signed by this device");
    await until("read receipt", () => b.lib.last.reads.some((k) => k.id === "3EB0FRIEND1"));
    // Its delivery receipt was released only once it was in the store.
    assert.ok(b.lib.last.settledIds.includes("3EB0FRIEND1"));
    assert.equal((b.store.prepare("SELECT count(*) AS n FROM inbound WHERE channel = 'whatsapp'").get() as { n: number }).n, 1);
    // WhatsApp delivers the same message again (a reconnect replays it): one run, one reply.
    b.lib.last.emitMessages([waText(FRIEND, "3EB0FRIEND1", "hello there")], "append");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.lib.last.sent.length, 1);
  } finally {
    await b.stop();
  }
});

test("100 messages in the self-chat get 100 replies, and the echoes of those replies start 0 runs", async () => {
  const b = await waBrain();
  try {
    await b.online();
    const self = `${ME}@s.whatsapp.net`;
    for (let i = 0; i < 100; i++)
      b.lib.last.emitMessages([waText(self, `3EB0SELF${i}`, `note ${i}`, { key: { remoteJid: self, fromMe: true, id: `3EB0SELF${i}` } })]);
    await until("100 replies", () => b.lib.last.sent.length >= 100, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(b.lib.last.sent.length, 100, "no reply to a reply");
    const runs = (b.store.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n;
    assert.equal(runs, 100);
    assert.ok(b.lib.last.sent.every((s) => s.jid === self && s.text.startsWith("echo: note ")));
  } finally {
    await b.stop();
  }
});

test("a stranger gets one pairing code; nothing reaches the agent", async () => {
  const b = await waBrain();
  try {
    await b.online();
    const stranger = "4915100000009@s.whatsapp.net";
    b.lib.last.emitMessages([waText(stranger, "3EB0S1", "hi?")]);
    b.lib.last.emitMessages([waText(stranger, "3EB0S2", "hello??")]);
    await until("the code", () => b.lib.last.sent.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(b.lib.last.sent.length, 1);
    assert.match(b.lib.last.sent[0]!.text, /onebrain pairing approve whatsapp [A-Z2-9]{8}\n\n\(Your number is \+4915100000009/);
    assert.equal((b.store.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n, 0);
  } finally {
    await b.stop();
  }
});

test("logged out (401): failed with the re-link command, the dead keys forgotten, no reconnect", async () => {
  const b = await waBrain();
  try {
    await b.online();
    b.lib.last.close(401, "Connection Failure");
    await b.untilState("failed");
    assert.match((b.state() as { reason: string }).reason, /^logged out: .*Link it again: onebrain channels login whatsapp$/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.lib.sockets.length, 1, "no reconnect loop");
  } finally {
    await b.stop();
  }
  const again = openAuthStore(b.dir, new FakeBaileys());
  assert.equal(again.linked(), false, "the void keys are gone");
  again.close();
});

test("515 restart required reconnects at once; a network error reconnects with backoff; 440 replaced is a conflict that waits", async () => {
  const b = await waBrain();
  try {
    await until("a socket", () => b.lib.sockets.length === 1);
    b.lib.last.close(515, "Stream Errored (restart required)");
    await until("a second socket at once", () => b.lib.sockets.length === 2, 2000);
    b.lib.last.connect();
    await b.untilState("connected");
    b.lib.last.close(undefined, "ECONNRESET");
    await b.untilState("reconnecting");
    const r = b.state() as { attempt: number; lastError: string; nextAttemptAt: number };
    assert.deepEqual([r.attempt, r.lastError], [1, "ECONNRESET"]);
    await until("a third socket after the backoff", () => b.lib.sockets.length === 3, 5000);
    b.lib.last.connect();
    await b.untilState("connected");
    b.lib.last.close(440, "Stream Errored (conflict)");
    await b.untilState("conflict");
    assert.match((b.state() as { detail: string }).detail, /^connection replaced: another program logged in with this device's keys .* trying again in 60 s$/);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(b.lib.sockets.length, 3, "no quick reconnect that would kick the other session in turn");
  } finally {
    await b.stop();
  }
});

test("a burst of undecryptable messages (Bad MAC) makes the channel degraded with the re-link hint; replies still go out", async () => {
  const b = await waBrain({ settings: { decryptFailureThreshold: 3 } });
  try {
    await b.online();
    const bad = (i: number) => waText(FRIEND, `3EB0BAD${i}`, "", { message: null, messageStubType: 2, messageStubParameters: ["Bad MAC"] });
    b.lib.last.emitMessages([bad(1), bad(2)]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.state().state, "connected", "under the threshold");
    b.lib.last.emitMessages([bad(3)]);
    await b.untilState("degraded");
    assert.match(
      (b.state() as { detail: string }).detail,
      /^3 messages could not be decrypted in 10 min \(Bad MAC\).*onebrain channels logout whatsapp, then onebrain channels login whatsapp$/,
    );
    b.lib.last.emitMessages([waText(FRIEND, "3EB0OK", "still there?")]);
    await until("a reply while degraded", () => b.lib.last.sent.length === 1);
  } finally {
    await b.stop();
  }
});

test("a send whose answer was lost after WhatsApp's server acknowledged it is checked by its id and not sent again", async () => {
  const b = await waBrain();
  try {
    await b.online();
    b.lib.last.loseAfterAck = 1;
    b.lib.last.emitMessages([waText(FRIEND, "3EB0LOST1", "did it arrive?")]);
    await until(
      "the reply delivered",
      () => (b.store.prepare("SELECT state FROM outbox").get() as { state: string } | undefined)?.state === "delivered",
      10_000,
    );
    assert.equal(b.lib.last.sent.length, 1, "the server had it: no second send");
    assert.equal(b.lib.last.sent[0]!.text, "echo: did it arrive?");
  } finally {
    await b.stop();
  }
});

test("two gateways with one linked number: the second does not connect and names the holder", async () => {
  const leaseDir = tmpDir("onebrain-lease-");
  const first = await waBrain({ leaseDir });
  const second = await waBrain({ leaseDir });
  try {
    await until("the first's socket", () => first.lib.sockets.length === 1);
    await second.untilState("conflict");
    assert.match((second.state() as { detail: string }).detail, /^WhatsApp number \+4915100000001 in use by pid \d+/);
    assert.equal(second.lib.sockets.length, 0, "never a second session of one number");
    await first.stop();
    await until("the second takes over", () => second.lib.sockets.length === 1, 5000);
  } finally {
    await second.stop();
  }
});

test("a channel whose keys name no linked device fails at once with WHATSAPP_NOT_LINKED and the command that links one; it opens no session", async () => {
  const b = await waBrain({ unlinked: true });
  try {
    await b.untilState("failed");
    const s = b.state() as { reason: string; code?: string };
    assert.equal(s.code, "WHATSAPP_NOT_LINKED");
    assert.match(s.reason, /no device is linked: onebrain channels login whatsapp/);
    assert.equal(b.lib.sockets.length, 0);
  } finally {
    await b.stop();
  }
});
