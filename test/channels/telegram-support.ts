/**
 * An in-process Telegram brain for tests: the real TelegramChannel (grammY over HTTP) against
 * the fake Bot API server, a real SQLite store, the real Brain with a scripted agent, the real
 * pairing store, and a lease directory of its own (so tests never meet a real brain's lease).
 */
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { ChannelState } from "../../src/channels/channel.ts";
import { createChannelAccess } from "../../src/channels/pairing.ts";
import { TelegramChannel, type TelegramSettings, type TelegramTiming } from "../../src/channels/telegram/index.ts";
import { PACE_LIMITS, scaleLimits } from "../../src/channels/telegram/pacing.ts";
import { channelCursor } from "../../src/brain/inbox.ts";
import { harness, type Harness } from "../brain/harness.ts";
import type { FakeTelegram } from "../helpers/fake-telegram.ts";
import { tmpDir } from "../helpers/gateway.ts";

export interface Settings extends TelegramSettings {
  allowFrom: string[];
}

export interface TelegramBrain extends Harness {
  tg: TelegramChannel;
  states: ChannelState[];
  settings: Harness["settings"];
  tgSettings: Settings;
  leaseDir: string;
  stateDir: string;
  /** The channel's current state. */
  state(): ChannelState;
  /** Stops channel and brain and closes the store (idempotent). */
  stop(): Promise<void>;
}

/** Fast timings: tests must not wait a minute for a conflict retry, for a send in doubt that never reached the fake, nor a second between the parts of a reply. */
export const FAST: Partial<TelegramTiming> = {
  leaseRecheckMs: 200,
  conflictRetryMs: 1_000,
  backoffBaseMs: 50,
  backoffMaxMs: 400,
  typingIntervalMs: 150,
  doubtLifeMs: 1_000,
  doubtRescanMs: 250,
  pace: scaleLimits(PACE_LIMITS, 0.02),
};

/** Starts a brain with a Telegram channel polling `fake`. */
export async function telegramBrain(
  fake: FakeTelegram,
  o: {
    settings?: Partial<Settings>;
    file?: string;
    leaseDir?: string;
    token?: string;
    timing?: Partial<TelegramTiming>;
    stateDir?: string;
    maxDeliveryAttempts?: number;
  } = {},
): Promise<TelegramBrain> {
  const stateDir = o.stateDir ?? tmpDir("onebrain-tg-");
  const h = harness({ file: o.file ?? path.join(stateDir, "brain.db"), ...(o.maxDeliveryAttempts ? { maxDeliveryAttempts: o.maxDeliveryAttempts } : {}) });
  const tgSettings: Settings = {
    apiRoot: fake.apiRoot,
    dmPolicy: "pairing",
    allowFrom: [],
    groups: { requireMention: true, allow: [] },
    pollTimeoutSeconds: 2,
    textChunkLimit: 4000,
    ...o.settings,
  };
  const leaseDir = o.leaseDir ?? tmpDir("onebrain-lease-");
  const tg = new TelegramChannel({
    token: o.token ?? fake.token,
    settings: () => tgSettings,
    holder: { user: os.userInfo().username, stateDir, profile: null, port: null, startedAt: new Date().toISOString() },
    env: { ONEBRAIN_LEASE_DIR: leaseDir },
    timing: { ...FAST, ...o.timing },
  });
  h.brain.addChannel(tg);
  const states: ChannelState[] = [];
  const abort = new AbortController();
  await tg.start({
    ingest: (batch) => h.brain.ingest("telegram", tg.account, batch),
    cursor: () => channelCursor(h.store, "telegram", tg.account),
    setState: (s) => states.push(s),
    logger: pino({ level: process.env.ONEBRAIN_TEST_LOG ? "debug" : "silent" }),
    signal: abort.signal,
    access: createChannelAccess({ store: h.store, channel: "telegram", account: tg.account, policy: () => tgSettings }),
  });
  h.brain.start();
  let stopped: Promise<void> | undefined;
  return {
    ...h,
    tg,
    states,
    tgSettings,
    leaseDir,
    stateDir,
    state: () => states[states.length - 1] ?? { state: "stopped" },
    stop: () =>
      (stopped ??= (async () => {
        // A reply the fake has recorded may still be on its way back: let its delivery be marked
        // before the store closes (Brain.stop does not wait for a send in flight).
        const inFlight = () =>
          (h.store.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending' AND send_started_at IS NOT NULL").get() as { n: number }).n > 0;
        await eventually(() => !inFlight(), 2000).catch(() => {});
        abort.abort();
        await tg.stop();
        await h.brain.stop(200);
        h.store.close();
      })()),
  };
}

/** Holds the agent's echo replies until the returned `open()` is called (what happens while a run goes). */
export function holdReplies(b: Pick<TelegramBrain, "agent">): () => void {
  let open = () => {};
  const opened = new Promise<void>((r) => (open = r));
  b.agent.script = async (history, _signal, onDelta) => {
    await opened;
    const text = `echo: ${history[history.length - 1]?.content ?? ""}`;
    onDelta(text);
    return text;
  };
  return open;
}

/** Waits until `cond` holds (polling), failing after `ms` with `what`. */
export async function eventually(cond: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A state dir whose outbox holds one failed Telegram reply to `chat` (the user had blocked the bot: refused for good at the first attempt; unblocked since). */
export async function brainWithFailedReply(fake: FakeTelegram, chat: number): Promise<string> {
  const stateDir = tmpDir("onebrain-outbox-");
  const b = await telegramBrain(fake, { stateDir, settings: { allowFrom: [String(chat)] }, maxDeliveryAttempts: 2 });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.failNext("sendMessage", { code: 403, description: "Forbidden: bot was blocked by the user", match: (p) => Number(p.chat_id) === chat });
    fake.userSays(chat, "hello?");
    await eventually(() => b.store.prepare("SELECT state FROM outbox").get()?.state === "failed", 10_000, "failed");
  } finally {
    await b.stop();
  }
  if (fake.sentTo(chat).length) throw new Error("the reply was expected to fail, yet it reached Telegram");
  return stateDir;
}
