/**
 * The domain side of `onebrain config path|get|set|validate`: key paths checked against the
 * schema, values parsed from CLI text, and edits that validate the whole file before writing.
 * Secrets are masked in everything returned unless the caller asks to reveal them.
 */
import fs from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import JSON5 from "json5";
import type { BrainPaths, Env, PathSource } from "../paths/paths.ts";
import { ConfigError, OnebrainError } from "../shared/errors.ts";
import { writeFileAtomic } from "../shared/fs-atomic.ts";
import { isSecretKey, maskSecret, redactDeep } from "../shared/redact.ts";
import { clip, nearest } from "../shared/text.ts";
import { loadBrainConfig, parseConfigText, readConfigText, validateConfig, type LoadedConfig } from "./load.ts";
import { keysAt, kindAt, schemaAt } from "./schema-walk.ts";
import { effectiveValue, type Source } from "./effective.ts";
import { setInText, unsetInText } from "./json5-edit.ts";
import { MAX_CONFIG_DEPTH, tooDeep } from "./depth.ts";

export interface ConfigValue {
  key: string;
  /** The value in force; null when nothing sets it (never undefined). */
  value: unknown;
  /** Where it came from: env, file, profile or default (flags exist only for the gateway). */
  source: Source;
  /** The variable, file or rule behind the source ("ONEBRAIN_GATEWAY_PORT", "the gateway port + 2"). */
  from: string;
  /** False when no value is in force at all (no default, nothing set). */
  set: boolean;
  /** True when the key names a secret; `value` is then masked unless revealed. */
  secret: boolean;
}

export interface ConfigEdit {
  key: string;
  /** The value the file held before (not the default); masked for secrets. */
  previous: unknown;
  /** The value now in the file (undefined after an unset); masked for secrets. */
  value: unknown;
  /** Where the previous file was copied, or null when there was no file or nothing changed. */
  backup: string | null;
  /** True when this edit created the file. */
  created: boolean;
}

export type ValidateResult = { ok: true; file: string; exists: boolean } | { ok: false; file: string; error: OnebrainError };

// These would reach Object.prototype through a record key (browser.profiles.__proto__).
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);

/** Splits a dotted key and checks it against the schema; throws CONFIG_KEY_UNKNOWN with a suggestion. */
export function parseKeyPath(key: string): string[] {
  const segments = key.split(".");
  // Checked before the schema walk, which would look up every prefix of a path of any length.
  if (segments.length > MAX_CONFIG_DEPTH) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `Key path ${JSON.stringify(clip(key, 80))} has ${segments.length} segments; config keys are at most ${MAX_CONFIG_DEPTH} deep`,
      {
        details: { segments: segments.length, maxDepth: MAX_CONFIG_DEPTH },
        hint: "Keys are dotted paths such as gateway.port or gateway.auth.token.",
      },
    );
  }
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const here = segments.slice(0, i + 1);
    // List items are not addressable: a list is set whole, which keeps `set` free of index juggling.
    if (seg !== "" && !FORBIDDEN_SEGMENTS.has(seg) && kindAt(segments.slice(0, i)) !== "array" && schemaAt(here)) continue;
    throw unknownKey(key, segments, i);
  }
  return segments;
}

function unknownKey(key: string, segments: string[], at: number): ConfigError {
  const prefix = segments.slice(0, at);
  const valid = keysAt(prefix);
  const guess = nearest(segments[at] ?? "", valid);
  let suggestion: string | undefined;
  if (guess) {
    const fixed = [...prefix, guess, ...segments.slice(at + 1)];
    suggestion = fixed.every((_, i) => schemaAt(fixed.slice(0, i + 1))) ? fixed.join(".") : [...prefix, guess].join(".");
  }
  const parent = prefix.join(".");
  const kind = kindAt(prefix);
  const why = suggestion
    ? `did you mean "${suggestion}"?`
    : valid.length > 0
      ? `valid keys${parent ? ` under "${parent}"` : ""}: ${valid.join(", ")}`
      : kind === "array"
        ? `"${parent}" is a list: set it whole, e.g. '["a", "b"]'`
        : kind === "record"
          ? `entries of "${parent}" need a plain name, not ${JSON.stringify(segments[at] ?? "")}`
          : `"${parent}" holds a single value (${kind ?? "unknown"}) and has no keys`;
  return new ConfigError("CONFIG_KEY_UNKNOWN", `Cannot find ${JSON.stringify(clip(key))} in the config schema: ${why}`, {
    details: { key, ...(suggestion ? { suggestion } : {}) },
    hint: suggestion ? `Use "${suggestion}".` : "Keys are dotted paths such as gateway.port or gateway.auth.token.",
  });
}

function valueAt(root: unknown, segments: readonly string[]): unknown {
  let v: unknown = root;
  for (const seg of segments) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

function isSecretPath(segments: readonly string[]): boolean {
  return segments.some(isSecretKey);
}

/** Masks a value for display: a secret string by its ends, nested secrets inside objects. */
function shown(segments: readonly string[], value: unknown, reveal: boolean): unknown {
  if (reveal) return value;
  if (isSecretPath(segments) && typeof value === "string") return maskSecret(value);
  return redactDeep(value);
}

/** The value in force at a dotted key (env and profile included) and its source, masked if it is a secret. */
export function getConfigValue(
  loaded: LoadedConfig,
  key: string,
  options: { reveal?: boolean; env?: Env; profile?: string | undefined; stateDir?: string } = {},
): ConfigValue {
  const segments = parseKeyPath(key);
  const eff = effectiveValue(loaded.config, loaded.raw, segments, {
    env: options.env ?? process.env,
    profile: options.profile,
    stateDir: options.stateDir ?? path.dirname(loaded.path),
  });
  const set = eff.value !== undefined;
  return {
    key,
    value: set ? shown(segments, eff.value, options.reveal ?? false) : null,
    source: eff.source,
    from: eff.from,
    set,
    secret: isSecretPath(segments),
  };
}

/**
 * Turns CLI text into a value: JSON5 when it parses, else the raw text. String and enum keys keep
 * the raw text (so "0123" stays a string); a quoted JSON5 string is unquoted. "null" gives null,
 * which setConfigValue treats as unset; pass '"null"' for the literal string.
 */
export function parseCliValue(key: string, text: string): unknown {
  const segments = parseKeyPath(key);
  const kind = kindAt(segments);
  const room = MAX_CONFIG_DEPTH - segments.length;
  const deep = tooDeep(text, room);
  if (deep) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `The value for ${key} nests objects and arrays more than ${room} levels deep (column ${deep.column}); a config is at most ${MAX_CONFIG_DEPTH} levels deep`,
      { details: { key, maxDepth: MAX_CONFIG_DEPTH } },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text);
  } catch {
    return text;
  }
  if (parsed === null) return null;
  if (kind === "string" || kind === "enum") return typeof parsed === "string" ? parsed : text;
  return parsed;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

interface FileState {
  file: string;
  exists: boolean;
  raw: Record<string, unknown>;
  /** The file's text as read (undefined when there is no file). */
  text: string | undefined;
}

/** Reads the file's raw JSON5; the whole-file validation later reports a non-object root. */
function readRaw(file: string): FileState & { root: unknown } {
  const text = readConfigText(file);
  if (text === undefined) return { file, exists: false, raw: {}, root: {}, text };
  const root = parseConfigText(text, file);
  return { file, exists: true, raw: isPlainObject(root) ? root : {}, root, text };
}

/**
 * The new file text: the old text edited in place (comments, order and layout kept) when that
 * reads back as exactly `next`, else `next` written out whole (the .bak keeps the original).
 */
function newText(state: FileState, next: Record<string, unknown>, edit: (text: string) => string | null): string {
  if (state.text !== undefined && state.text.trim() !== "") {
    let edited: string | null = null;
    try {
      edited = edit(state.text);
    } catch {
      edited = null; // text the editor does not follow: the whole-file write below is still right
    }
    if (edited !== null && isDeepStrictEqual(parseConfigText(edited, state.file), next)) return edited;
  }
  return `${JSON.stringify(next, null, 2)}\n`;
}

/** Copies the file to `<file>.bak` via a temp file and rename, keeping its mode. */
function backupFile(file: string): string {
  const bak = `${file}.bak`;
  const tmp = path.join(path.dirname(bak), `.${path.basename(bak)}.${process.pid}.${Date.now()}.tmp`);
  // COPYFILE_EXCL plus rename means a symlink planted at the .bak path is replaced, never followed.
  fs.copyFileSync(file, tmp, fs.constants.COPYFILE_EXCL);
  fs.chmodSync(tmp, fs.statSync(file).mode & 0o777);
  fs.renameSync(tmp, bak);
  return bak;
}

/** Validates the edited object, then backs up and writes; nothing is touched if validation fails. */
function commit(state: FileState & { root: unknown }, next: Record<string, unknown>, text: string): string | null {
  if (!isPlainObject(state.root)) validateConfig(state.root, state.file); // never silently replace a non-object root
  validateConfig(next, state.file);
  let backup: string | null = null;
  let target = state.file;
  if (state.exists) {
    backup = backupFile(state.file);
    target = fs.realpathSync(state.file); // write through a symlinked config instead of replacing the link
  } else {
    fs.mkdirSync(path.dirname(state.file), { recursive: true, mode: 0o700 });
  }
  writeFileAtomic(target, text, { mode: 0o600 });
  return backup;
}

/**
 * Sets a dotted key in the config file, creating intermediate objects, after validating the
 * whole result (CONFIG_INVALID leaves the file untouched). The value is edited in place in the
 * text, so comments and layout stay; the `<file>.bak` copy keeps the original. A null value unsets.
 */
export function setConfigValue(file: string, key: string, value: unknown): ConfigEdit {
  if (value === null || value === undefined) return unsetConfigValue(file, key);
  const segments = parseKeyPath(key);
  const state = readRaw(file);
  const previous = valueAt(state.raw, segments);
  let node = state.raw;
  for (const seg of segments.slice(0, -1)) {
    // A non-object in the way was already invalid (the schema wants an object here), so replace it.
    if (!isPlainObject(node[seg])) node[seg] = {};
    node = node[seg] as Record<string, unknown>;
  }
  node[segments.at(-1)!] = value;
  const backup = commit(
    state,
    state.raw,
    newText(state, state.raw, (t) => setInText(t, segments, value)),
  );
  return { key, previous: shown(segments, previous, false), value: shown(segments, value, false), backup, created: !state.exists };
}

/** Removes a dotted key from the config file so its default applies; a no-op when it is not set. */
export function unsetConfigValue(file: string, key: string): ConfigEdit {
  const segments = parseKeyPath(key);
  const state = readRaw(file);
  const previous = valueAt(state.raw, segments);
  if (previous === undefined) return { key, previous: undefined, value: undefined, backup: null, created: false };
  const parent = valueAt(state.raw, segments.slice(0, -1)) as Record<string, unknown>;
  delete parent[segments.at(-1)!];
  const backup = commit(
    state,
    state.raw,
    newText(state, state.raw, (t) => unsetInText(t, segments)),
  );
  return { key, previous: shown(segments, previous, false), value: undefined, backup, created: false };
}

/** Loads and checks a brain's config file; config problems come back as a result, never thrown. */
export function validateConfigFile(paths: Pick<BrainPaths, "configPath" | "configPathFromEnv">): ValidateResult {
  const file = paths.configPath;
  try {
    return { ok: true, file, exists: loadBrainConfig(paths).exists };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, file, error: err };
    throw err;
  }
}

/** Where the config file is, why there, and whether it exists: for `onebrain config path`. */
export function configPathInfo(paths: BrainPaths): { path: string; source: PathSource; exists: boolean } {
  return { path: paths.configPath, source: paths.configPathSource, exists: fs.existsSync(paths.configPath) };
}
