/**
 * Reads, parses and validates the config file once, into a deep-frozen object.
 * A missing file means defaults. Every failure is a ConfigError naming the file, the key path,
 * what was found and what is expected; nothing half-loads.
 */
import { parseJson5 } from "./json5-text.ts";
import fs from "node:fs";
import type { BrainPaths } from "../paths/paths.ts";
import { ConfigError } from "../shared/errors.ts";
import { nearest, showValue } from "../shared/text.ts";
import { configSchema, type Config } from "./schema.ts";
import { describeHidden } from "../shared/redact.ts";
import { expectedAt, holdsSecret, keysAt } from "./schema-walk.ts";
import { MAX_CONFIG_DEPTH, tooDeep } from "./depth.ts";

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

export { parseJson5 };

/** Parses JSON5 text; a syntax error names the file, line and column, and so does nesting deeper than any config needs. */
export function parseConfigText(text: string, file: string): unknown {
  const deep = tooDeep(text, MAX_CONFIG_DEPTH);
  if (deep) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `Invalid config in ${file}: it nests objects and arrays more than ${MAX_CONFIG_DEPTH} levels deep (line ${deep.line}, column ${deep.column}); a config needs only a few`,
      { details: { file, line: deep.line, column: deep.column, maxDepth: MAX_CONFIG_DEPTH }, hint: "Fix the file: its keys are listed in docs/config.md." },
    );
  }
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

/** The largest config file read: a config is a few KiB, so more is a mistake, not a config. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** What a file that is not a regular file is, in words. */
function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  if (st.isDirectory()) return "a directory";
  return "not a file";
}

function unreadable(file: string, what: string, details: Record<string, unknown>, hint = "Point the config at a regular file of at most 4 MiB."): ConfigError {
  return new ConfigError("CONFIG_UNREADABLE", `Cannot read config ${file}: ${what}`, { details: { file, ...details }, hint });
}

/**
 * Reads the file's text; undefined when it does not exist. Opened non-blocking and checked with
 * fstat before a byte is read: a FIFO would block the open (and the whole process) until a writer
 * comes, a device such as /dev/zero never ends, and a huge file would fill memory. The read stops
 * one byte past the limit, so a file that grows after the check is refused too.
 */
export function readConfigText(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw unreadable(
      file,
      code ?? (err as Error).message,
      { errno: code },
      code === "EACCES" ? "Run as the user that owns the state dir, or fix the file's permissions (0600)." : "Check that the path is a readable file.",
    );
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw unreadable(file, "it is a directory (EISDIR), not a regular file", { errno: "EISDIR" });
    if (!st.isFile()) throw unreadable(file, `it is ${kindOf(st)}, not a regular file`, { kind: kindOf(st) });
    const tooBig = (size: number) =>
      unreadable(file, `it is ${(size / 1024 / 1024).toFixed(1)} MiB; a config file may be at most ${MAX_CONFIG_BYTES / 1024 / 1024} MiB`, { size });
    if (st.size > MAX_CONFIG_BYTES) throw tooBig(st.size);
    // Sized by fstat plus one byte, grown only if the file grew meanwhile: a config is a few KiB,
    // and every command and every reload reads it.
    let buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n <= MAX_CONFIG_BYTES; n += got) {
      if (n === buf.length) buf = Buffer.concat([buf], Math.min(buf.length * 2, MAX_CONFIG_BYTES + 1));
      got = readSome(fd, buf, n, file);
    }
    if (n > MAX_CONFIG_BYTES) throw tooBig(n);
    return buf.toString("utf8", 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function readSome(fd: number, buf: Buffer, at: number, file: string): number {
  try {
    return fs.readSync(fd, buf, at, buf.length - at, null);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw unreadable(file, code ?? (err as Error).message, { errno: code }, "Check that the path is a readable file.");
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
