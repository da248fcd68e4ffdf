/**
 * The watchdog's targets as configured (`alerts.targets`), resolved against this gateway's channel
 * accounts and environment. Each has a stable key (what alert_sends records) and a label that is
 * safe to print: a webhook's URL is shown by its origin only (incoming-webhook URLs carry their
 * secret in the path), and a URL from `urlEnv` only by the variable's name.
 */
import crypto from "node:crypto";
import type { AlertsConfig } from "../config/schema-alerts.ts";

export type AlertTarget =
  | { kind: "channel"; key: string; label: string; channel: string; account: string; target: string }
  | { kind: "webhook"; key: string; label: string; url: string; secret: string | null };

export interface ResolvedTargets {
  usable: AlertTarget[];
  /** Targets that cannot be used now, with why (an unknown channel, an unset variable). */
  problems: Array<{ label: string; kind: AlertTarget["kind"]; problem: string }>;
}

type TargetConfig = AlertsConfig["targets"][number];

const hash = (s: string) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16);

/** A URL as it may be printed: scheme and host, the rest elided. */
export function urlLabel(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname === "/" && !u.search ? u.origin : `${u.origin}/…`;
  } catch {
    return "(not a URL)";
  }
}

/** Resolves each configured target; `accounts` are the channel accounts this gateway runs. */
export function resolveTargets(
  targets: readonly TargetConfig[],
  o: { accounts: ReadonlyArray<{ id: string; account: string }>; env: NodeJS.ProcessEnv },
): ResolvedTargets {
  const usable: AlertTarget[] = [];
  const problems: ResolvedTargets["problems"] = [];
  for (const t of targets) {
    if (t.channel !== undefined) {
      const channel = t.channel;
      const chat = t.target ?? "";
      const mine = o.accounts.filter((a) => a.id === channel);
      const account = t.account ?? (mine.length === 1 ? mine[0]!.account : "default");
      const label = `${channel}${t.account ? `@${t.account}` : ""}:${chat}`;
      if (!mine.some((a) => a.account === account)) {
        const running = o.accounts.map((a) => `${a.id}@${a.account}`).join(", ") || "none";
        problems.push({ label, kind: "channel", problem: `no channel ${channel}@${account} runs in this gateway (running: ${running})` });
        continue;
      }
      usable.push({ kind: "channel", key: `channel:${channel}@${account}:${chat}`, label, channel, account, target: chat });
      continue;
    }
    const url = t.url ?? o.env[t.urlEnv!];
    const label = t.url ? `webhook ${urlLabel(t.url)}` : `webhook $${t.urlEnv}`;
    const secret = t.secret ?? (t.secretEnv ? (o.env[t.secretEnv] ?? null) : null);
    if (!url) problems.push({ label, kind: "webhook", problem: `the environment variable ${t.urlEnv} is not set` });
    else if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      problems.push({ label, kind: "webhook", problem: `${t.urlEnv} is not an http(s) URL` });
    else if (t.secretEnv && !secret) problems.push({ label, kind: "webhook", problem: `the environment variable ${t.secretEnv} (its signing key) is not set` });
    else usable.push({ kind: "webhook", key: `webhook:${hash(url)}`, label, url, secret });
  }
  return { usable, problems };
}

/** The targets an alert may use: none on a channel it concerns (a broken channel cannot report itself). */
export function targetsFor(usable: readonly AlertTarget[], avoid: readonly string[]): AlertTarget[] {
  return usable.filter((t) => t.kind === "webhook" || !avoid.includes(t.channel));
}
