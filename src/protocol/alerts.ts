/** The watchdog's views on the wire (`alerts.status`, `alerts.test`; docs/alerts.md), shared by the server and the CLI. */

/** One send of an alert to one target. `queued`: in the outbox; `pending`: a webhook waiting for its next try. */
export interface AlertSendView {
  phase: "open" | "recovery";
  /** The target as shown: `telegram:12345`, `webhook https://hooks.example.com/…` (never a secret). */
  target: string;
  kind: "channel" | "webhook";
  state: "queued" | "pending" | "sent" | "delivered" | "failed";
  attempts: number;
  lastError: string | null;
  sentAt: number | null;
}

/** One alert: a condition that went bad, and (once it recovered) when. */
export interface AlertView {
  id: number;
  /** `readiness`, `channel:<id>@<account>`, `cron`, `replies`, or `test`. */
  condition: string;
  detail: string;
  openedAt: number;
  closedAt: number | null;
  sends: AlertSendView[];
}

/** A condition that is bad right now, open or not yet. */
export interface WatchedCondition {
  condition: string;
  detail: string;
  badSince: number;
  /** When its alert goes out if it stays bad; null once it is open. */
  alertsAt: number | null;
  /** When it recovered, while the recovery waits for `recoverAfterMs` of good. */
  goodSince: number | null;
}

export interface AlertTargetView {
  target: string;
  kind: "channel" | "webhook";
  /** Why it cannot be used (unknown channel, env variable not set); null when it can. */
  problem: string | null;
}

/** `alerts.status`. */
export interface AlertsStatus {
  enabled: boolean;
  targets: AlertTargetView[];
  watching: WatchedCondition[];
  open: AlertView[];
  /** The newest closed alerts, newest first. */
  recent: AlertView[];
  heartbeat: { target: string; everyMs: number; lastAt: number | null; lastError: string | null } | null;
}
