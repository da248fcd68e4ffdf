/**
 * Merging another brain's config file into this one's: keys this file lacks are added, keys it
 * has are kept (replaced only with --force), and keys tied to where a brain lives (ports, paths
 * into the old state dir) are never carried over. Works on the raw files (before defaults), so
 * a default is never written out as if someone had chosen it. Values never appear in the plan:
 * it names keys only, since some of them are secrets.
 */
import path from "node:path";
import { isDeepStrictEqual } from "node:util";

/** One key left alone, and why. */
export interface SkippedKey {
  key: string;
  reason: string;
}

/** What merging would do, key by key. */
export interface ConfigMergePlan {
  /** This file's raw object with the other's keys merged in (a new object; the inputs are not changed). */
  merged: Record<string, unknown>;
  /** Keys added (a whole subtree is named once, by its root). */
  added: string[];
  /** Keys whose value was replaced by the other's (only with force). */
  replaced: string[];
  skipped: SkippedKey[];
  /** Top-level sections that differ from this file: what a write has to touch. */
  sections: string[];
}

export interface MergeOptions {
  /** Replace values this file already has. */
  force: boolean;
  /** The other brain's state dir: a path value inside it would point at a dir about to be archived. */
  otherStateDir: string;
  /** Carry ports and paths over as they are: an import from another gateway (OpenClaw), whose ports and paths the user keeps. */
  keepLocation?: boolean;
}

// Ports belong to where a brain runs (its profile, its host), not to its history.
const LOCATION_KEYS: ReadonlyArray<RegExp> = [/^gateway\.port$/, /^browser\.controlPort$/, /^canvasHost\.port$/, /^browser\.profiles\.[^.]+\.cdpPort$/];

// Sections whose keys only make sense together: merging key by key could, say, add the other
// brain's `auth.mode: "none"` beside this brain's token, or a stored key beside a key variable.
const UNIT_KEYS: ReadonlyArray<RegExp> = [/^gateway\.auth$/, /^models\.providers\.[^.]+$/];

// Keys whose string value is a filesystem path (relative ones are relative to the state dir).
const PATH_KEYS: ReadonlyArray<RegExp> = [/^agents\.defaults\.workspace$/, /^logging\.file$/];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function insideDir(p: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(dir, p));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Why a key of the other file must not be carried over, or null when it may be. */
function locationBound(key: string, value: unknown, otherStateDir: string): string | null {
  if (LOCATION_KEYS.some((re) => re.test(key))) return "ports belong to where a brain runs: this brain keeps its own port plan";
  if (PATH_KEYS.some((re) => re.test(key)) && typeof value === "string" && path.isAbsolute(value) && insideDir(value, otherStateDir)) {
    return key === "agents.defaults.workspace"
      ? "points into the old state dir: its files are copied into this brain's workspace instead"
      : "points into the old state dir, which is to be archived";
  }
  return null;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Plans the merge of `theirs` into `mine` (both raw config objects). */
export function planConfigMerge(mine: Record<string, unknown>, theirs: Record<string, unknown>, opts: MergeOptions): ConfigMergePlan {
  const merged = clone(mine);
  const plan: ConfigMergePlan = { merged, added: [], replaced: [], skipped: [], sections: [] };

  const walk = (into: Record<string, unknown>, from: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(from)) {
      const key = prefix ? `${prefix}.${name}` : name;
      const bound = opts.keepLocation ? null : locationBound(key, value, opts.otherStateDir);
      if (bound) {
        plan.skipped.push({ key, reason: bound });
        continue;
      }
      const here = Object.hasOwn(into, name) ? into[name] : undefined;
      if (here === undefined) {
        // A subtree may still hold location-bound keys (a browser profile's cdpPort): walk it.
        if (isPlainObject(value)) {
          const fresh: Record<string, unknown> = {};
          const addedBefore = plan.added.length;
          const skippedBefore = plan.skipped.length;
          walk(fresh, value, key);
          if (Object.keys(fresh).length === 0) continue;
          into[name] = fresh;
          // Nothing inside was left out: name the subtree once instead of each of its keys.
          if (plan.skipped.length === skippedBefore) plan.added.splice(addedBefore, Infinity, key);
        } else {
          into[name] = clone(value);
          plan.added.push(key);
        }
        continue;
      }
      if (UNIT_KEYS.some((re) => re.test(key))) {
        if (isDeepStrictEqual(here, value)) continue;
        if (opts.force) {
          into[name] = clone(value);
          plan.replaced.push(key);
        } else {
          plan.skipped.push({ key, reason: "this brain has its own, kept whole (its keys belong together; --force replaces it)" });
        }
        continue;
      }
      if (isPlainObject(here) && isPlainObject(value)) {
        walk(here, value, key);
        continue;
      }
      if (isDeepStrictEqual(here, value)) continue;
      if (opts.force) {
        into[name] = clone(value);
        plan.replaced.push(key);
      } else {
        plan.skipped.push({ key, reason: "this brain has its own value (--force replaces it)" });
      }
    }
  };
  walk(merged, theirs, "");
  plan.sections = Object.keys(merged).filter((k) => !isDeepStrictEqual(merged[k], mine[k]));
  return plan;
}
