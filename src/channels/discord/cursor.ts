/**
 * The Discord channel's cursor, committed with each message it stores (and handed over with the
 * credential lease): the Gateway session to RESUME (id, resume URL, seq of the last dispatch
 * handled), and the channels seen lately with the newest message id in each, for the backfill
 * after a fresh session (backfill.ts). It stays small: at most MAX_CHANNELS channels, the most
 * recently active kept. JSON, versioned; an unreadable cursor is a fresh start (IDENTIFY, then
 * backfill has nothing to read: nothing is replayed twice, the core dedupes anyway).
 */
import type { GatewaySession } from "./gateway.ts";

/** The most channels the cursor remembers for backfill. */
export const MAX_CHANNELS = 200;
/** Discord's epoch (2015-01-01) in Unix ms: a snowflake's top bits count ms from it. */
const DISCORD_EPOCH = 1_420_070_400_000n;

/** A channel seen: the newest message id there, its guild (REST messages do not carry it) and a thread's parent. */
export interface SeenChannel {
  last: string;
  guild?: string;
  parent?: string;
}

/** What the cursor holds. */
export interface CursorState {
  session: GatewaySession | null;
  channels: Map<string, SeenChannel>;
}

/** When a snowflake was made (Unix ms). Compared as BigInt: snowflakes do not fit a double. */
export function snowflakeMs(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** True when snowflake `a` is newer than `b`. */
export function newer(a: string, b: string): boolean {
  return BigInt(a) > BigInt(b);
}

/** Records message `id` in `channelId` (keeps the newest; guild and parent once known). */
export function noteChannel(map: Map<string, SeenChannel>, channelId: string, id: string, o: { guild?: string; parent?: string } = {}): void {
  const had = map.get(channelId);
  const last = had && !newer(id, had.last) ? had.last : id;
  const guild = o.guild ?? had?.guild;
  const parent = o.parent ?? had?.parent;
  map.set(channelId, { last, ...(guild ? { guild } : {}), ...(parent ? { parent } : {}) });
}

/** The cursor as a string: the session and the MAX_CHANNELS most recently active channels. */
export function encodeCursor(s: CursorState): string {
  const recent = [...s.channels].sort((a, b) => (newer(a[1].last, b[1].last) ? -1 : 1)).slice(0, MAX_CHANNELS);
  const c: Record<string, string[]> = {};
  for (const [id, ch] of recent) c[id] = ch.parent ? [ch.last, ch.guild ?? "", ch.parent] : ch.guild ? [ch.last, ch.guild] : [ch.last];
  return JSON.stringify({ v: 1, s: s.session ? [s.session.sessionId, s.session.seq, s.session.resumeUrl] : null, c });
}

/** Reads a cursor back; anything unreadable is a fresh start. */
export function decodeCursor(text: string | null | undefined): CursorState {
  const empty: CursorState = { session: null, channels: new Map() };
  if (!text) return empty;
  try {
    const j = JSON.parse(text) as { v?: number; s?: unknown; c?: Record<string, unknown> };
    if (j.v !== 1) return empty;
    const s = Array.isArray(j.s) && typeof j.s[0] === "string" && Number.isInteger(j.s[1]) && typeof j.s[2] === "string" ? j.s : null;
    const session = s ? { sessionId: s[0] as string, seq: s[1] as number, resumeUrl: s[2] as string } : null;
    const channels = new Map<string, SeenChannel>();
    for (const [id, v] of Object.entries(j.c ?? {})) {
      if (!Array.isArray(v) || !/^\d+$/.test(String(v[0]))) continue;
      const [last, guild, parent] = v as string[];
      channels.set(id, { last: last!, ...(guild ? { guild } : {}), ...(parent ? { parent } : {}) });
    }
    return { session, channels };
  } catch {
    return empty;
  }
}

/** The channels whose newest message is within `hours` of `now`, for backfill. */
export function recentChannels(map: ReadonlyMap<string, SeenChannel>, now: number, hours: number): Array<[string, SeenChannel]> {
  if (hours <= 0) return [];
  const since = now - hours * 3_600_000;
  return [...map].filter(([, ch]) => snowflakeMs(ch.last) >= since);
}
