/**
 * Channel credentials against the host-wide credential leases: a bot token is polled by exactly
 * one process on the host. Held by this brain's gateway: ok. Held by any other process (another
 * brain, another user, another state dir): fail, naming it, because this brain's channel cannot
 * run. Free while this brain's gateway runs with the channel enabled: warn (the channel stopped
 * or failed). Reads the lease files and /proc/locks only; never takes a lease.
 */
import { configuredChannels, leaseOf } from "../../channels/inspect.ts";
import { platformOf } from "../../channels/platforms.ts";
import { describeLeaseHolder } from "../../lock/lease.ts";
import type { DoctorCheck, DoctorContext, Finding } from "./types.ts";

/** The pid of this brain's running gateway (a maintenance command holding the lock, port 0, is not one). */
function gatewayPid(ctx: DoctorContext): number | null {
  const { lock } = ctx.brain();
  return lock.status === "held" && lock.ownerIsHolder && lock.owner && lock.owner.port > 0 ? lock.holderPid : null;
}

/** Where a brain gets a credential of its own, per platform. */
const OWN_CREDENTIAL: Record<string, string> = {
  telegram: "from @BotFather",
  discord: "a bot of its own in the Developer Portal",
  whatsapp: "a number of its own: one WhatsApp number is linked to one brain",
  slack: "a Slack app of its own, created from the manifest in docs/slack.md",
};

export const channelsCheck: DoctorCheck = {
  id: "channels",
  group: "this brain",
  title:
    "Each channel credential (Telegram or Discord bot token, Slack app token, linked WhatsApp number) is used by this brain's gateway or by nobody, never by another process on the host (credential leases).",
  run(ctx): Finding[] {
    const { config } = ctx.brain();
    if (!config) return [{ id: "channels", status: "ok", finding: "not checked: the config does not load (see `config`)" }];
    const pid = gatewayPid(ctx);
    const out: Finding[] = [];
    for (const c of configuredChannels(config, ctx.env, ctx.paths.stateDir)) {
      if (!c.secret()) continue;
      const id = `channels.${c.id}`;
      const noun = platformOf(c.id)?.noun ?? "account";
      const source = c.tokenSource === "linked" ? "a device linked into this brain" : `token from ${c.tokenSource === "env" ? c.tokenEnv : "the config"}`;
      const what = `${c.id}${c.account ? ` ${noun} ${c.tokenSource === "linked" ? c.tokenMasked : c.account}` : ""} (${source})`;
      const lease = leaseOf(c, ctx.env)!;
      const holder = lease.holder;
      const details = { channel: c.id, account: c.account, enabled: c.enabled, tokenSource: c.tokenSource, lease: lease.key, holder, gatewayPid: pid };
      if (holder && holder.pid === pid) {
        out.push({ id, status: "ok", finding: `${what}: polled by this brain's gateway (pid ${pid})`, details });
      } else if (holder && !c.enabled) {
        out.push({ id, status: "ok", finding: `${what}: disabled here; polled by ${describeLeaseHolder(holder)}`, details });
      } else if (holder) {
        out.push({
          id,
          status: "fail",
          finding: `${what}: ${c.tokenSource === "linked" ? "number" : "token"} in use by ${describeLeaseHolder(holder)}; this brain's ${c.id} channel cannot poll it`,
          fix: `one bot per brain: stop that gateway (kill -TERM ${holder.pid}, or its service${holder.stateDir ? ` for ${holder.stateDir}` : ""}), or give this brain its own bot token (${OWN_CREDENTIAL[c.id] ?? "a credential of its own"})`,
          details,
        });
      } else if (pid !== null && c.enabled) {
        out.push({
          id,
          status: "warn",
          finding: `${what}: enabled, but nobody polls the token: the channel is not running in this brain's gateway (pid ${pid})`,
          fix: "`onebrain channels status` shows its state and last error (a revoked token stops it); then `onebrain gateway restart`",
          details,
        });
      } else {
        out.push({
          id,
          status: "ok",
          finding: `${what}: ${c.enabled ? "free (this brain's gateway is not running)" : `disabled (channels.${c.id}.enabled is false)`}`,
          details,
        });
      }
    }
    if (!out.length)
      out.push({
        id: "channels",
        status: "ok",
        finding: `no channel credential configured (to add one: ${configuredChannels(config, ctx.env, ctx.paths.stateDir)
          .map((c) => `${c.id}: ${c.setup}`)
          .join("; ")})`,
      });
    return out;
  },
};
