/**
 * How the fake Bot API server reads requests: parameters (query, JSON, form, multipart), the
 * entities Telegram computes itself, and `parse_mode` text, parsed as Telegram does: MarkdownV2 (every
 * reserved character outside an entity must be escaped) and HTML (only the supported tags, every
 * tag closed in order, `<` `>` `&` escaped). A malformed text gives the same kind of
 * "can't parse entities" description Telegram returns; a good one gives the plain text the user
 * sees (whose length is what the 4096-character limit counts). A request the client sent in full
 * is read in full even when the client is gone by then (`readBody`).
 */
import type { IncomingMessage } from "node:http";

/** Telegram's answer to the older of two overlapping getUpdates calls. */
export const CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";

export type ParseResult = { ok: true; text: string } | { ok: false; description: string };

const RESERVED_V2 = new Set("_*[]()~`>#+-=|{}.!");
const byteOffset = (s: string, i: number) => Buffer.byteLength(s.slice(0, i));
const fail = (why: string): ParseResult => ({ ok: false, description: `Bad Request: can't parse entities: ${why}` });

/** Parses MarkdownV2 the way the Bot API does (https://core.telegram.org/bots/api#markdownv2-style). */
export function parseMarkdownV2(s: string): ParseResult {
  const NAMES: Record<string, string> = { "*": "Bold", _: "Italic", __: "Underline", "~": "Strikethrough", "||": "Spoiler", "[": "TextUrl" };
  const stack: Array<{ marker: string; at: number }> = [];
  let out = "";
  let i = 0;
  const toggle = (marker: string, at: number) => {
    const top = stack[stack.length - 1];
    if (top?.marker === marker) stack.pop();
    else if (stack.some((e) => e.marker === marker)) return false;
    else stack.push({ marker, at });
    return true;
  };
  while (i < s.length) {
    const c = s[i]!;
    const code = c.charCodeAt(0);
    if (c === "\\") {
      const next = s[i + 1];
      if (next !== undefined && next.charCodeAt(0) >= 1 && next.charCodeAt(0) <= 126) {
        out += next;
        i += 2;
        continue;
      }
      return fail(`Character '\\' is reserved and must be escaped with the preceding '\\'`);
    }
    if (c === "`") {
      const pre = s.startsWith("```", i);
      const fence = pre ? "```" : "`";
      let j = i + fence.length;
      if (pre) {
        const nl = s.indexOf("\n", j);
        if (nl !== -1 && /^[A-Za-z0-9_+-]*$/.test(s.slice(j, nl))) j = nl + 1;
      }
      let body = "";
      let closed = false;
      while (j < s.length) {
        if (s[j] === "\\" && j + 1 < s.length) {
          body += s[j + 1];
          j += 2;
          continue;
        }
        if (s.startsWith(fence, j)) {
          closed = true;
          break;
        }
        body += s[j];
        j++;
      }
      if (!closed) return fail(`Can't find end of ${pre ? "Pre" : "Code"} entity at byte offset ${byteOffset(s, i)}`);
      out += body;
      i = j + fence.length;
      continue;
    }
    if (c === "*" || c === "~") {
      if (!toggle(c, i)) return fail(`Can't find end of ${NAMES[c]} entity at byte offset ${byteOffset(s, i)}`);
      i++;
      continue;
    }
    if (c === "_") {
      const m = s.startsWith("__", i) ? "__" : "_";
      if (!toggle(m, i)) return fail(`Can't find end of ${NAMES[m]} entity at byte offset ${byteOffset(s, i)}`);
      i += m.length;
      continue;
    }
    if (c === "|" && s[i + 1] === "|") {
      if (!toggle("||", i)) return fail(`Can't find end of Spoiler entity at byte offset ${byteOffset(s, i)}`);
      i += 2;
      continue;
    }
    if (c === "[" || (c === "!" && s[i + 1] === "[")) {
      stack.push({ marker: "[", at: i });
      i += c === "!" ? 2 : 1;
      continue;
    }
    if (c === "]" && stack[stack.length - 1]?.marker === "[") {
      stack.pop();
      if (s[i + 1] !== "(") return fail(`Character ']' is reserved and must be escaped with the preceding '\\'`);
      let j = i + 2;
      while (j < s.length && s[j] !== ")") j += s[j] === "\\" ? 2 : 1;
      if (j >= s.length) return fail(`Can't find end of a url at byte offset ${byteOffset(s, i + 2)}`);
      i = j + 1;
      continue;
    }
    if (c === ">" && (i === 0 || s[i - 1] === "\n")) {
      i++;
      continue;
    }
    if (code <= 126 && RESERVED_V2.has(c)) return fail(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    out += c;
    i++;
  }
  const open = stack[stack.length - 1];
  if (open) return fail(`Can't find end of ${NAMES[open.marker]} entity at byte offset ${byteOffset(s, open.at)}`);
  return { ok: true, text: out };
}

const HTML_TAGS = new Set(["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji", "code", "pre", "blockquote"]);
const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** Parses Telegram's HTML style (https://core.telegram.org/bots/api#html-style). */
export function parseHtml(s: string): ParseResult {
  const stack: Array<{ name: string; at: number }> = [];
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "&") {
      const m = /^&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|([a-zA-Z]+));/.exec(s.slice(i, i + 12));
      if (m && (m[1] || m[2] || NAMED_ENTITIES[m[3]!])) {
        out += m[1] ? String.fromCodePoint(Number(m[1])) : m[2] ? String.fromCodePoint(parseInt(m[2], 16)) : NAMED_ENTITIES[m[3]!];
        i += m[0].length;
        continue;
      }
      out += c; // Telegram keeps a lone '&' as text
      i++;
      continue;
    }
    if (c === ">") return fail(`Unmatched end of tag at byte offset ${byteOffset(s, i)}`);
    if (c !== "<") {
      out += c;
      i++;
      continue;
    }
    const end = s.indexOf(">", i);
    if (end === -1) return fail(`Unclosed start tag at byte offset ${byteOffset(s, i)}`);
    const raw = s.slice(i + 1, end);
    if (raw.startsWith("/")) {
      const name = raw.slice(1).trim().toLowerCase();
      const top = stack.pop();
      if (!top) return fail(`Unexpected end tag at byte offset ${byteOffset(s, i)}`);
      if (top.name !== name) return fail(`Can't find end tag corresponding to start tag "${top.name}"`);
      i = end + 1;
      continue;
    }
    const m = /^([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*$/.exec(raw);
    const name = m?.[1]?.toLowerCase() ?? "";
    if (!m || !HTML_TAGS.has(name)) return fail(`Unsupported start tag "${name || raw.split(/\s/)[0]}" at byte offset ${byteOffset(s, i)}`);
    if (name === "a" && !/\bhref\s*=/.test(m[2]!)) return fail(`Can't find href attribute of tag "a" at byte offset ${byteOffset(s, i)}`);
    stack.push({ name, at: i });
    i = end + 1;
  }
  const open = stack[stack.length - 1];
  if (open) return fail(`Can't find end tag corresponding to start tag "${open.name}"`);
  return { ok: true, text: out };
}

/** Legacy Markdown: only `*`, `_`, `` ` `` and `[` start entities; each must be closed. */
export function parseLegacyMarkdown(s: string): ParseResult {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length && "_*`[".includes(s[i + 1]!)) {
      out += s[++i];
      continue;
    }
    if ("*_`".includes(c)) {
      const close = s.indexOf(c, i + 1);
      if (close === -1) return fail(`Can't find end of the entity starting at byte offset ${byteOffset(s, i)}`);
      out += s.slice(i + 1, close);
      i = close;
      continue;
    }
    out += c;
  }
  return { ok: true, text: out };
}

/** Parses `text` for a parse mode (undefined: plain text). */
export function parseEntities(text: string, parseMode: string | undefined): ParseResult {
  if (!parseMode) return { ok: true, text };
  if (parseMode === "MarkdownV2") return parseMarkdownV2(text);
  if (parseMode === "HTML") return parseHtml(text);
  if (parseMode === "Markdown") return parseLegacyMarkdown(text);
  return { ok: false, description: "Bad Request: unsupported parse_mode" };
}

/** Entities Telegram computes itself: @mentions anywhere and a /command at the start. */
export function autoEntities(text: string): Array<{ type: string; offset: number; length: number }> {
  const out: Array<{ type: string; offset: number; length: number }> = [];
  const cmd = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  if (cmd) out.push({ type: "bot_command", offset: 0, length: cmd[0].length });
  for (const m of text.matchAll(/(^|[^A-Za-z0-9_/])@([A-Za-z0-9_]{3,32})/g))
    out.push({ type: "mention", offset: m.index! + m[1]!.length, length: m[2]!.length + 1 });
  return out;
}

/** Telegram's description for an error status when a scripted failure gives none. */
export function defaultDescription(code: number): string {
  return (
    {
      400: "Bad Request",
      401: "Unauthorized",
      403: "Forbidden: bot was blocked by the user",
      404: "Not Found",
      409: CONFLICT,
      429: "Too Many Requests: retry later",
      500: "Internal Server Error",
      502: "Bad Gateway",
    }[code] ?? "Error"
  );
}

/** Parameters as the Bot API reads them: query string, then a JSON or form body; JSON-looking form values are parsed. */
export function parseParams(contentType: string, raw: string, query: URLSearchParams): Record<string, any> {
  const out: Record<string, any> = {};
  const put = (k: string, v: string) => {
    try {
      out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
    } catch {
      out[k] = v;
    }
  };
  for (const [k, v] of query) put(k, v);
  if (contentType.includes("application/json") && raw) Object.assign(out, JSON.parse(raw));
  else if (contentType.includes("application/x-www-form-urlencoded")) for (const [k, v] of new URLSearchParams(raw)) put(k, v);
  else if (contentType.includes("multipart/form-data")) {
    const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
    for (const part of boundary ? raw.split(`--${boundary}`) : []) {
      const m = /name="([^"]+)"\r\n\r\n([\s\S]*)\r\n$/.exec(part);
      if (m) put(m[1]!, m[2]!);
    }
  }
  return out;
}

/**
 * The body of a request, or null when the client died before sending all of it. Telegram runs a
 * request that reached it in full even if the client is gone by then; only the answer is lost.
 * Node's server destroys a request whose client closed (socket end -> abortIncoming), and a reader
 * that comes late finds it destroyed, so the listeners go on at once (call this synchronously in
 * the request handler) and `req.complete`, set when the parser saw the whole message, decides.
 */
export function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => {
      const body = Buffer.concat(chunks);
      const declared = req.headers["content-length"];
      resolve(req.complete && (declared === undefined || Number(declared) === body.length) ? body.toString() : null);
    };
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", done);
    req.once("close", done);
    // An aborted request is the client's trouble, not the fake's: `close` follows and decides.
    req.on("error", () => {});
  });
}
