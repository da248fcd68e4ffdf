/** A session peer (a delivery target) of the Slack channel: `C1` (a conversation) or `C1/<thread_ts>` (a thread in it). */
export interface SlackTarget {
  channel: string;
  threadTs: string | null;
}

/** The conversation and thread a target names. */
export function parseTarget(target: string): SlackTarget {
  const slash = target.indexOf("/");
  return slash < 0 ? { channel: target, threadTs: null } : { channel: target.slice(0, slash), threadTs: target.slice(slash + 1) };
}

/** A Slack ts (`1700000000.000100`) as epoch ms (null when it is not one). */
export function tsMs(ts: string | undefined): number | null {
  if (!ts || !/^\d{1,12}\.\d{1,6}$/.test(ts)) return null;
  return Math.floor(Number(ts) * 1000);
}

/** Epoch ms as a Slack ts bound (`oldest`/`latest`). */
export function msTs(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(6);
}
