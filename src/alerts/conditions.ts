/**
 * What the watchdog watches, read fresh at each check. Each bad condition is a signal; a condition
 * with no signal is good. Conditions are few and coarse on purpose: a gateway-wide outage is one
 * alert per broken part (readiness, each channel account, cron, replies), never one per message.
 *   - readiness: the process's own checks (lock, HTTP, event loop, store) failing;
 *   - channel:<id>@<account>: degraded, reconnecting, in conflict or failed;
 *   - cron: some job's newest settled occurrence was missed, ended unknown or failed;
 *   - replies: the newest N replies of a channel account failed to deliver, or the newest N runs failed.
 */
import type { ChannelState } from "../channels/channel.ts";
import { clip } from "../shared/text.ts";
import type { StoreHandle } from "../store/handle.ts";

export interface Signal {
  condition: string;
  detail: string;
  /** When it went bad, if the source knows (a degraded channel's `since`); else first seen. */
  since?: number;
  /** An event that already happened (a missed occurrence, failed replies): no waiting before the alert. */
  immediate?: boolean;
  /** Channels this condition concerns: no alert about it goes to a target on them. */
  channels: string[];
}

type ChannelStatus = { id: string; account: string } & ChannelState;

/** The process's readiness components that failed, but not `lifecycle` (a stop is not an outage). */
export function readinessSignal(components: ReadonlyArray<{ name: string; ok: boolean; detail?: string }>): Signal[] {
  const bad = components.filter((c) => !c.ok && c.name !== "lifecycle");
  if (!bad.length) return [];
  const detail = `not ready: ${bad.map((c) => (c.detail ? `${c.name} (${c.detail})` : c.name)).join(", ")}`;
  return [{ condition: "readiness", detail, channels: [] }];
}

/** One signal per channel account that is not serving normally. */
export function channelSignals(channels: readonly ChannelStatus[]): Signal[] {
  return channels.flatMap((c): Signal[] => {
    const condition = `channel:${c.id}@${c.account}`;
    const base = { condition, channels: [c.id] };
    switch (c.state) {
      case "degraded":
        return [{ ...base, detail: `${c.id}@${c.account} is degraded: ${c.detail}`, since: c.since }];
      case "reconnecting":
        return [{ ...base, detail: `${c.id}@${c.account} is reconnecting (attempt ${c.attempt}): ${c.lastError}` }];
      case "conflict":
        return [{ ...base, detail: `${c.id}@${c.account} is in conflict: ${c.detail}` }];
      case "failed":
        return [{ ...base, detail: `${c.id}@${c.account} failed: ${c.reason}` }];
      default:
        return [];
    }
  });
}

const iso = (t: number) => new Date(t).toISOString().replace(/:\d{2}\.\d{3}Z$/, "Z");

/** One signal when any running job's newest settled occurrence went wrong; paused jobs are left out. */
export function cronSignal(store: StoreHandle): Signal[] {
  const rows = store
    .prepare(
      `SELECT j.name, r.state, r.count, r.scheduled_for AS at, r.last_for AS lastFor, r.note, r.ended_at AS endedAt
       FROM cron_jobs j JOIN cron_runs r ON r.id = (
         SELECT r2.id FROM cron_runs r2 WHERE r2.job_id = j.id AND r2.state <> 'running' ORDER BY r2.scheduled_for DESC, r2.id DESC LIMIT 1)
       WHERE j.paused = 0 AND r.state IN ('missed', 'unknown', 'failed') ORDER BY j.name`,
    )
    .all() as Array<{ name: string; state: string; count: number; at: number; lastFor: number | null; note: string | null; endedAt: number | null }>;
  if (!rows.length) return [];
  const says = rows.slice(0, 5).map((r) => {
    if (r.state === "missed")
      return `"${r.name}" missed ${r.count === 1 ? `its ${iso(r.at)} run` : `${r.count} runs (${iso(r.at)} to ${iso(r.lastFor ?? r.at)})`}${r.note ? `: ${clip(r.note, 120)}` : ""}`;
    return `"${r.name}" ${r.state === "unknown" ? "ended unknown" : "failed"} at ${iso(r.at)}${r.note ? `: ${clip(r.note, 120)}` : ""}`;
  });
  const more = rows.length > 5 ? `, and ${rows.length - 5} more` : "";
  return [{ condition: "cron", detail: `cron: ${says.join("; ")}${more}`, immediate: true, channels: [] }];
}

/** How far back the replies condition looks (rows, newest first): bounded work at each check. */
const REPLY_WINDOW = 2000;

/** One signal when a channel account's newest `n` replies all failed, or the newest `n` runs did. */
export function repliesSignal(store: StoreHandle, n: number): Signal[] {
  const outbox = store
    .prepare(
      `SELECT channel, account, state, last_error AS error FROM outbox
       WHERE id > (SELECT coalesce(max(id), 0) FROM outbox) - ? AND state IN ('delivered', 'failed') ORDER BY id DESC`,
    )
    .all(REPLY_WINDOW) as Array<{ channel: string; account: string; state: string; error: string | null }>;
  const streaks = new Map<string, { channel: string; failed: number; done: boolean; error: string | null }>();
  for (const r of outbox) {
    const key = `${r.channel}@${r.account}`;
    const s = streaks.get(key) ?? { channel: r.channel, failed: 0, done: false, error: r.error };
    streaks.set(key, s);
    if (s.done) continue;
    if (r.state === "failed") s.failed++;
    else s.done = true;
  }
  const says: string[] = [];
  const channels: string[] = [];
  for (const [key, s] of streaks) {
    if (s.failed < n) continue;
    says.push(`the last ${s.failed}${s.done ? "" : "+"} replies on ${key} failed${s.error ? ` (${clip(s.error, 160)})` : ""}`);
    channels.push(s.channel);
  }
  const runs = store
    .prepare(`SELECT state, error FROM runs WHERE id > (SELECT coalesce(max(id), 0) FROM runs) - ? AND state IN ('done', 'failed') ORDER BY id DESC LIMIT ?`)
    .all(REPLY_WINDOW, n) as Array<{ state: string; error: string | null }>;
  if (runs.length >= n && runs.every((r) => r.state === "failed"))
    says.push(`the last ${n} runs failed (${clip(runs[0]!.error ?? "no reason recorded", 160)})`);
  if (!says.length) return [];
  return [{ condition: "replies", detail: `replies: ${says.join("; ")}`, immediate: true, channels: [...new Set(channels)] }];
}
