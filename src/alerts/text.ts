/** What an alert says, in a chat and in a webhook's JSON (docs/alerts.md). One voice: what is wrong, since when, what follows. */
import { formatDuration } from "../shared/duration.ts";

export type AlertPhase = "open" | "recovery";

export interface AlertFacts {
  id: number;
  condition: string;
  detail: string;
  openedAt: number;
  closedAt: number | null;
}

const hhmm = (t: number) => `${new Date(t).toISOString().slice(11, 16)} UTC`;

/** The condition in words: `readiness`, `channel telegram@default`, `cron`, `replies`. */
export function conditionLabel(condition: string): string {
  return condition.startsWith("channel:") ? `channel ${condition.slice("channel:".length)}` : condition;
}

/** The chat line of an alert's phase; `host` names the machine, so one operator with two gateways knows which. */
export function alertText(a: AlertFacts, phase: AlertPhase, host: string): string {
  if (a.condition === "test") return `onebrain alert test from ${host}: this target receives alerts.`;
  if (phase === "open") return `onebrain alert from ${host}: ${a.detail} (since ${hhmm(a.openedAt)}). A recovery message follows when it clears.`;
  const lasted = a.closedAt === null ? "" : ` after ${formatDuration(a.closedAt - a.openedAt)}`;
  return `onebrain recovered on ${host}: ${conditionLabel(a.condition)} is fine again${lasted}.`;
}

/** The JSON body a webhook target gets: the facts, and `text` (the chat line) for Slack-style incoming webhooks. */
export function alertPayload(a: AlertFacts, phase: AlertPhase, host: string): Record<string, unknown> {
  return {
    type: a.condition === "test" ? "test" : phase === "open" ? "alert" : "recovery",
    alertId: a.id,
    condition: a.condition,
    detail: a.detail,
    openedAt: new Date(a.openedAt).toISOString(),
    closedAt: a.closedAt === null ? null : new Date(a.closedAt).toISOString(),
    host,
    text: alertText(a, phase, host),
  };
}
