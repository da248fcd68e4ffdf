/** How commands print: text for people, one JSON document with `--json`, errors with their code and next step. */
import { errorCatalog, toOnebrainError } from "../shared/errors.ts";
export { formatDuration } from "../shared/duration.ts";

export { describeSource } from "../config/effective.ts";

/** Prints a JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The profile in use (flag or ONEBRAIN_PROFILE), which every `next:` command must carry. */
let hintProfile: string | undefined;

/** Set once per process by main.ts, before the command runs. */
export function setHintProfile(profile: string | undefined): void {
  hintProfile = profile;
}

/**
 * A next step with `--profile NAME` added to each `onebrain <command>` in it, so that copying it
 * acts on the same brain (without it, the default brain would be touched).
 */
export function withProfile(text: string, profile: string | undefined = hintProfile): string {
  if (!profile) return text;
  return text.replace(/(^|[\s`'"(])onebrain (?!--profile )(?=[a-z])/g, `$1onebrain --profile ${profile} `);
}

/** Prints lines on stdout; `next:` lines name the profile in use. */
export function printLines(lines: readonly string[]): void {
  process.stdout.write(`${lines.map((l) => (l.trimStart().startsWith("next:") ? withProfile(l) : l)).join("\n")}\n`);
}

/** Reports a failure: JSON on stdout with --json, else `onebrain: message` + `next:` hint on stderr. Sets the exit code. */
export function reportError(err: unknown, json: boolean): void {
  const e = toOnebrainError(err);
  const hint = e.hint === undefined ? undefined : withProfile(e.hint);
  if (json) {
    printJson({ ok: false, error: { ...e.toJSON(), ...(hint ? { hint } : {}), exitCode: e.exitCode } });
  } else {
    const lines = [`onebrain: ${e.message}`];
    if (hint) lines.push(`  next: ${hint}`);
    if (e.code === "INTERNAL" && e.stack) lines.push(e.stack);
    process.stderr.write(`${lines.join("\n")}\n`);
  }
  process.exitCode = errorCatalog[e.code].exitCode;
}

/** Aligns `label  value` rows. */
export function rows(pairs: ReadonlyArray<readonly [string, string]>, indent = "  "): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`);
}

/** Bytes as `12.3 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
