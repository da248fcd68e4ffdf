/**
 * The Discord bench (issue 13): the gateway's own cost of a Discord message, measured at the fake
 * Discord (test/helpers/fake-discord.ts, in this process; the fake model answers at once, in its
 * own process).
 *   discord_round_trip: from the MESSAGE_CREATE the fake writes to the Gateway socket to the
 *     `POST /channels/{id}/messages` of the reply reaching the fake: dispatch parsed, the message
 *     and the cursor committed (fsync), the run, the outbox and the send. One at a time, started at
 *     most 40 a second: Discord allows a bot 50 requests a second, and @discordjs/rest holds
 *     requests back client-side at that limit (unpaced, every 50th reply waits out the second).
 *   discord_gap_answer: the connection is reset and a message is written at that instant: time
 *     until its answer is posted (reconnect backoff, RESUME, the replay, the run). Median of drops.
 *   discord_idle_rss: gateway RSS after 2 s idle with Discord connected, and without Discord.
 */
import { FakeDiscord, type FakeRequest } from "../test/helpers/fake-discord.ts";
import { progress } from "./cli-runs.ts";
import { chatConfig, startChatGateway, startFakeModel, type FakeModelProc } from "./chat-procs.ts";
import { channelResults, idleRss, pacedRoundTrips, type ChannelBenchResult, type Spec } from "./channel-results.ts";
import { sleep, type StartedGateway } from "./procs.ts";
import type { BenchResult } from "./stats.ts";

export type DiscordBenchResult = ChannelBenchResult;

/** Round trips start at most this often (40 a second, under Discord's global 50 requests a second). */
const PACE_MS = 25;
const isPost = (r: FakeRequest) => r.method === "POST" && /\/channels\/\d+\/messages$/.test(r.path);

/** A gateway serving one fake Discord bot whose users are all allowed. */
async function discordGateway(fake: FakeModelProc, f: FakeDiscord, users: string[]): Promise<StartedGateway> {
  const gw = await startChatGateway(chatConfig(fake, { channels: { discord: { token: f.token, apiRoot: f.apiRoot, allowFrom: users, commands: false } } }));
  const deadline = performance.now() + 15_000;
  while (f.liveSessions < 1) {
    if (performance.now() > deadline) throw new Error("the gateway opened no Discord session within 15 s");
    await sleep(5);
  }
  return gw;
}

/** Resolves when a reply is posted in `channel`, with the time it arrived. */
function nextPost(f: FakeDiscord, channel: string, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      f.onRequest = undefined;
      reject(new Error(`no reply posted in channel ${channel} within ${timeoutMs} ms`));
    }, timeoutMs);
    f.onRequest = (r) => {
      if (!isPost(r) || !r.path.includes(`/channels/${channel}/`)) return;
      clearTimeout(timer);
      f.onRequest = undefined;
      resolve(performance.now());
    };
  });
}

/** Runs the three Discord measurements: `messages` round trips, `drops` resets, `starts` idle starts each way. */
export async function discordBench(o: { messages: number; warmup: number; drops: number; starts: number }): Promise<DiscordBenchResult> {
  const fake = await startFakeModel();
  const f = new FakeDiscord({ heartbeatIntervalMs: 41_250 });
  await f.start();
  try {
    const users = Array.from({ length: 10 }, (_, i) => f.user(`bench${i}`));
    const dms = users.map((u) => f.dm(u));
    const gw = await discordGateway(fake, f, users);
    const roundTripMs: number[] = [];
    const gapAnswerMs: number[] = [];
    try {
      roundTripMs.push(
        ...(await pacedRoundTrips({
          label: "discord",
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
        f.dropSockets();
        f.userSays(dms[k]!, users[k]!, `written in the gap ${d}`);
        gapAnswerMs.push((await posted) - t0);
        progress(`discord gap answers: ${d + 1}/${o.drops}, ${Math.round(gapAnswerMs.at(-1)!)} ms`);
        // The channel's backoff resets only once a connection proved healthy.
        await sleep(3000);
      }
    } finally {
      await gw.stop();
    }
    const idle = await idleRss(
      "discord",
      o.starts,
      () => discordGateway(fake, f, users),
      () => startChatGateway(chatConfig(fake)),
    );
    return { roundTripMs, gapAnswerMs, ...idle };
  } finally {
    await f.close();
    await fake.stop();
  }
}

export type DiscordName = "discord_round_trip" | "discord_gap_answer" | "discord_idle_rss";

/** The results run.ts prints for the selected Discord measurements. */
export function discordResults(r: DiscordBenchResult, names: readonly DiscordName[], specs: Record<DiscordName, Spec>): BenchResult[] {
  return channelResults("discord", r, names, specs);
}
