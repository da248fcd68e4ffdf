/**
 * Text between Markdown (what the model writes and reads) and Slack's mrkdwn.
 *
 * Out: `&`, `<` and `>` are escaped everywhere (code included, as Slack requires), so no reply can
 * form a control sequence: no `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>` or `<!subteam^…>`
 * ping, whatever the model writes; plain "@channel" does not ping either, because posts go out
 * with `parse: "none"` and `link_names: false`. Markdown links become `<url|text>` (http, https and
 * mailto only), bold `**x**` `*x*`, italic `_x_`, strikethrough `~x~`, headings bold lines, list
 * bullets `•`; code spans and fences are kept as they are.
 *
 * In: Slack's control sequences become readable text: `<@U1>` → `@U1`, `<#C1|general>` →
 * `#general`, `<!here>` → `@here`, `<https://x|label>` → `label (https://x)`, entities decoded.
 */

/** Escapes what Slack reads as control characters. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const LINK = /\[([^\]\n]{1,500})\]\(((?:https?:\/\/|mailto:)[^\s()<>|]{1,2000})\)/g;
const BARE_AUTOLINK = /<((?:https?:\/\/|mailto:)[^\s<>|]{1,2000})>/g;

/** Markdown outside code, as mrkdwn. */
function prose(s: string): string {
  const links: string[] = [];
  // Links first, on the raw text (their parts are escaped on their own); a placeholder keeps them whole.
  const hold = (url: string, text?: string) => {
    links.push(text === undefined ? `<${escapeSlack(url)}>` : `<${escapeSlack(url)}|${escapeSlack(text).replace(/\|/g, "¦")}>`);
    return `\uE000${links.length - 1}\uE000`;
  };
  let t = s.replace(LINK, (_m, text: string, url: string) => hold(url, text)).replace(BARE_AUTOLINK, (_m, url: string) => hold(url));
  t = escapeSlack(t.replace(/\uE001|\uE002/g, ""));
  t = t
    .split("\n")
    .map((line) => {
      const h = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
      if (h) return `\uE001${h[1]}\uE001`;
      return line.replace(/^(\s*)[-*+]\s+(?=\S)/, "$1• ");
    })
    .join("\n");
  t = t
    .replace(/\*\*(?=\S)([^*\n]+?)\*\*/g, "\uE001$1\uE001")
    .replace(/__(?=\S)([^_\n]+?)__/g, "\uE001$1\uE001")
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]+?)\*(?!\w)/g, "$1_$2_")
    .replace(/~~(?=\S)([^~\n]+?)~~/g, "~$1~")
    .replace(/\uE001/g, "*");
  return t.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => links[Number(i)]!);
}

/** Inline code spans kept verbatim (escaped), the rest converted. */
function inline(s: string): string {
  return s
    .split(/(`[^`\n]+`)/g)
    .map((piece, i) => (i % 2 === 1 ? escapeSlack(piece) : prose(piece)))
    .join("");
}

/** A Markdown reply as safe Slack mrkdwn. */
export function toMrkdwn(markdown: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  let buf: string[] = [];
  const flush = () => {
    if (buf.length) out.push(inline(buf.join("\n")));
    buf = [];
  };
  for (const line of markdown.split("\n")) {
    const m = /^\s*(```+|~~~+)/.exec(line);
    if (fence === null && m) {
      flush();
      fence = m[1]!;
      out.push("```");
    } else if (fence !== null && m && line.trim().startsWith(fence)) {
      fence = null;
      out.push("```");
    } else if (fence !== null) out.push(escapeSlack(line));
    else buf.push(line);
  }
  flush();
  if (fence !== null) out.push("```");
  return out.join("\n");
}

/** A Slack message's text as plain text for the agent (the bot's own mention left out). */
export function fromSlack(text: string, botUserId: string | null): string {
  const decoded = text.replace(/<([^<>]*)>/g, (_m, inner: string) => {
    const [target, label] = inner.split("|", 2) as [string, string | undefined];
    if (target.startsWith("@")) return botUserId && target === `@${botUserId}` ? "" : `@${label ?? target.slice(1)}`;
    if (target.startsWith("#")) return `#${label ?? target.slice(1)}`;
    if (target.startsWith("!subteam^")) return label ?? "@group";
    if (target.startsWith("!")) return `@${target.slice(1).split("^")[0]}`;
    if (target.startsWith("mailto:")) return label ?? target.slice(7);
    return label && label !== target ? `${label} (${target})` : target;
  });
  return decoded
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}
