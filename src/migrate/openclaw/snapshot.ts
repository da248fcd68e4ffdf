/**
 * An OpenClaw state as the import sees it, whichever layout it was read from (the files of
 * Clawdbot, Moltbot and OpenClaw before 2026.7.2, or OpenClaw's SQLite databases): the config,
 * the sessions with a way to read each transcript, the cron jobs, the pairing allowlists and the
 * stored model keys. The mapping steps read only this.
 */
import type { RawLine } from "./lines.ts";
import type { ReportItem, SectionName } from "./report.ts";

/** One session (one generation of a key) of the source. */
export interface SourceSession {
  /** The agent whose store it is in. */
  agentId: string;
  /** OpenClaw's session key. */
  key: string;
  sessionId: string;
  /** The key's current generation (older ones ended with a reset). */
  current: boolean;
  /** The session entry (sessions.json value, or session_nodes.entry_json). */
  entry: Record<string, unknown>;
  /** Channel, account and chat type where the source recorded them outside the key. */
  hints: { channel?: string | undefined; accountId?: string | undefined; chatType?: string | undefined };
  startedAt: number | null;
  updatedAt: number | null;
  /** Where the transcript is, for reports. */
  where: string;
  /** The transcript's lines, or null when there is none (with `missing` saying why). */
  lines: (() => Iterable<RawLine>) | null;
  missing?: string;
}

/** A cron job as stored (jobs.json entry or cron_jobs.job_json). */
export interface SourceCronJob {
  job: Record<string, unknown>;
  /** Set for OpenClaw's own jobs (heartbeat, memory, skill review). */
  declarationKey: string | null;
}

/** A sender approved through pairing (the runtime allowlist beside `allowFrom`). */
export interface SourcePairing {
  channel: string;
  /** OpenClaw's account id ("default" unless the file or row names one). */
  account: string;
  entry: string;
}

/** A stored auth profile store (`auth-profiles.json` shape) of one agent. */
export interface SourceAuthStore {
  agentId: string;
  profiles: Record<string, Record<string, unknown>>;
  where: string;
}

export interface Snapshot {
  /** The parsed config, or null (none, or unreadable: `configProblem` says why). */
  config: Record<string, unknown> | null;
  configProblem: string | null;
  sessions: SourceSession[];
  cron: SourceCronJob[];
  pairing: SourcePairing[];
  /** Pairing requests nobody approved (they expire; never carried over). */
  pendingPairing: number;
  auth: SourceAuthStore[];
  /** What the reader itself left (an unreadable sessions.json, a store it does not know). */
  left: Array<ReportItem & { section: SectionName }>;
  /** The layout's versions, for the report. */
  versions: { app?: string; stateSchema?: number; agentSchema?: number };
  /** Releases what reading needed (temporary copies of the databases). */
  close(): void;
}

/** A JSON object, or null. */
export function asObject(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** A non-empty string, or undefined. */
export function asText(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
}

/** Any value as text for a report: a string or number as it is, anything else as JSON. */
export function show(v: unknown): string {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : (JSON.stringify(v) ?? "undefined");
}

/** Epoch ms from a number or an ISO string; null otherwise. */
export function asTime(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return v;
  if (typeof v === "string") {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : null;
  }
  return null;
}

/** Channel, account and chat type of a session entry (deliveryContext, origin, last*). */
export function entryHints(e: Record<string, unknown>): SourceSession["hints"] {
  // Clawdbot: deliveryContext and origin at the top; OpenClaw 2026.9: under delivery (context, route, origin).
  const delivery = asObject(e.delivery) ?? {};
  const dc = asObject(e.deliveryContext) ?? asObject(delivery.context) ?? asObject(delivery.route) ?? {};
  const origin = asObject(e.origin) ?? asObject(delivery.origin) ?? {};
  return {
    channel: asText(e.channel) ?? asText(dc.channel) ?? asText(origin.provider) ?? asText(e.lastChannel),
    accountId: asText(dc.accountId) ?? asText(origin.accountId) ?? asText(e.lastAccountId),
    chatType: asText(e.chatType) ?? asText(origin.chatType),
  };
}

/** OpenClaw's agents as configured: `agents.list` (Clawdbot, older OpenClaw) or `agents.entries` (2026.x), in order. */
export function configuredAgents(config: Record<string, unknown> | null): Array<{ id: string; entry: Record<string, unknown> }> {
  const agents = asObject(config?.agents) ?? {};
  if (Array.isArray(agents.list))
    return agents.list.flatMap((a) => {
      const entry = asObject(a);
      const id = asText(entry?.id);
      return entry && id ? [{ id: id.toLowerCase(), entry }] : [];
    });
  return Object.entries(asObject(agents.entries) ?? {}).flatMap(([id, e]) => (asObject(e) ? [{ id: id.toLowerCase(), entry: asObject(e)! }] : []));
}

/** The default agent: the one marked `default`, else the first of `agents.list` (of `agents.entries`: `main` first), else `main`. */
export function defaultAgentOf(config: Record<string, unknown> | null): string {
  const list = configuredAgents(config);
  const keyed = !Array.isArray(asObject(config?.agents)?.list);
  return list.find((a) => a.entry.default === true)?.id ?? (keyed ? list.find((a) => a.id === "main")?.id : undefined) ?? list[0]?.id ?? "main";
}
