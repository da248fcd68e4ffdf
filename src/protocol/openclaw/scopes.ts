/**
 * OpenClaw's operator scopes and what each satisfies (OpenClaw 2026.9: operator-scope-compat):
 * admin satisfies every scope; write satisfies read, talk and the sessions scopes; read or
 * sessions.write satisfies sessions.read; any other scope only itself.
 */

export const OPERATOR_SCOPES = [
  "operator.admin",
  "operator.read",
  "operator.write",
  "operator.sessions.read",
  "operator.sessions.write",
  "operator.approvals",
  "operator.questions",
  "operator.pairing",
  "operator.talk",
  "operator.talk.secrets",
] as const;

export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

/** Whether the granted scopes satisfy `needed`. */
export function scopeSatisfied(granted: readonly string[], needed: string): boolean {
  if (granted.includes(needed) || granted.includes("operator.admin")) return true;
  const write = granted.includes("operator.write");
  if (write && ["operator.read", "operator.talk", "operator.sessions.read", "operator.sessions.write"].includes(needed)) return true;
  if (needed === "operator.sessions.read" && (granted.includes("operator.read") || granted.includes("operator.sessions.write"))) return true;
  return false;
}

/** Whether every scope in `wanted` is satisfied by `granted`. */
export function scopesCovered(granted: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((s) => scopeSatisfied(granted, s));
}

/** Scopes as stored with an approval: sorted, with the ones admin and write imply added. */
export function normalizeScopes(scopes: readonly string[]): string[] {
  const set = new Set(scopes);
  if (set.has("operator.admin")) set.add("operator.read").add("operator.write");
  if (set.has("operator.write")) set.add("operator.read");
  return [...set].sort();
}
