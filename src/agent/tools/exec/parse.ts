/**
 * A shell string read into simple commands joined by `|`, `&&`, `||` and `;`, or refused.
 *
 * The allowlist can only be trusted if the shell runs exactly the words that were checked. So the
 * reading is strict: anything the shell would expand or redirect (`$`, backticks, globs, `~`,
 * redirections, `&`, subshells, here-documents) is refused as unparseable, and the command that
 * runs is rebuilt from the words read here, each one single-quoted (`renderList`), never the
 * model's text. shell-quote tokenizes; a scan of our own runs first because shell-quote reads some
 * text differently from sh (a newline is a space to it, a backtick a letter, `a#b` a comment,
 * U+00A0 a word break, an unclosed quote closed), and each of those would make the words checked
 * differ from the words the model meant.
 */
import { parse as shellParse } from "shell-quote";
import { bad, Unparseable } from "./options.ts";

/** The operators a parsed command list may contain (a newline is read as `;`). */
export type Operator = "|" | "&&" | "||" | ";";

/** Simple commands (words after quote removal) and the operators between them. */
export interface ShellList {
  segments: string[][];
  /** `operators[i]` joins `segments[i]` and `segments[i + 1]`. */
  operators: Operator[];
}

/** A parse: the list, or the reason it cannot be represented exactly. */
export type ParseResult = { ok: true; list: ShellList } | { ok: false; reason: string };

const OPERATORS = new Set<string>(["|", "&&", "||", ";"]);

const OPERATOR_NAMES: Record<string, string> = {
  "&": "`&` (running in the background)",
  "(": "a subshell `( ... )`",
  ")": "a subshell `( ... )`",
  "<(": "process substitution `<( ... )`",
  ">(": "process substitution `>( ... )`",
  "<<": "a here-document",
  "<<-": "a here-document",
  "<<<": "a here-string",
  ";;": "`;;` (case syntax)",
  ";;&": "`;;&` (case syntax)",
  ";&": "`;&` (case syntax)",
  "|&": "`|&` (a pipe of stderr)",
};

/**
 * Characters refused anywhere, even quoted: controls other than tab and newline, and the invisible
 * and bidirectional marks that could make the command an approver reads differ from the one that
 * runs (ZWJ and ZWNJ stay allowed: emoji and some scripts need them).
 */
// oxlint-disable-next-line no-control-regex -- control characters are exactly what this finds
export const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

/** Whitespace that JavaScript's `\s` (and so shell-quote) splits on but sh does not. */
const FOREIGN_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;

/** The reason a character cannot be accepted, naming its code point. */
export function invisibleReason(text: string): string | null {
  const m = INVISIBLE.exec(text);
  if (!m) return null;
  const cp = m[0].codePointAt(0) ?? 0;
  return `it contains the invisible or control character U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Reads a shell string into segments and operators, or says why it cannot be read exactly. */
export function parseShell(text: string): ParseResult {
  try {
    const invisible = invisibleReason(text);
    if (invisible) bad(invisible);
    const tokens: (string | { op: string })[] = [];
    for (const line of splitLines(text)) {
      tokens.push(...tokenize(line), { op: "\n" });
    }
    return { ok: true, list: toList(tokens) };
  } catch (err) {
    if (err instanceof Unparseable) return { ok: false, reason: err.message };
    throw err;
  }
}

/**
 * Scans the text as sh would, refusing what sh would expand, and splits it at unquoted newlines
 * with comments cut off: each returned line is what shell-quote may safely read.
 */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let quote: "'" | '"' | null = null;
  let lineStart = 0;
  let wordStart = true;
  let bracket = false;
  let brace = false;
  let cut = -1; // where a comment began on this line
  const endWord = () => {
    wordStart = true;
    bracket = false;
    brace = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (cut >= 0 && c !== "\n") continue;
    if (quote === "'") {
      if (c === "'") quote = null;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "$") bad("`$` expands a variable or command inside double quotes; use single quotes for a literal `$`");
      else if (c === "`") bad("backticks run a command substitution");
      else if (c === "\\") {
        if (text[i + 1] === "\n") bad("a backslash-newline continues a line; write it on one line");
        i++;
      }
      continue;
    }
    if (c === " " || c === "\t") {
      endWord();
      continue;
    }
    if (c === "\n") {
      lines.push(text.slice(lineStart, cut >= 0 ? cut : i));
      lineStart = i + 1;
      cut = -1;
      endWord();
      continue;
    }
    if (";|&()<>".includes(c)) {
      endWord();
      continue;
    }
    const atWordStart = wordStart;
    wordStart = false;
    if (c === "\\") {
      if (i + 1 >= text.length) bad("it ends with a lone backslash");
      if (text[i + 1] === "\n") bad("a backslash-newline continues a line; write it on one line");
      i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "`") bad("backticks run a command substitution");
    else if (c === "$") bad("`$` expands a variable or runs a command substitution; write the value itself");
    else if (c === "#") {
      if (!atWordStart) bad("`#` inside a word; quote the word");
      cut = i;
    } else if (c === "~" && atWordStart) bad("`~` expands to a home directory; write the path");
    else if (c === "*" || c === "?") bad("a glob pattern (`*`, `?`) expands to file names; list the files or quote the pattern");
    else if (c === "[") bracket = true;
    else if (c === "]" && bracket) bad("a glob pattern (`[...]`) expands to file names; quote it");
    else if (c === "{") brace = text[i + 1] !== "}";
    else if (c === "}" && brace) bad("brace expansion (`{a,b}`) is not POSIX sh; write each word");
    else if (FOREIGN_SPACE.test(c))
      bad(`the unquoted space character U+${c.codePointAt(0)?.toString(16).toUpperCase()} is not a word break in sh; quote it or use a plain space`);
  }
  if (quote) bad(`a ${quote === "'" ? "single" : "double"} quote is not closed`);
  lines.push(text.slice(lineStart, cut >= 0 ? cut : text.length));
  return lines;
}

/** One line through shell-quote, with anything but words and the four operators refused. */
function tokenize(line: string): (string | { op: string })[] {
  let expanded = false;
  // The scan already refused `$`; flagging any lookup keeps that true if the two ever disagree.
  const entries = shellParse(line, () => {
    expanded = true;
    return "";
  });
  if (expanded) bad("`$` expands a variable; write the value itself");
  return entries.map((entry) => {
    if (typeof entry === "string") return entry;
    if ("op" in entry) {
      if (entry.op === "glob") bad("a glob pattern (`*`, `?`) expands to file names; list the files or quote the pattern");
      if (OPERATORS.has(entry.op)) return { op: entry.op };
      bad(`${OPERATOR_NAMES[entry.op] ?? `the redirection \`${entry.op}\``} cannot be checked by the allowlist`);
    }
    return bad("a comment could not be read exactly; remove it");
  });
}

/** Tokens to segments: a newline ends a command unless an operator left it open (`a &&\n b`). */
function toList(tokens: (string | { op: string })[]): ShellList {
  const segments: string[][] = [];
  const operators: Operator[] = [];
  let current: string[] = [];
  for (const token of tokens) {
    if (typeof token === "string") {
      current.push(token);
      continue;
    }
    if (current.length === 0) {
      if (token.op === "\n") continue;
      bad(`\`${token.op}\` has no command before it`);
    }
    segments.push(current);
    current = [];
    operators.push((token.op === "\n" ? ";" : token.op) as Operator);
  }
  if (current.length > 0) segments.push(current);
  else if (operators.at(-1) === ";") operators.pop();
  else if (operators.length > 0) bad(`\`${operators.at(-1)}\` has no command after it`);
  if (segments.length === 0) bad("the command is empty");
  return { segments, operators };
}

/** One word single-quoted for sh: nothing inside is expanded. */
export function quoteWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A list back to sh text with every word quoted, joined by the operators that were read. */
export function renderList(list: ShellList): string {
  return list.segments.map((words, i) => words.map(quoteWord).join(" ") + (i < list.operators.length ? ` ${list.operators[i]} ` : "")).join("");
}
