/**
 * `onebrain hooks status` and the `hooks.status` method: whether a token is set (never the token),
 * the mappings and how each authenticates, and the recent deliveries with what became of them.
 * One function for the running gateway and for the CLI reading the store while none runs.
 */
import { agentOfKey } from "../sessions/keys.ts";
import type { StoreHandle } from "../store/handle.ts";
import { deliveryCounts, deliveryView, recentDeliveries, type DeliveryView } from "./deliveries.ts";
import type { HookMapping, HooksConfig } from "./plan.ts";
import type { HookTokenState } from "./token.ts";

export interface MappingStatus {
  name: string;
  path: string;
  auth: "token" | "signature" | "both";
  /** Where the HMAC secret comes from: the config, an env variable (set or missing), or none. */
  secret: "config" | "env" | "env-missing" | "none";
  signatureHeader: string | null;
  /** The agent that answers (the mapping's, else the default agent). */
  agent: string;
  session: string;
  deliver: string | null;
  deliveries: number;
}

export interface HooksStatus {
  enabled: boolean;
  token: HookTokenState;
  maxBodyBytes: number;
  idempotencyHeaders: string[];
  mappings: MappingStatus[];
  /** Deliveries of the built-in endpoints, by hook. */
  deliveries: Record<string, number>;
  recent: DeliveryView[];
}

/** How a mapping authenticates: as configured, else both with a secret and the token alone without. */
export function mappingAuth(m: HookMapping): "token" | "signature" | "both" {
  return m.auth ?? (m.secret !== undefined || m.secretEnv !== undefined ? "both" : "token");
}

/** The mapping's HMAC secret, or undefined when it has none or its env variable is not set. */
export function mappingSecret(m: HookMapping, env: NodeJS.ProcessEnv): string | undefined {
  if (m.secret !== undefined) return m.secret;
  return m.secretEnv === undefined ? undefined : env[m.secretEnv] || undefined;
}

function mappingStatus(name: string, m: HookMapping, env: NodeJS.ProcessEnv, counts: Record<string, number>, defaultAgent: string): MappingStatus {
  const auth = mappingAuth(m);
  const agent = m.agent ?? (m.session && m.session !== "isolated" ? (agentOfKey(m.session) ?? defaultAgent) : defaultAgent);
  const secret = m.secret !== undefined ? "config" : m.secretEnv === undefined ? "none" : env[m.secretEnv] ? "env" : "env-missing";
  return {
    name,
    path: `/hooks/${name}`,
    auth,
    secret,
    signatureHeader: secret === "none" ? null : m.signatureHeader,
    agent,
    session: m.session === undefined || m.session === "isolated" ? `agent:${agent}:hook:${name}` : m.session,
    deliver: m.deliver ? `${m.deliver.channel}${m.deliver.account ? `@${m.deliver.account}` : ""}:${m.deliver.target}` : null,
    deliveries: counts[name] ?? 0,
  };
}

/** The status from the config, the token in force and the store (null: no database yet). */
export function hooksStatus(o: {
  config: HooksConfig;
  token: HookTokenState;
  store: Pick<StoreHandle, "prepare"> | null;
  env: NodeJS.ProcessEnv;
  recent?: number;
  /** The default agent (a mapping without `agent` answers as it); default "main". */
  defaultAgent?: string;
}): HooksStatus {
  const counts = o.store ? deliveryCounts(o.store) : {};
  const store = o.store;
  const recent = store ? recentDeliveries(store, o.recent ?? 10).flatMap((d) => deliveryView(store, d.id) ?? []) : [];
  return {
    enabled: o.config.enabled,
    token: o.token,
    maxBodyBytes: o.config.maxBodyBytes,
    idempotencyHeaders: [...o.config.idempotencyHeaders],
    mappings: Object.entries(o.config.mappings).map(([name, m]) => mappingStatus(name, m, o.env, counts, o.defaultAgent ?? "main")),
    deliveries: Object.fromEntries(Object.entries(counts).filter(([hook]) => hook === "agent" || hook === "wake")),
    recent,
  };
}
