/**
 * The `status` payload as the pages read it (docs/protocol.md, "Methods"). Every field is
 * optional here on purpose: an older gateway lacks the newer ones, and the pages show "—".
 */

export interface LockRecord {
  pid?: number;
  user?: string;
  hostname?: string;
  home?: string;
  stateDir?: string;
  configPath?: string;
  profile?: string | null;
  port?: number;
  bindHosts?: string[];
  version?: string;
  startedAt?: string;
  instanceId?: string;
  phase?: string;
}

export interface ChannelState {
  id: string;
  account?: string;
  state: string;
  since?: number;
  attempt?: number;
  nextAttemptAt?: number;
  lastError?: string;
  detail?: string;
  reason?: string;
}

export interface Status {
  version?: string;
  instanceId?: string;
  pid?: number;
  user?: string;
  hostname?: string;
  home?: string;
  stateDir?: string;
  configPath?: string;
  profile?: string | null;
  startedAt?: string;
  uptimeMs?: number;
  bind?: { mode?: string; hosts?: string[] };
  auth?: { mode?: string; tokenSource?: string | null; passwordSource?: string | null };
  ports?: { base?: number; baseSource?: string; browserControl?: number; canvas?: number; cdp?: { first?: number; last?: number } };
  connections?: number;
  memory?: { rssBytes?: number; heapUsedBytes?: number };
  eventLoop?: { p50Ms?: number; p99Ms?: number; maxMs?: number; windowMs?: number };
  readiness?: { ready?: boolean; components?: Array<{ name: string; ok: boolean; detail?: string }>; failing?: string[] };
  model?: { configured?: boolean; describe?: string; lastSuccessAt?: number | null; lastFailureAt?: number | null; lastFailure?: string | null };
  pipeline?: { epoch?: number; activeRuns?: number; pendingInbound?: number; pendingOutbox?: number; failedOutbox?: number };
  lock?: LockRecord | null;
  channels?: ChannelState[];
}
