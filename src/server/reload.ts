/**
 * Config reload while running (SIGHUP or an edit of the config file). A bad file is logged and
 * ignored: the running config stays. Secrets, proxies, origins and log levels apply at once;
 * a rotated secret revokes clients that proved the old one. Other keys wait for a restart.
 */
import fs from "node:fs";
import path from "node:path";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";

/** Keys that take effect without a restart. */
const HOT_PREFIXES = [
  "gateway.auth",
  "gateway.trustedProxies",
  "gateway.allowedOrigins",
  "gateway.allowedHosts",
  "gateway.authFailuresPerMinute",
  "logging.level",
  "logging.consoleLevel",
  // The Telegram channel reads these at each message, poll or delivery (not the token, apiRoot or enabled).
  "channels.telegram.dmPolicy",
  "channels.telegram.allowFrom",
  "channels.telegram.groups",
  "channels.telegram.pollTimeoutSeconds",
  "channels.telegram.textChunkLimit",
];

function flatten(value: unknown, prefix = "", out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = JSON.stringify(value);
  return out;
}

/** The dotted keys whose values differ between two configs. */
export function changedKeys(a: Readonly<Config>, b: Readonly<Config>): string[] {
  const fa = flatten(a);
  const fb = flatten(b);
  return [...new Set([...Object.keys(fa), ...Object.keys(fb)])].filter((k) => fa[k] !== fb[k]).sort();
}

/** Splits changed keys into those applied now and those needing a restart. */
export function classifyChanges(keys: readonly string[]): { hot: string[]; restart: string[] } {
  const hot = keys.filter((k) => HOT_PREFIXES.some((p) => k === p || k.startsWith(`${p}.`)));
  return { hot, restart: keys.filter((k) => !hot.includes(k)) };
}

export interface ReloadHooks {
  current(): Readonly<Config>;
  apply(next: Readonly<Config>, changed: { hot: string[]; restart: string[] }): void;
  onError(err: unknown): void;
}

/** Reloads once from `file`; returns what changed, or null when the file was bad. */
export function reloadOnce(file: string, hooks: ReloadHooks): { hot: string[]; restart: string[] } | null {
  let next: Readonly<Config>;
  try {
    next = loadConfig(file).config;
  } catch (err) {
    hooks.onError(err);
    return null;
  }
  const changed = classifyChanges(changedKeys(hooks.current(), next));
  if (changed.hot.length || changed.restart.length) hooks.apply(next, changed);
  return changed;
}

/** Watches the config file's directory (atomic writes replace the file, so watching the file alone misses them). */
export function watchConfig(file: string, onChange: () => void, debounceMs = 150): () => void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let timer: NodeJS.Timeout | undefined;
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
      if (name !== base) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
    watcher.on("error", () => watcher?.close());
  } catch {
    // Directory missing or not watchable: SIGHUP still reloads.
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
