/** Small text helpers shared by config errors and the CLI. */

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The candidate closest to `word`, if it is close enough to be a plausible typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Shows a value as found in user input: strings quoted, objects as compact JSON. */
export function showValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  try {
    const s = JSON.stringify(value);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    // A BigInt or a cycle: JSON cannot show it.
    return typeof value === "bigint" ? `${value}n` : "an unprintable value";
  }
}

/** Whether a UTF-16 code unit is a C0 or C1 control character or DEL. */
export function isControlCode(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

/** Whether `s` holds a control character (a newline, an escape, a C1 code...). */
export function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isControlCode(s.charCodeAt(i))) return true;
  return false;
}

/** Cuts a client-supplied string to `max` characters, saying how much was left out, so it cannot flood a log line. */
export function clip(value: string, max = 200): string {
  return value.length <= max ? value : `${value.slice(0, max)}…[${value.length - max} more chars]`;
}

/** A string from elsewhere made safe for a terminal line: control characters (escapes, newlines) shown as U+FFFD, then clipped. */
export function printable(value: string, max = 200): string {
  let out = "";
  for (const ch of value.length > max ? value.slice(0, max) : value) out += isControlCode(ch.charCodeAt(0)) ? "\ufffd" : ch;
  return value.length > max ? `${out}…[${value.length - max} more chars]` : out;
}
