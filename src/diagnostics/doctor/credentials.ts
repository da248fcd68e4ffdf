/**
 * Channel credentials as fingerprints: two brains answering the same bot (one Telegram token in
 * two configs) fight over its updates and answer twice. Only a sha256 prefix is ever kept or
 * shown, never the token. Reads raw configs (JSON5), so it works on OpenClaw's configs and on
 * any future `channels` section of ours before the schema knows it.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { parseJson5 } from "../../config/load.ts";
import { envRef } from "../../migrate/openclaw/env.ts";
import { isSecretKey } from "../../shared/redact.ts";

export interface CredentialFingerprint {
  /** Key path inside the config: `channels.telegram.botToken`. */
  path: string;
  /** First 12 hex digits of sha256(value). */
  fingerprint: string;
}

/** A short, one-way fingerprint of a secret. */
export function fingerprint(secret: string): string {
  return crypto.createHash("sha256").update(secret, "utf8").digest("hex").slice(0, 12);
}

/**
 * Where a secret that is not written out comes from: a variable (`${VAR}`, `$VAR`, OpenClaw's
 * SecretRef `{source: "env", id}`) and a token file (`tokenFile`). Unresolved, such a value is
 * skipped: two configs both saying `${TELEGRAM_BOT_TOKEN}` share a bot only if the values agree.
 */
export interface SecretSources {
  env(name: string): string | undefined;
  /** A token file's trimmed content (a regular file of at most 4 KiB), or null. */
  file(p: string): string | null;
}

const NO_SOURCES: SecretSources = { env: () => undefined, file: () => null };

/** The value a secret-named entry stands for: itself, its variable's value, or its file's content. */
function secretValue(key: string, v: unknown, src: SecretSources): string | null {
  const ref = envRef(v);
  if (ref) return src.env(ref) ?? null;
  if (typeof v !== "string") return null;
  if (/file$/i.test(key)) return src.file(v);
  // Short values are placeholders or references (`"env:TG_TOKEN"` would still count), not tokens.
  return v.length >= 8 ? v : null;
}

/**
 * The channel credentials of a raw config: secret-named values under `channels` (a channel or
 * account with `enabled: false` left out), resolved through `src` and fingerprinted.
 */
export function credentialFingerprints(raw: unknown, src: SecretSources = NO_SOURCES): CredentialFingerprint[] {
  const out: CredentialFingerprint[] = [];
  const walk = (v: unknown, at: string, depth: number) => {
    if (depth > 8 || v === null || typeof v !== "object" || (v as { enabled?: unknown }).enabled === false) return;
    for (const [k, child] of Object.entries(v)) {
      const p = Array.isArray(v) ? `${at}[${k}]` : `${at}.${k}`;
      const value = isSecretKey(k) ? secretValue(k, child, src) : null;
      if (value) out.push({ path: p, fingerprint: fingerprint(value) });
      else if (!isSecretKey(k) || envRef(child) === null) walk(child, p, depth + 1);
    }
  };
  if (raw && typeof raw === "object" && "channels" in raw) walk((raw as { channels: unknown }).channels, "channels", 0);
  return out;
}

/** Reads a config file as JSON5 without validating it; undefined when missing, unreadable or not JSON5. */
export function readRawConfig(file: string | null): unknown {
  if (!file) return undefined;
  try {
    return parseJson5(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** True when a raw config holds any secret-named string value (a token, password or API key). */
export function holdsSecrets(raw: unknown, depth = 0): boolean {
  if (depth > 8 || raw === null || typeof raw !== "object") return false;
  return Object.entries(raw).some(([k, v]) => (typeof v === "string" && isSecretKey(k) && v.length > 0) || holdsSecrets(v, depth + 1));
}
