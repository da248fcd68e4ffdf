/**
 * Edits a JSON5 document as text, so that `config set/unset` keep the operator's comments, key
 * order, quoting and indentation: the value at a key path is replaced where it stands, a new key
 * is inserted after the last member of the deepest existing object in that object's indentation,
 * and an unset removes the member's own line(s). Callers check the result parses to what they
 * meant (edit.ts falls back to a full rewrite if it ever does not).
 */

interface Member {
  key: string;
  /** Where the member starts (its key) and where its value starts and ends. */
  start: number;
  valueStart: number;
  valueEnd: number;
  /** Index of the comma after the value, or -1. */
  comma: number;
  child: ObjectNode | undefined;
}

interface ObjectNode {
  open: number;
  close: number;
  members: Member[];
}

class Scanner {
  pos = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  fail(what: string): never {
    throw new Error(`json5-edit: ${what} at ${this.pos}`);
  }

  /** Skips whitespace and comments. */
  skip(): void {
    const t = this.text;
    for (;;) {
      while (this.pos < t.length && /\s|\uFEFF/.test(t[this.pos]!)) this.pos++;
      if (t.startsWith("//", this.pos)) {
        const nl = t.indexOf("\n", this.pos);
        this.pos = nl === -1 ? t.length : nl;
      } else if (t.startsWith("/*", this.pos)) {
        const end = t.indexOf("*/", this.pos + 2);
        if (end === -1) this.fail("unterminated comment");
        this.pos = end + 2;
      } else return;
    }
  }

  string(): string {
    const t = this.text;
    const quote = t[this.pos]!;
    let out = "";
    for (this.pos++; this.pos < t.length; this.pos++) {
      const c = t[this.pos]!;
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === "\\") {
        this.pos++;
        out += t[this.pos] ?? "";
        continue;
      }
      out += c;
    }
    return this.fail("unterminated string");
  }

  key(): string {
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return this.string();
    const m = /^[A-Za-z0-9_$\u0080-\uFFFF]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail("expected a key");
    this.pos += m[0].length;
    return m[0];
  }

  /** Parses any value; returns the object node when it is an object. */
  value(): ObjectNode | undefined {
    this.skip();
    const c = this.text[this.pos];
    if (c === "{") return this.object();
    if (c === "[") {
      this.pos++;
      for (;;) {
        this.skip();
        if (this.text[this.pos] === "]") break;
        this.value();
        this.skip();
        if (this.text[this.pos] === ",") this.pos++;
        else if (this.text[this.pos] !== "]") this.fail("expected , or ]");
      }
      this.pos++;
      return undefined;
    }
    if (c === '"' || c === "'") {
      this.string();
      return undefined;
    }
    const m = /^[-+0-9A-Za-z_.]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail("expected a value");
    this.pos += m[0].length;
    return undefined;
  }

  object(): ObjectNode {
    const node: ObjectNode = { open: this.pos, close: -1, members: [] };
    this.pos++;
    for (;;) {
      this.skip();
      if (this.text[this.pos] === "}") break;
      const start = this.pos;
      const key = this.key();
      this.skip();
      if (this.text[this.pos] !== ":") this.fail("expected :");
      this.pos++;
      this.skip();
      const valueStart = this.pos;
      const child = this.value();
      const member: Member = { key, start, valueStart, valueEnd: this.pos, comma: -1, child };
      node.members.push(member);
      this.skip();
      if (this.text[this.pos] === ",") {
        member.comma = this.pos;
        this.pos++;
      } else if (this.text[this.pos] !== "}") this.fail("expected , or }");
    }
    node.close = this.pos;
    this.pos++;
    return node;
  }
}

/** The indentation of the line holding `pos`. */
function lineIndent(text: string, pos: number): string {
  const lineStart = text.lastIndexOf("\n", pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** Serialises a value as the file writes it: quoted keys if the file quotes its keys. */
function render(value: unknown, indent: string, step: string, quoteKeys: boolean): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const inner = indent + step;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => inner + render(v, inner, step, quoteKeys)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${inner}${keyText(k, quoteKeys)}: ${render(v, inner, step, quoteKeys)}`).join(",\n")}\n${indent}}`;
}

function keyText(key: string, quote: boolean): string {
  return quote || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? JSON.stringify(key) : key;
}

function parseRoot(text: string): ObjectNode | null {
  const s = new Scanner(text);
  s.skip();
  if (s.text[s.pos] !== "{") return null;
  return s.object();
}

/** Walks as deep as the path exists; returns the deepest object and the member found, if any. */
function walk(root: ObjectNode, segments: readonly string[]): { node: ObjectNode; depth: number; member: Member | undefined } {
  let node = root;
  for (let i = 0; i < segments.length; i++) {
    const member = node.members.findLast((m) => m.key === segments[i]);
    if (!member) return { node, depth: i, member: undefined };
    if (i === segments.length - 1) return { node, depth: i, member };
    if (!member.child) return { node, depth: i, member }; // a non-object in the way: replaced whole below
    node = member.child;
  }
  return { node, depth: segments.length, member: undefined };
}

/** The text with the value at `segments` set to `value`; null when the text has no object root. */
export function setInText(text: string, segments: readonly string[], value: unknown): string | null {
  const root = parseRoot(text);
  if (!root) return null;
  const quoteKeys = /^\s*\{\s*"/.test(text) || /\n\s*"[^"]+"\s*:/.test(text);
  const { node, depth, member } = walk(root, segments);
  if (member) {
    // Replace the value where it stands; a non-object in the middle of the path becomes the rest of it.
    const rest = segments.slice(depth + 1);
    const nested = rest.reduceRight<unknown>((v, k) => ({ [k]: v }), value);
    const indent = lineIndent(text, member.start);
    return text.slice(0, member.valueStart) + render(nested, indent, step(text), quoteKeys) + text.slice(member.valueEnd);
  }
  const rest = segments.slice(depth);
  const nested = rest.slice(1).reduceRight<unknown>((v, k) => ({ [k]: v }), value);
  const last = node.members.at(-1);
  const parentIndent = lineIndent(text, node.open);
  const indent = last ? lineIndent(text, last.start) : parentIndent + step(text);
  const entry = `${keyText(rest[0]!, quoteKeys)}: ${render(nested, indent, step(text), quoteKeys)}`;
  if (!last) {
    const body = text.slice(node.open + 1, node.close);
    // An empty object (perhaps with a comment inside): open it up over lines.
    return `${text.slice(0, node.open + 1)}${body.trimEnd()}\n${indent}${entry}\n${parentIndent}${text.slice(node.close)}`;
  }
  // { a: 1 } stays on one line; the new member goes right after the last value (before its comma, if any).
  if (!text.slice(last.valueEnd, node.close).includes("\n")) return `${text.slice(0, last.valueEnd)}, ${entry}${text.slice(last.valueEnd)}`;
  // After the last member, its comma, and any comment on the same line.
  let at = last.comma >= 0 ? last.comma + 1 : last.valueEnd;
  const lineEnd = text.indexOf("\n", at);
  const tail = text.slice(at, lineEnd === -1 ? node.close : Math.min(lineEnd, node.close));
  if (/^[ \t]*(\/\/.*|\/\*.*\*\/[ \t]*)?$/.test(tail)) at += tail.length;
  // A file with trailing commas keeps them; one without gets a comma after its old last value.
  const head = last.comma >= 0 ? text.slice(0, at) : `${text.slice(0, last.valueEnd)},${text.slice(last.valueEnd, at)}`;
  return `${head}\n${indent}${entry}${last.comma >= 0 ? "," : ""}${text.slice(at)}`;
}

/** The text without the member at `segments` (its line(s) and comma); null when it is not there as text. */
export function unsetInText(text: string, segments: readonly string[]): string | null {
  const root = parseRoot(text);
  if (!root) return null;
  const { node, member } = walk(root, segments);
  if (!member || member.key !== segments.at(-1) || walk(root, segments).depth !== segments.length - 1) return null;
  const index = node.members.indexOf(member);
  let end = member.comma >= 0 ? member.comma + 1 : member.valueEnd;
  const lineEnd = text.indexOf("\n", end);
  const tail = text.slice(end, lineEnd === -1 ? text.length : lineEnd);
  let start = member.start;
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const ownLine = /^[ \t]*$/.test(text.slice(lineStart, start)) && /^[ \t]*(\/\/.*)?$/.test(tail);
  if (ownLine) {
    start = lineStart;
    end = lineEnd === -1 ? text.length : lineEnd + 1;
  }
  let out = text.slice(0, start) + text.slice(end);
  // The last member gone: the one before it must not keep a comma that plain JSON would refuse.
  const prev = node.members[index - 1];
  if (index === node.members.length - 1 && member.comma < 0 && prev && prev.comma >= 0) out = out.slice(0, prev.comma) + out.slice(prev.comma + 1);
  return out;
}

/** The file's indentation step (two spaces unless the file shows otherwise). */
function step(text: string): string {
  const m = /\n([ \t]+)\S/.exec(text);
  return m ? m[1]! : "  ";
}
