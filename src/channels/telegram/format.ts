/**
 * The model's Markdown (CommonMark-ish) rendered as Telegram HTML (`parse_mode: "HTML"`).
 *
 * HTML rather than MarkdownV2: HTML needs three characters escaped (`<`, `>`, `&`), MarkdownV2
 * eighteen, each in context-dependent ways, and one miss makes Telegram reject the whole message.
 * The output is balanced by construction: a tag is only opened together with its closing tag
 * (a delimiter with no partner stays literal text), and everything else is escaped. If Telegram
 * still rejects it ("can't parse entities"), the sender resends that part as plain text.
 *
 * Supported: fenced code blocks, `inline code`, **bold**, __bold__, *italic*, _italic_,
 * ~~strike~~, [links](https://...), # headings (bold), > quotes, and list bullets. The visible
 * text is never longer than the source, so splitting the source at the limit is enough.
 */

/** Escapes text for Telegram HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const escapeAttr = (s: string) => escapeHtml(s).replace(/"/g, "&quot;");
const PUNCT = /[!-/:-@[-`{-~]/;
const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);
const isWord = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

const TAGS: Record<string, string> = { "**": "b", __: "b", "*": "i", _: "i", "~~": "s" };

/** Inline Markdown of one line to HTML. */
export function renderInline(s: string): string {
  const out: string[] = [];
  // Open delimiters: where their placeholder sits in `out`, so an unmatched one becomes literal.
  const stack: Array<{ marker: string; at: number }> = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length && PUNCT.test(s[i + 1]!)) {
      out.push(escapeHtml(s[i + 1]!));
      i += 2;
      continue;
    }
    if (c === "`") {
      const run = /^`+/.exec(s.slice(i))![0];
      const close = s.indexOf(run, i + run.length);
      if (close !== -1) {
        const code = s.slice(i + run.length, close);
        out.push(`<code>${escapeHtml(code.length > 2 && code.startsWith(" ") && code.endsWith(" ") ? code.slice(1, -1) : code)}</code>`);
        i = close + run.length;
        continue;
      }
      out.push(escapeHtml(run));
      i += run.length;
      continue;
    }
    if (c === "[") {
      const link = /^\[([^\]\n]+)\]\((https?:\/\/[^\s()]+|tg:\/\/[^\s()]+|mailto:[^\s()]+)\)/.exec(s.slice(i));
      if (link) {
        out.push(`<a href="${escapeAttr(link[2]!)}">${renderInline(link[1]!)}</a>`);
        i += link[0].length;
        continue;
      }
    }
    // `***x***`: the inner `*` closes first, so it is read as `*` then `**`.
    const tripleClose = s.startsWith("***", i) && stack[stack.length - 1]?.marker === "*";
    const marker = tripleClose
      ? "*"
      : s.startsWith("**", i)
        ? "**"
        : s.startsWith("__", i)
          ? "__"
          : s.startsWith("~~", i)
            ? "~~"
            : c === "*" || c === "_"
              ? c
              : null;
    if (marker) {
      const before = s[i - 1];
      const after = s[i + marker.length];
      const top = stack.findLastIndex((e) => e.marker === marker);
      // Closing: preceded by non-space; underscores never close inside a word (snake_case).
      const canClose = top !== -1 && !isSpace(before) && !(marker[0] === "_" && isWord(after));
      const canOpen = !isSpace(after) && !(marker[0] === "_" && isWord(before));
      if (canClose) {
        // Delimiters opened after this one's partner were never closed: they stay literal text.
        const [partner, ...unclosed] = stack.splice(top);
        for (const e of unclosed) out[e.at] = escapeHtml(e.marker);
        const tag = TAGS[marker]!;
        out[partner!.at] = `<${tag}>`;
        out.push(`</${tag}>`);
        i += marker.length;
        continue;
      }
      if (canOpen) {
        stack.push({ marker, at: out.length });
        out.push(""); // the opening tag, or the literal marker if it is never closed
        i += marker.length;
        continue;
      }
      out.push(escapeHtml(marker));
      i += marker.length;
      continue;
    }
    out.push(escapeHtml(c));
    i++;
  }
  for (const e of stack) out[e.at] = escapeHtml(e.marker);
  return out.join("");
}

/** A whole reply (or one part of it) in Markdown to Telegram HTML. */
export function markdownToHtml(md: string): string {
  const lines = md.split("\n");
  const out: string[] = [];
  let quote: string[] = [];
  const flushQuote = () => {
    if (quote.length) out.push(`<blockquote>${quote.join("\n")}</blockquote>`);
    quote = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s*(```+|~~~+)\s*([\w+#.-]*)\s*$/.exec(line);
    if (fence) {
      flushQuote();
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !lines[j]!.trim().startsWith(fence[1]!)) body.push(lines[j++]!);
      const lang = fence[2] ? ` class="language-${escapeAttr(fence[2])}"` : "";
      out.push(`<pre><code${lang}>${escapeHtml(body.join("\n"))}</code></pre>`);
      i = j; // the closing fence (or the end: an unclosed block ends with the text)
      continue;
    }
    const q = /^\s*>\s?(.*)$/.exec(line);
    if (q) {
      quote.push(renderInline(q[1]!));
      continue;
    }
    flushQuote();
    const heading = /^\s*#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      out.push(`<b>${renderInline(heading[1]!)}</b>`);
      continue;
    }
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (bullet) {
      out.push(`${bullet[1]}• ${renderInline(bullet[2]!)}`);
      continue;
    }
    out.push(renderInline(line));
  }
  flushQuote();
  return out.join("\n");
}
