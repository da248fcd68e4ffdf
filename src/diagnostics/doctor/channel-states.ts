/**
 * What this brain's running gateway says of its channels now (its /readyz, asked on loopback,
 * where the answer is detailed): a channel in `conflict` or `failed` fails (a split brain such as
 * a second host on the same Slack app, a revoked token), a `degraded` one warns. Only what a
 * running gateway knows can be seen this way: a Slack app's connection count, a Discord session.
 * Read-only: one GET with a short timeout; nothing when the gateway does not run.
 */
import type { DoctorCheck, DoctorContext, Finding } from "./types.ts";

/** The port of this brain's running gateway, or null. */
function gatewayPort(ctx: DoctorContext): number | null {
  const { lock } = ctx.brain();
  return lock.status === "held" && lock.ownerIsHolder && lock.owner && lock.owner.port > 0 ? lock.owner.port : null;
}

interface Readiness {
  components?: Array<{ name: string; ok: boolean; detail?: string }>;
}

export const channelStatesCheck: DoctorCheck = {
  id: "channels.live",
  group: "this brain",
  title: "The running gateway's channels are not in conflict (a split brain, e.g. another host on the same Slack app), failed or degraded (asked on loopback).",
  slow: true,
  applies: (ctx) => gatewayPort(ctx) !== null,
  async run(ctx): Promise<Finding[]> {
    const port = gatewayPort(ctx)!;
    const { get } = await import("../../shared/http-client.ts");
    let body: Readiness;
    try {
      const res = await get(`http://127.0.0.1:${port}/readyz`, {}, AbortSignal.timeout(Math.min(ctx.timeoutMs, 2000)), {});
      body = JSON.parse(await res.text(256 * 1024)) as Readiness;
    } catch (err) {
      return [{ id: "channels.live", status: "ok", finding: `not checked: the gateway did not answer on 127.0.0.1:${port} (${(err as Error).message})` }];
    }
    const c = body.components?.find((x) => x.name === "channels");
    if (!c) return [{ id: "channels.live", status: "ok", finding: "not checked: the gateway's readiness names no channels" }];
    if (!c.ok)
      return [
        {
          id: "channels.live",
          status: "fail",
          finding: `the running gateway says: ${c.detail ?? "a channel cannot work"}`,
          fix: "do what the state says (stop the other brain or host, or replace the refused token); `onebrain channels status` shows each channel",
          details: { port, channels: c.detail ?? null },
        },
      ];
    if (c.detail)
      return [
        {
          id: "channels.live",
          status: "warn",
          finding: `the running gateway says: ${c.detail}`,
          fix: "the channel keeps trying on its own; `onebrain channels status` shows its last error",
          details: { port, channels: c.detail },
        },
      ];
    return [{ id: "channels.live", status: "ok", finding: "every channel of the running gateway is connected or starting", details: { port } }];
  },
};
