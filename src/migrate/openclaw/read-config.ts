/**
 * OpenClaw's config file: JSON5 (comments, trailing commas), with `$include` directives that
 * pull in other files of the config's dir. Read with onebrain's own careful reader (no FIFO
 * hangs, at most 4 MiB, nesting bounded), never validated against onebrain's schema: the mapping
 * takes what it understands. A broken file is a reason, not a crash: the import goes on without
 * the config and says so.
 */
import path from "node:path";
import { parseConfigText, readConfigText } from "../../config/load.ts";
import { asObject } from "./snapshot.ts";

export interface ConfigRead {
  config: Record<string, unknown> | null;
  problem: string | null;
  /** `$include` files that were not followed, with why. */
  includesLeft: string[];
}

const MAX_INCLUDE_DEPTH = 8;

function readOne(file: string): unknown {
  const text = readConfigText(file);
  if (text === undefined) throw new Error(`${file} does not exist`);
  return parseConfigText(text, file);
}

function inside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

/** Replaces `{ $include: "x.json5", ...rest }` objects by the included file's object with `rest` over it. */
function resolveIncludes(value: unknown, from: string, root: string, depth: number, left: string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIncludes(v, from, root, depth, left));
  const o = asObject(value);
  if (!o) return value;
  const out: Record<string, unknown> = {};
  const inc = o.$include;
  if (inc !== undefined) {
    for (const name of Array.isArray(inc) ? inc : [inc]) {
      if (typeof name !== "string") continue;
      const file = path.resolve(path.dirname(from), name);
      if (!inside(file, root)) {
        left.push(`${name}: outside the config's dir`);
        continue;
      }
      if (depth >= MAX_INCLUDE_DEPTH) {
        left.push(`${name}: includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
        continue;
      }
      try {
        const got = asObject(resolveIncludes(readOne(file), file, root, depth + 1, left));
        if (got) Object.assign(out, got);
        else left.push(`${name}: not an object`);
      } catch (err) {
        left.push(`${name}: ${(err as Error).message}`);
      }
    }
  }
  for (const [k, v] of Object.entries(o)) if (k !== "$include") out[k] = resolveIncludes(v, from, root, depth, left);
  return out;
}

/** Reads and parses the config (null file: no config). */
export function readOpenclawConfig(file: string | null): ConfigRead {
  if (!file) return { config: null, problem: null, includesLeft: [] };
  const includesLeft: string[] = [];
  try {
    const raw = readOne(file);
    const config = asObject(resolveIncludes(raw, file, path.dirname(file), 0, includesLeft));
    if (!config) return { config: null, problem: `${file} is not a JSON5 object`, includesLeft };
    return { config, problem: null, includesLeft };
  } catch (err) {
    return { config: null, problem: (err as Error).message, includesLeft };
  }
}
