/** How commands print: text for people, one JSON document with `--json`, errors with their code and next step. */
import { errorCatalog, toOnebrainError } from "../shared/errors.ts";

/** Prints a JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints lines on stdout. */
export function printLines(lines: readonly string[]): void {
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Reports a failure: JSON on stdout with --json, else `onebrain: message` + `next:` hint on stderr. Sets the exit code. */
export function reportError(err: unknown, json: boolean): void {
  const e = toOnebrainError(err);
  if (json) {
    printJson({ ok: false, error: { ...e.toJSON(), exitCode: e.exitCode } });
  } else {
    const lines = [`onebrain: ${e.message}`];
    if (e.hint) lines.push(`  next: ${e.hint}`);
    if (e.code === "INTERNAL" && e.stack) lines.push(e.stack);
    process.stderr.write(`${lines.join("\n")}\n`);
  }
  process.exitCode = errorCatalog[e.code].exitCode;
}

/** `2h 3m`, `41s`, `120 ms`: durations that fit in a status line. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
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
