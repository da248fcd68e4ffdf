/**
 * The Slack bench (issue 14): the gateway's own cost of a Slack message, measured at the fake
 * Slack (test/helpers/fake-slack.ts, in this process; the fake model answers at once, in its own
 * process).
 *   slack_round_trip: from the `events_api` envelope the fake writes to the Socket Mode socket to
 *     the reply's `chat.postMessage` reaching the fake: envelope parsed, the message and cursor
 *     committed (fsync), the ack, the run, the outbox and the post. One at a time over 10 DMs,
 *     started at most every 100 ms (Slack allows about one post a second per conversation).
 *   slack_gap_answer: the socket is reset and a message is sent at that instant: time until its
 *     answer is posted (a new apps.connections.open, hello, the envelope sent again, the run).
 *   slack_idle_rss: gateway RSS after 2 s idle with Slack connected, and without Slack.
 */
import { FakeSlack } from "../test/helpers/fake-slack.ts";
import { channelResults, idleRss, pacedRoundTrips, type ChannelBenchResult, type Spec } from "./channel-results.ts";
import { progress } from "./cli-runs.ts";
import { chatConfig, startChatGateway, startFakeModel, type FakeModelProc } from "./chat-procs.ts";
import { sleep, type StartedGateway } from "./procs.ts";
import type { BenchResult } from "./stats.ts";

const PACE_MS = 100;

async function slackGateway(fake: FakeModelProc, f: FakeSlack): Promise<StartedGateway> {
  const slack = { appToken: f.appToken, botToken: f.botToken, apiRoot: f.apiUrl, allowFrom: ["*"], statusReaction: "" };
  const gw = await startChatGateway(chatConfig(fake, { channels: { slack } }));
  const deadline = performance.now() + 15_000;
  while (f.socket.sockets.size < 1) {
    if (performance.now() > deadline) throw new Error("the gateway opened no Socket Mode connection within 15 s");
    await sleep(5);
  }
  await sleep(100); // hello read
  return gw;
}

/** Resolves when a reply is posted in `channel`, with the time it arrived. */
function nextPost(f: FakeSlack, channel: string, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      f.onCall = undefined;
      reject(new Error(`no reply posted in ${channel} within ${timeoutMs} ms`));
    }, timeoutMs);
    f.onCall = (c) => {
      if (c.method !== "chat.postMessage" || c.params.channel !== channel) return;
      clearTimeout(timer);
      f.onCall = undefined;
      resolve(performance.now());
    };
  });
}

/** Runs the three Slack measurements. */
export async function slackBench(o: { messages: number; warmup: number; drops: number; starts: number }): Promise<ChannelBenchResult> {
  const fake = await startFakeModel();
  const f = new FakeSlack({ pingIntervalMs: 10_000, ackTimeoutMs: 3000 });
  await f.start();
  try {
    const users = Array.from({ length: 10 }, (_, i) => f.user(`bench${i}`));
    const dms = users.map((u) => f.im(u));
    const gw = await slackGateway(fake, f);
    const roundTripMs: number[] = [];
    const gapAnswerMs: number[] = [];
    try {
      roundTripMs.push(
        ...(await pacedRoundTrips({
          label: "slack",
          users: users.length,
          warmup: o.warmup,
          messages: o.messages,
          paceMs: PACE_MS,
          say: (k, i) => {
            const answered = nextPost(f, dms[k]!);
            f.userSays(dms[k]!, users[k]!, `bench message ${i}`);
            return { answered };
          },
        })),
      );
      for (let d = 0; d < o.drops; d++) {
        const k = d % users.length;
        const posted = nextPost(f, dms[k]!, 60_000);
        const t0 = performance.now();
        f.socket.dropSockets();
        f.userSays(dms[k]!, users[k]!, `written in the gap ${d}`);
        gapAnswerMs.push((await posted) - t0);
        progress(`slack gap answers: ${d + 1}/${o.drops}, ${Math.round(gapAnswerMs.at(-1)!)} ms`);
        await sleep(1000);
      }
    } finally {
      await gw.stop();
    }
    const idle = await idleRss(
      "slack",
      o.starts,
      () => slackGateway(fake, f),
      () => startChatGateway(chatConfig(fake)),
    );
    return { roundTripMs, gapAnswerMs, ...idle };
  } finally {
    await f.close();
    await fake.stop();
  }
}

export type SlackName = "slack_round_trip" | "slack_gap_answer" | "slack_idle_rss";

/** The results run.ts prints for the selected Slack measurements. */
export function slackResults(r: ChannelBenchResult, names: readonly SlackName[], specs: Record<SlackName, Spec>): BenchResult[] {
  return channelResults("slack", r, names, specs);
}
