/**
 * An in-process Slack brain for tests: the real SlackChannel (@slack/socket-mode + @slack/web-api)
 * against the fake Slack (Web API + Socket Mode on 127.0.0.1), a real SQLite store, the real Brain
 * with a scripted agent, the real pairing store, and a lease directory of its own.
 */
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { ChannelState } from "../../src/channels/channel.ts";
import { createChannelAccess } from "../../src/channels/pairing.ts";
import { SlackChannel } from "../../src/channels/slack/index.ts";
import type { SlackSettings, SlackTiming } from "../../src/channels/slack/settings.ts";
import { channelCursor } from "../../src/brain/inbox.ts";
import { slackSchema } from "../../src/config/schema-channels.ts";
import { harness, type Harness } from "../brain/harness.ts";
import type { FakeSlack } from "../helpers/fake-slack.ts";
import { tmpDir } from "../helpers/gateway.ts";
import { eventually } from "./telegram-support.ts";

export interface SlackBrain extends Harness {
  slack: SlackChannel;
  states: ChannelState[];
  settings: Harness["settings"];
  slackSettings: SlackSettings;
  stateDir: string;
  leaseDir: string;
  state(): ChannelState;
  stop(): Promise<void>;
}

/** Fast timings: tests must not wait half a minute for a conflict recheck or a post in doubt. */
export const FAST: Partial<SlackTiming> & { leaseRecheckMs: number } = {
  leaseRecheckMs: 200,
  baseBackoffMs: 50,
  maxBackoffMs: 400,
  conflictRecheckMs: 1_000,
  helloTimeoutMs: 3_000,
  reactionDelayMs: 50,
  doubtSettleMs: 100,
  doubtLifeMs: 1_000,
};

/** Settings as the config schema makes them from `s` (its defaults for the rest). */
export function slackSettings(fake: FakeSlack, s: Record<string, unknown> = {}): SlackSettings {
  return slackSchema.parse({ apiRoot: fake.apiUrl, statusReaction: "", ...s });
}

/** Starts a brain with a Slack channel on `fake`. */
export async function slackBrain(
  fake: FakeSlack,
  o: { settings?: Record<string, unknown>; timing?: Partial<SlackTiming>; leaseDir?: string; stateDir?: string; appToken?: string; botToken?: string } = {},
): Promise<SlackBrain> {
  const stateDir = o.stateDir ?? tmpDir("onebrain-slack-");
  const h = harness({ file: path.join(stateDir, "brain.db") });
  const slackSettingsNow = slackSettings(fake, o.settings);
  const leaseDir = o.leaseDir ?? tmpDir("onebrain-lease-");
  const slack = new SlackChannel({
    appToken: o.appToken ?? fake.appToken,
    botToken: o.botToken ?? fake.botToken,
    settings: () => slackSettingsNow,
    holder: { user: os.userInfo().username, stateDir, profile: null, port: null, startedAt: new Date().toISOString() },
    env: { ONEBRAIN_LEASE_DIR: leaseDir },
    timing: { ...FAST, ...o.timing },
  });
  h.brain.addChannel(slack);
  const states: ChannelState[] = [];
  const abort = new AbortController();
  await slack.start({
    ingest: (batch) => h.brain.ingest("slack", slack.account, batch),
    cursor: () => channelCursor(h.store, "slack", slack.account),
    setState: (s) => states.push(s),
    logger: pino({ level: process.env.ONEBRAIN_TEST_LOG ? "debug" : "silent" }),
    signal: abort.signal,
    access: createChannelAccess({ store: h.store, channel: "slack", account: slack.account, policy: () => slackSettingsNow }),
  });
  h.brain.start();
  let stopped: Promise<void> | undefined;
  return {
    ...h,
    slack,
    states,
    slackSettings: slackSettingsNow,
    stateDir,
    leaseDir,
    state: () => states[states.length - 1] ?? { state: "stopped" },
    stop: () =>
      (stopped ??= (async () => {
        const inFlight = () =>
          (h.store.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending' AND send_started_at IS NOT NULL").get() as { n: number }).n > 0;
        await eventually(() => !inFlight(), 2000).catch(() => {});
        abort.abort();
        await slack.stop();
        await h.brain.stop(200);
        h.store.close();
      })()),
  };
}

/** Waits until the channel's state is `state`. */
export async function untilState(b: SlackBrain, state: ChannelState["state"], ms = 10_000): Promise<ChannelState> {
  await eventually(() => b.state().state === state, ms, `slack state ${state} (now ${JSON.stringify(b.state())})`);
  return b.state();
}
