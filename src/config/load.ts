/**
 * Reads, parses and validates the config file once, into a deep-frozen object.
 * A missing file means defaults. Every failure is a ConfigError naming the file, the key path,
 * what was found and what is expected; nothing half-loads.
 */
import fs from "node:fs";
import JSON5 from "json5";
import type { BrainPaths } from "../paths/paths.ts";
import { ConfigError } from "../shared/errors.ts";
import { nearest, showValue } from "../shared/text.ts";
import { configSchema, type Config } from "./schema.ts";
import { describeHidden } from "../shared/redact.ts";
import { expectedAt, holdsSecret, keysAt } from "./schema-walk.ts";

export interface LoadedConfig {
  path: string;
  /** False when the file does not exist and defaults are in force. */
  exists: boolean;
  /** The file's parsed JSON5, before defaults (undefined when the file is missing). */
  raw: unknown;
  config: Readonly<Config>;
}

export interface ConfigProblem {
  path: string;
  message: string;
}

/** Freezes an object graph so that nothing can change config after start. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** What was found, as an error may show it: never the content of a value that may be a secret. */
function shownFound(path: readonly PropertyKey[], found: unknown): string {
  const harmless = found === null || found === undefined || typeof found === "boolean";
  return !harmless && holdsSecret(path.map(String)) ? `${describeHidden(found)} (value not shown: it may hold a secret)` : showValue(found);
}

/** Turns schema issues into one line each: `gateway.port: expected an integer 1-65535, got "abc"`. */
export function describeIssues(raw: unknown, issues: readonly { code: string; path: PropertyKey[]; message: string; keys?: string[] }[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const at = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys" && issue.keys) {
      const valid = keysAt(issue.path.map(String));
      for (const key of issue.keys) {
        const keyPath = at ? `${at}.${key}` : key;
        const guess = nearest(key, valid);
        const suggestion = guess ? `did you mean "${at ? `${at}.${guess}` : guess}"?` : `valid keys here: ${valid.join(", ")}`;
        problems.push({ path: keyPath, message: `unknown key (${suggestion})` });
      }
      continue;
    }
    const found = valueAt(raw, issue.path);
    // zod's own messages ("Invalid input") say nothing useful: the schema says what is expected.
    const expected = issue.message.startsWith("expected") ? issue.message : `expected ${expectedAt(issue.path as (string | number)[])}`;
    problems.push({ path: at || "(root)", message: `${expected}, got ${shownFound(issue.path, found)}` });
  }
  return problems;
}

/** Validates an already-parsed object; throws CONFIG_INVALID listing every problem. */
export function validateConfig(raw: unknown, file: string): Readonly<Config> {
  // A file that is just `null` is an error like any other non-object, not "use the defaults".
  const result = configSchema.safeParse(raw === undefined ? {} : raw);
  if (!result.success) {
    const problems = describeIssues(raw, result.error.issues as never);
    const lines = problems.map((p) => `  ${p.path}: ${p.message}`).join("\n");
    throw new ConfigError("CONFIG_INVALID", `Invalid config in ${file}:\n${lines}`, {
      details: { file, problems },
      hint: `Fix the key(s) above, then check with \`onebrain config validate\`.`,
    });
  }
  return deepFreeze(result.data);
}

/**
 * JSON5.parse, by the native JSON parser when the text is plain JSON (JSON5 is a superset: the
 * same value). JSON5's lexer runs in JavaScript, a call per character: a few configs read by the
 * gateway's start-up check were enough for V8 to optimise it, and its compilers' pages stayed in RSS.
 */
export function parseJson5(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return JSON5.parse(text);
  }
}

/** Parses JSON5 text; a syntax error names the file, line and column. */
export function parseConfigText(text: string, file: string): unknown {
  try {
    return text.trim() === "" ? {} : parseJson5(text);
  } catch (err) {
    const e = err as { lineNumber?: number; columnNumber?: number; message: string };
    const where = e.lineNumber ? `line ${e.lineNumber}, column ${e.columnNumber}` : "unknown position";
    const reason = e.message.replace(/^JSON5: /, "").replace(/ at \d+:\d+$/, "");
    throw new ConfigError("CONFIG_SYNTAX", `Cannot parse ${file} at ${where}: ${reason}`, {
      details: { file, line: e.lineNumber, column: e.columnNumber },
      hint: "The file is JSON5: comments and trailing commas are fine, but quotes and brackets must match.",
    });
  }
}

/** Reads the file's text; undefined when it does not exist. */
export function readConfigText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new ConfigError("CONFIG_UNREADABLE", `Cannot read config ${file}: ${code ?? (err as Error).message}`, {
      details: { file, errno: code },
      hint: code === "EACCES" ? "Run as the user that owns the state dir, or fix the file's permissions (0600)." : "Check that the path is a readable file.",
    });
  }
}

/** Loads the config at `file`: defaults if missing, else parse + validate + freeze. */
export function loadConfig(file: string): LoadedConfig {
  const text = readConfigText(file);
  if (text === undefined) return { path: file, exists: false, raw: undefined, config: validateConfig({}, file) };
  const raw = parseConfigText(text, file);
  return { path: file, exists: true, raw, config: validateConfig(raw, file) };
}

/**
 * Loads a brain's config. A file named by ONEBRAIN_CONFIG_PATH that does not exist is an error
 * (CONFIG_MISSING), not the defaults: a typo in the variable must not silently drop the auth.
 */
export function loadBrainConfig(paths: Pick<BrainPaths, "configPath" | "configPathFromEnv">): LoadedConfig {
  const loaded = loadConfig(paths.configPath);
  if (!loaded.exists && paths.configPathFromEnv) throw missingFromEnv(paths.configPath);
  return loaded;
}

/** CONFIG_MISSING for ONEBRAIN_CONFIG_PATH naming a file that is not there, with the ways out. */
export function missingFromEnv(file: string): ConfigError {
  return new ConfigError("CONFIG_MISSING", `Cannot find config ${file} named by ONEBRAIN_CONFIG_PATH`, {
    details: { file, variable: "ONEBRAIN_CONFIG_PATH" },
    hint: "Fix the path, create the file (`onebrain setup` or `onebrain config set KEY VALUE` writes it), or unset ONEBRAIN_CONFIG_PATH to use <stateDir>/onebrain.json.",
  });
}
