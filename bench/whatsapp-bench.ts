/**
 * The WhatsApp bench (issue 17): the gateway's own cost of a WhatsApp message, measured at the fake
 * WhatsApp (test/helpers/fake-whatsapp.ts, in this process; the gateway reaches it through
 * test/helpers/fake-whatsapp-library.ts, loaded with ONEBRAIN_WHATSAPP_LIBRARY; the fake model
 * answers at once, in its own process). Each gateway's state dir holds a linked device first.
 *   whatsapp_round_trip: from the `messages` frame the fake writes to the device's socket to the
 *     reply's `send` reaching the fake: the session keys written, the message committed (fsync),
 *     the delivery receipt released, the run, the outbox and the send. One at a time over 10
 *     senders, started at most every 100 ms.
 *   whatsapp_gap_answer: the connection drops and a message is sent at that instant; it waits in
 *     the fake's mailbox for the next session: time until its answer is sent (the channel's
 *     reconnect backoff, 0.5-1 s on a first retry, the offline `append`, the run).
 *   whatsapp_idle_rss: gateway RSS after 2 s idle with WhatsApp linked and connected, and without
 *     WhatsApp. The fake library loads Baileys' proto and auth codec (@whiskeysockets/baileys, the
 *     module the real adapter loads), so the cost includes loading Baileys; not its Noise socket.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { authDir, openAuthStore } from "../src/channels/whatsapp/auth-store.ts";
import { FakeBaileys } from "../test/helpers/fake-baileys.ts";
import { FakeWhatsApp } from "../test/helpers/fake-whatsapp.ts";
import { channelResults, idleRss, pacedRoundTrips, type ChannelBenchResult, type Spec } from "./channel-results.ts";
import { progress } from "./cli-runs.ts";
import { chatConfig, startChatGateway, startFakeModel, type FakeModelProc } from "./chat-procs.ts";
import { sleep, type StartedGateway } from "./procs.ts";
import type { BenchResult } from "./stats.ts";

const PACE_MS = 100;
/** The linked number. */
const ME = "4915100000001";

/** Gives `stateDir` the linked device, as `onebrain channels login whatsapp` would have. */
function linkDevice(stateDir: string): void {
  const auth = openAuthStore(authDir(stateDir), new FakeBaileys());
  auth.state.creds.me = { id: `${ME}:5@s.whatsapp.net`, lid: `9${ME}:5@lid`, name: "Owner" };
  auth.saveCreds();
  auth.close();
}

/** Waits until `ready()`, polling every 5 ms. */
async function until(ready: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await sleep(5);
  }
}

/** A gateway with the device linked, serving `users`; resolves once its session is open. */
async function whatsappGateway(fake: FakeModelProc, wa: FakeWhatsApp, users: string[], leaseDir: string): Promise<StartedGateway> {
  // The session of the gateway before must be gone, or it would pass for this one's.
  await until(() => !wa.online(ME), "the previous WhatsApp session did not close");
  const gw = await startChatGateway(chatConfig(fake, { channels: { whatsapp: { allowFrom: users } } }), {
    env: { ...wa.env(), ONEBRAIN_LEASE_DIR: leaseDir },
    prepare: linkDevice,
  });
  await until(() => wa.online(ME), "the gateway opened no WhatsApp session").catch(async (err: unknown) => {
    await gw.stop();
    throw err;
  });
  return gw;
}

/** Resolves when a reply is sent to `jid`, with the time it arrived. */
function nextSend(wa: FakeWhatsApp, jid: string, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      wa.onSend = undefined;
      reject(new Error(`no reply sent to ${jid} within ${timeoutMs} ms`));
    }, timeoutMs);
    wa.onSend = (m) => {
      if (m.jid !== jid) return;
      clearTimeout(timer);
      wa.onSend = undefined;
      resolve(performance.now());
    };
  });
}

/** Runs the three WhatsApp measurements: `messages` round trips, `drops` dropped connections, `starts` idle starts each way. */
export async function whatsappBench(o: { messages: number; warmup: number; drops: number; starts: number }): Promise<ChannelBenchResult> {
  const fake = await startFakeModel();
  const wa = new FakeWhatsApp();
  await wa.start();
  const leaseDir = fs.mkdtempSync(path.join(os.tmpdir(), "onebrain-bench-leases-"));
  try {
    const users = Array.from({ length: 10 }, (_, i) => `+49152${String(1000 + i).padStart(7, "0")}`);
    const jids = users.map((u) => `${u.slice(1)}@s.whatsapp.net`);
    const gw = await whatsappGateway(fake, wa, users, leaseDir);
    const roundTripMs: number[] = [];
    const gapAnswerMs: number[] = [];
    try {
      roundTripMs.push(
        ...(await pacedRoundTrips({
          label: "whatsapp",
          users: users.length,
          warmup: o.warmup,
          messages: o.messages,
          paceMs: PACE_MS,
          say: (k, i) => {
            const answered = nextSend(wa, jids[k]!);
            wa.userSays(ME, jids[k]!, `bench message ${i}`);
            return { answered };
          },
        })),
      );
      for (let d = 0; d < o.drops; d++) {
        const k = d % users.length;
        const sent = nextSend(wa, jids[k]!, 60_000);
        const t0 = performance.now();
        wa.disconnect(ME);
        wa.userSays(ME, jids[k]!, `written in the gap ${d}`);
        gapAnswerMs.push((await sent) - t0);
        progress(`whatsapp gap answers: ${d + 1}/${o.drops}, ${Math.round(gapAnswerMs.at(-1)!)} ms`);
        await sleep(1000);
      }
    } finally {
      await gw.stop();
    }
    const idle = await idleRss(
      "whatsapp",
      o.starts,
      () => whatsappGateway(fake, wa, users, leaseDir),
      () => startChatGateway(chatConfig(fake)),
    );
    return { roundTripMs, gapAnswerMs, ...idle };
  } finally {
    await wa.stop();
    await fake.stop();
    fs.rmSync(leaseDir, { recursive: true, force: true });
  }
}

export type WhatsAppName = "whatsapp_round_trip" | "whatsapp_gap_answer" | "whatsapp_idle_rss";

/** The results run.ts prints for the selected WhatsApp measurements. */
export function whatsappResults(r: ChannelBenchResult, names: readonly WhatsAppName[], specs: Record<WhatsAppName, Spec>): BenchResult[] {
  return channelResults("whatsapp", r, names, specs);
}
