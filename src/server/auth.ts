/**
 * Gateway auth: which secret is in force, timing-safe checks, and a per-address limiter for
 * failed attempts. Secrets come from env (ONEBRAIN_GATEWAY_TOKEN / _PASSWORD) or config.
 */
import crypto from "node:crypto";
import { OnebrainError } from "../shared/errors.ts";
import { authSources, type GatewayFlags, type Source, type Sourced } from "../config/effective.ts";
import type { Config } from "../config/schema.ts";
import type { Env } from "../paths/paths.ts";
import type { BindPlan } from "./bind.ts";

export interface AuthSettings {
  mode: "none" | "token" | "password";
  token: string | undefined;
  password: string | undefined;
  /** Where each secret came from (the wire keeps "config" for the file). */
  tokenSource: "flag" | "env" | "config" | null;
  passwordSource: "flag" | "env" | "config" | null;
  /** Where the mode came from: a flag, the file, or inferred from a secret's source. */
  modeSource: Source;
  /** The flag, variable or file behind modeSource. */
  modeFrom: string;
}

function wireSource(s: Sourced<string | undefined>): AuthSettings["tokenSource"] {
  if (s.value === undefined) return null;
  return s.source === "file" ? "config" : s.source === "flag" ? "flag" : "env";
}

/** The auth in force (src/config/effective.ts): flags > env > config for each secret; the mode explicit or inferred. */
export function resolveAuth(auth: Config["gateway"]["auth"], env: Env = process.env, flags: GatewayFlags = {}): AuthSettings {
  const s = authSources(auth, env, flags);
  return {
    mode: s.mode.value,
    token: s.token.value,
    password: s.password.value,
    tokenSource: wireSource(s.token),
    passwordSource: wireSource(s.password),
    modeSource: s.mode.source,
    modeFrom: s.mode.from,
  };
}

/** Refuses a bind that would expose the gateway off loopback without a usable secret. */
export function assertSafeBind(plan: BindPlan, auth: AuthSettings, port: number): void {
  const secretMissing = auth.mode === "none" || (auth.mode === "token" && !auth.token) || (auth.mode === "password" && !auth.password);
  if (auth.mode === "token" && !auth.token) {
    throw new OnebrainError("INSECURE_BIND", "gateway.auth.mode is token but no token is set", {
      hint: "Set ONEBRAIN_GATEWAY_TOKEN or gateway.auth.token (`onebrain setup` generates one), or pass --token.",
    });
  }
  if (auth.mode === "password" && !auth.password) {
    throw new OnebrainError("INSECURE_BIND", "gateway.auth.mode is password but no password is set", {
      hint: "Set ONEBRAIN_GATEWAY_PASSWORD or gateway.auth.password, or pass --password.",
    });
  }
  if (!plan.loopbackOnly && secretMissing) {
    const host = plan.hosts[0] ?? "?";
    throw new OnebrainError("INSECURE_BIND", `refusing to bind gateway to ${host}:${port} without auth (set gateway.auth.token or ONEBRAIN_GATEWAY_TOKEN)`, {
      details: { bind: plan.mode, host, port },
      hint: "Run `onebrain setup` to generate a token, or keep gateway.bind at loopback.",
    });
  }
}

function digest(s: string): Buffer {
  return crypto.createHash("sha256").update(s, "utf8").digest();
}

/** Compares a presented secret with the expected one in constant time (hashing first hides the length). */
export function secretMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  return crypto.timingSafeEqual(digest(presented), digest(expected));
}

/** Checks credentials against the settings: token mode wants the token, password mode the password. */
export function checkCredentials(auth: AuthSettings, creds: { token?: string | undefined; password?: string | undefined }): "ok" | "missing" | "wrong" {
  if (auth.mode === "none") return "ok";
  const presented = auth.mode === "token" ? creds.token : creds.password;
  if (!presented) return "missing";
  return secretMatches(presented, auth.mode === "token" ? auth.token : auth.password) ? "ok" : "wrong";
}

/** A fingerprint of the secret in force, to notice rotation without keeping old secrets around. */
export function secretFingerprint(auth: AuthSettings): string {
  const s = auth.mode === "token" ? auth.token : auth.mode === "password" ? auth.password : "";
  return digest(`${auth.mode}:${s ?? ""}`)
    .toString("hex")
    .slice(0, 16);
}

/**
 * Counts failed auth attempts per remote address in a sliding one-minute window. Bounded: at
 * most `maxAddresses` entries, the oldest dropped first, so a flood of addresses cannot grow memory.
 */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();
  /** Failures allowed per window; a config reload may change it. */
  limit: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(opts: { limit: number; windowMs?: number; maxAddresses?: number; now?: () => number }) {
    this.limit = opts.limit;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxAddresses = opts.maxAddresses ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  private recent(address: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.failures.get(address) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(address, list);
    else this.failures.delete(address);
    return list;
  }

  /** Milliseconds until this address may try again, or 0 if it may try now. */
  retryAfterMs(address: string): number {
    const list = this.recent(address);
    if (list.length < this.limit) return 0;
    return Math.max(1, list[list.length - this.limit]! + this.windowMs - this.now());
  }

  /** Records one failed attempt. */
  fail(address: string): void {
    const list = this.recent(address);
    list.push(this.now());
    this.failures.delete(address); // re-insert to keep Map order = recency
    this.failures.set(address, list.slice(-this.limit));
    while (this.failures.size > this.maxAddresses) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  /** Forgets an address after a successful auth. */
  succeed(address: string): void {
    this.failures.delete(address);
  }

  get size(): number {
    return this.failures.size;
  }
}
