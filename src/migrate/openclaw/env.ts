/**
 * Where OpenClaw's secrets came from. A config string may be `${VAR}` (or `$VAR`, or a SecretRef
 * `{source: "env", id: "VAR"}`), filled at run time from the process environment, the state dir's
 * `.env` or the config's `env` block. The import keeps such a secret out of onebrain's file: it
 * names the variable, and tells the user to set it for onebrain (onebrain reads no `.env`).
 */
import fs from "node:fs";
import path from "node:path";
import type { Env } from "../../paths/paths.ts";

/** The variables OpenClaw would have had besides the process environment, and where each came from. */
export interface EnvSources {
  /** Name -> where it is set ("<dir>/.env", "the config's env block"); values are never kept. */
  origin: Map<string, string>;
  /** Name -> value, from the state dir's .env and the config's env block: only to recognise a bot token's account. */
  values: Map<string, string>;
}

/** `KEY=VALUE` lines (optional `export`, quotes, comments), as dotenv reads them. */
export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (!m) continue;
    let v = m[2]!.trim();
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, "");
    out.set(m[1]!, v);
  }
  return out;
}

/** The `.env` of the state dir and the config's `env` block (`env.vars` and, in Clawdbot, string keys of `env`). */
export function envSources(dir: string, config: Record<string, unknown> | null): EnvSources {
  const origin = new Map<string, string>();
  const values = new Map<string, string>();
  const file = path.join(dir, ".env");
  try {
    if (fs.statSync(file).isFile() && fs.statSync(file).size <= 1024 * 1024) {
      for (const [k, v] of parseDotenv(fs.readFileSync(file, "utf8"))) {
        origin.set(k, file);
        values.set(k, v);
      }
    }
  } catch {
    // no .env
  }
  const block = config?.env;
  if (block && typeof block === "object" && !Array.isArray(block)) {
    const e = block as Record<string, unknown>;
    const vars = e.vars && typeof e.vars === "object" ? (e.vars as Record<string, unknown>) : {};
    const loose = Object.fromEntries(Object.entries(e).filter(([k, v]) => typeof v === "string" && /^[A-Z_][A-Z0-9_]*$/.test(k)));
    for (const [k, v] of Object.entries({ ...loose, ...vars })) {
      if (typeof v !== "string" || origin.has(k)) continue;
      origin.set(k, "the config's env block");
      values.set(k, v);
    }
  }
  return { origin, values };
}

/**
 * A token file's content as the gateways read it: a regular file of at most 4 KiB, trimmed; null
 * otherwise. At most 4 KiB + 1 is read, whatever the file claims (a /proc file says size 0).
 */
export function readTokenFile(p: string): string | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > 4096) return null;
    const buf = Buffer.alloc(4097);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return n > 4096 ? null : buf.subarray(0, n).toString("utf8").trim() || null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The variable a secret value refers to (`${VAR}`, `$VAR`, `{source:"env", id}`), or null for a literal. */
export function envRef(value: unknown): string | null {
  if (typeof value === "string") {
    const m = /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(value.trim()) ?? /^\$([A-Z_][A-Z0-9_]*)$/.exec(value.trim());
    return m ? m[1]! : null;
  }
  if (value && typeof value === "object" && (value as { source?: unknown }).source === "env") {
    const id = (value as { id?: unknown }).id;
    return typeof id === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(id) ? id : null;
  }
  return null;
}

/** A secret that is neither a literal nor an env reference (a file/exec/store SecretRef), in words; null otherwise. */
export function otherSecretRef(value: unknown): string | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const source = (value as { source?: unknown }).source;
  return typeof source === "string" && source !== "env" ? `a SecretRef with source "${source}"` : null;
}

/** True for a string that still holds `${...}` after the whole-value forms were recognised (partly templated). */
export function hasTemplate(value: string): boolean {
  return /\$\{[A-Z_][A-Z0-9_]*\}/.test(value);
}

/** Where a variable came from, in words, for "set VAR for onebrain" hints. */
export function originOf(name: string, sources: EnvSources, env: Env): string {
  if (sources.origin.has(name)) return `OpenClaw read it from ${sources.origin.get(name)}`;
  if (env[name] !== undefined) return "it is set in this shell";
  return "it is not set here either";
}

/** The value of a variable as OpenClaw would have seen it (process env first), for account ids only. */
export function valueOf(name: string, sources: EnvSources, env: Env): string | undefined {
  return env[name] ?? sources.values.get(name);
}
