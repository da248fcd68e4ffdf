/**
 * Config reload while running (SIGHUP or an edit of the config file). Only a valid file changes
 * the running config: a file that is missing, unreadable or invalid keeps the last good config
 * (removing the file must never drop auth), and the problem is kept, with its start, for status.
 * Secrets, proxies, origins and log levels apply at once; a rotated secret revokes clients that
 * proved the old one. Other keys wait for a restart.
 */
import fs from "node:fs";
import path from "node:path";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { ConfigError, toOnebrainError } from "../shared/errors.ts";
import { isHotKey } from "../config/hot-keys.ts";

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
  const hot = keys.filter(isHotKey);
  return { hot, restart: keys.filter((k) => !hot.includes(k)) };
}

/** Why the running config is no longer the file's: shown by status and /api/status. */
export interface ConfigProblem {
  kind: "missing" | "unreadable" | "invalid";
  /** The error code (CONFIG_MISSING, CONFIG_UNREADABLE, CONFIG_INVALID, CONFIG_SYNTAX). */
  code: string;
  /** When the file stopped being usable (ISO time); kept while it stays unusable. */
  since: string;
  /** The error's message (config errors never show secrets). */
  message: string;
  /** One line for people: "config file missing since T; running on the last good config". */
  summary: string;
}

export interface ReloadHooks {
  current(): Readonly<Config>;
  /** True when the running config was read from the file (not the defaults of a missing file). */
  fromFile(): boolean;
  apply(next: Readonly<Config>, changed: { hot: string[]; restart: string[] }, fromFile: boolean): void;
  /** The file cannot be used; the running config stays. `problem.since` is kept across repeats. */
  onProblem(problem: ConfigProblem): void;
}

export type ReloadResult = { ok: true; hot: string[]; restart: string[] } | { ok: false; problem: ConfigProblem };

const KIND_WORDS: Record<ConfigProblem["kind"], string> = { missing: "missing", unreadable: "unreadable", invalid: "invalid" };

/** The problem a failed load becomes; `since` is the earlier start when the file was already unusable. */
export function configProblem(err: unknown, since: string): ConfigProblem {
  const e = toOnebrainError(err);
  const kind = e.code === "CONFIG_MISSING" ? "missing" : e.code === "CONFIG_UNREADABLE" ? "unreadable" : "invalid";
  return { kind, code: e.code, since, message: e.message, summary: `config file ${KIND_WORDS[kind]} since ${since}; running on the last good config` };
}

/**
 * Reloads once from `file`. A valid file is applied (changed keys classified); anything else keeps
 * the running config and is reported. A file that is gone while the running config came from it is
 * a problem, not a return to the defaults. `previous` is the problem in force, if any.
 */
export function reloadOnce(file: string, hooks: ReloadHooks, previous: ConfigProblem | null = null, now: () => Date = () => new Date()): ReloadResult {
  const since = previous?.since ?? now().toISOString();
  let next: Readonly<Config>;
  let exists: boolean;
  try {
    const loaded = loadConfig(file);
    if (!loaded.exists && hooks.fromFile()) {
      throw new ConfigError("CONFIG_MISSING", `Cannot find config ${file}: it was removed or moved while the gateway runs`, {
        details: { file },
        hint: "Put the file back (the running config is kept until a valid file is there); to go back to the defaults, write {} to it.",
      });
    }
    next = loaded.config;
    exists = loaded.exists;
  } catch (err) {
    const problem = configProblem(err, since);
    hooks.onProblem(problem);
    return { ok: false, problem };
  }
  const changed = classifyChanges(changedKeys(hooks.current(), next));
  if (changed.hot.length || changed.restart.length || exists !== hooks.fromFile()) hooks.apply(next, changed, exists);
  return { ok: true, ...changed };
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
