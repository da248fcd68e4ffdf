/**
 * Glob patterns (`src/**\/*.ts`, `*.{md,txt}`, `data/[0-9]?.csv`) matched without regular
 * expressions: a translated regex can backtrack exponentially (`*a*a*a*b`), while this matcher's
 * one-backtrack-point algorithm is at most (pattern length x name length) per segment, and the
 * same algorithm over segments handles `**`. `*`, `?` and classes never cross a `/`; `**` as a
 * whole segment matches any number of segments, none included. Names starting with a dot match too.
 */

type Token = { k: "lit"; c: string } | { k: "any" } | { k: "star" } | { k: "class"; neg: boolean; ranges: [string, string][] };
type Segment = { k: "globstar" } | { k: "seg"; tokens: Token[] };

/** A compiled pattern. */
export interface GlobMatcher {
  /** True when the `/`-separated relative path matches. */
  test(rel: string): boolean;
  /** Leading segments without any wildcard: where a walk can start. */
  base: string[];
  /** Most segments below `base` a match can have; Infinity with `**`. */
  depth: number;
}

const MAX_PATTERN = 1000;
const MAX_ALTERNATIVES = 256;
const SPECIAL = /[*?[{\\]/;

/**
 * Generic wildcard matching: `pats` against `items`, where a star pattern matches any run of
 * items. Greedy with one backtrack point (the last star), which is exact for stars.
 */
function wildMatch<P, I>(pats: readonly P[], items: readonly I[], isStar: (p: P) => boolean, one: (p: P, i: I) => boolean): boolean {
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < items.length) {
    const pat = pats[p];
    if (pat !== undefined && isStar(pat)) {
      starP = p++;
      starI = i;
    } else if (pat !== undefined && one(pat, items[i] as I)) {
      p++;
      i++;
    } else if (starP >= 0) {
      p = starP + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (p < pats.length && isStar(pats[p] as P)) p++;
  return p === pats.length;
}

/** One character against one token. */
function charMatch(t: Token, c: string): boolean {
  if (t.k === "lit") return t.c === c;
  if (t.k === "any") return true;
  if (t.k === "class") return t.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== t.neg;
  return false;
}

/**
 * A name's code points: `?` and classes match one code point, as in other glob implementations
 * (not one UTF-16 unit, which would split an emoji; not a grapheme, which needs locale data).
 */
function codePoints(s: string): string[] {
  return Array.from(s);
}

/** The tokens of one segment. */
function tokenize(seg: string): Token[] {
  const chars = codePoints(seg);
  const out: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === "\\" && i + 1 < chars.length) out.push({ k: "lit", c: chars[++i] as string });
    else if (c === "*") {
      if (out.at(-1)?.k !== "star") out.push({ k: "star" });
    } else if (c === "?") out.push({ k: "any" });
    else if (c === "[") {
      const close = chars.indexOf("]", i + 2);
      if (close === -1) {
        out.push({ k: "lit", c });
        continue;
      }
      let body = chars.slice(i + 1, close);
      const neg = body[0] === "!" || body[0] === "^";
      if (neg) body = body.slice(1);
      const ranges: [string, string][] = [];
      for (let j = 0; j < body.length; j++) {
        const lo = body[j] as string;
        if (body[j + 1] === "-" && j + 2 < body.length) {
          ranges.push([lo, body[j + 2] as string]);
          j += 2;
        } else ranges.push([lo, lo]);
      }
      out.push({ k: "class", neg, ranges });
      i = close;
    } else out.push({ k: "lit", c });
  }
  return out;
}

/** `a{b,c}d` -> `abd`, `acd` (nested too); unbalanced braces stay literal. */
export function expandBraces(pattern: string): string[] | null {
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") i++;
    else if (c === "{" && depth++ === 0) open = i;
    else if (c === "," && depth === 1) commas.push(i);
    else if (c === "}" && depth > 0 && --depth === 0) {
      if (commas.length === 0) {
        commas.length = 0;
        continue;
      }
      const head = pattern.slice(0, open);
      const tail = pattern.slice(i + 1);
      const cuts = [open, ...commas, i];
      const out: string[] = [];
      for (let k = 0; k + 1 < cuts.length; k++) {
        for (const alt of expandBraces(head + pattern.slice((cuts[k] as number) + 1, cuts[k + 1]) + tail) ?? []) {
          out.push(alt);
          if (out.length > MAX_ALTERNATIVES) return null;
        }
      }
      return out;
    }
  }
  return [pattern];
}

/** The segments of one brace-free pattern. */
function segmentsOf(pattern: string): Segment[] {
  return pattern
    .split("/")
    .filter((s) => s !== "" && s !== ".")
    .map((s): Segment => (s === "**" ? { k: "globstar" } : { k: "seg", tokens: tokenize(s) }));
}

/** Compiles a glob, or returns why it cannot be used (a sentence). */
export function compileGlob(pattern: string): GlobMatcher | string {
  if (pattern === "") return 'The pattern is empty; give one such as "**/*.md".';
  if (pattern.length > MAX_PATTERN) return `The pattern is ${pattern.length} characters long; at most ${MAX_PATTERN} are accepted.`;
  if (pattern.includes("\0")) return "The pattern contains a NUL byte; remove it.";
  if (pattern.startsWith("/")) return 'The pattern must be relative (such as "src/**/*.ts"); give the directory to search in "path".';
  const alternatives = expandBraces(pattern);
  if (alternatives === null) return `The pattern's braces expand to more than ${MAX_ALTERNATIVES} alternatives; simplify it.`;
  if (alternatives.some((a) => a.split("/").includes(".."))) return 'The pattern may not contain ".." segments; patterns match only inside the search path.';
  const compiled = alternatives.map(segmentsOf);
  const base: string[] = [];
  for (const seg of pattern.split("/").filter((s) => s !== "" && s !== ".")) {
    if (SPECIAL.test(seg)) break;
    base.push(seg);
  }
  // The last segment is what is matched, so it never becomes part of the base.
  if (base.length === pattern.split("/").filter((s) => s !== "" && s !== ".").length) base.pop();
  const deep = compiled.some((segs) => segs.some((s) => s.k === "globstar"));
  const depth = deep ? Infinity : Math.max(...compiled.map((segs) => segs.length)) - base.length;
  const segMatch = (s: Segment, name: string): boolean => s.k === "seg" && wildMatch(s.tokens, codePoints(name), (t) => t.k === "star", charMatch);
  return {
    base,
    depth,
    test(rel) {
      const parts = rel.split("/").filter((s) => s !== "");
      return compiled.some((segs) => wildMatch(segs, parts, (s) => s.k === "globstar", segMatch));
    },
  };
}
