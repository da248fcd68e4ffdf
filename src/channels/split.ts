/**
 * Long replies (every channel's) split into parts of at most `limit` characters, cut at the last paragraph break
 * that fits, else the last line break, else the last space, else hard (never inside a surrogate
 * pair). A code fence left open by a cut is closed at the end of the part and reopened (with its
 * language) at the start of the next, so each part renders on its own.
 */

const FENCE = /^\s*(```+|~~~+)\s*([\w+#.-]*)\s*$/;

/** Where to cut `text` so the first piece has at most `limit` characters. */
function cutAt(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  const window = text.slice(0, limit + 1);
  // Prefer a break in the second half: cutting a 4000-char budget at 30 leaves a tiny part.
  const floor = Math.floor(limit / 2);
  for (const sep of [/\n[ \t]*\n/g, /\n/g, /\s/g]) {
    let best = -1;
    for (const m of window.matchAll(sep)) if (m.index! <= limit && m.index! >= floor) best = m.index!;
    if (best > 0) return best;
  }
  for (const sep of [/\n/g, /\s/g]) {
    let best = -1;
    for (const m of window.matchAll(sep)) if (m.index! > 0 && m.index! <= limit) best = m.index!;
    if (best > 0) return best;
  }
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/** The fence open at the end of `part` (its opening line), or null. */
function openFence(part: string, inherited: string | null): string | null {
  let open = inherited;
  for (const line of part.split("\n")) {
    const m = FENCE.exec(line);
    if (!m) continue;
    if (open === null) open = line.trim();
    else if (line.trim().startsWith(/^(`+|~+)/.exec(open)![1]!)) open = null;
  }
  return open;
}

/** Splits a reply into parts of at most `limit` characters (a short reply is one part). */
export function splitText(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  let fence: string | null = null; // a fence open since an earlier part
  while (rest.length > 0) {
    const prefix = fence ? `${fence}\n` : "";
    const closing = "\n```";
    // Room for a reopened fence at the start and a closing one at the end.
    const budget = Math.max(1, limit - prefix.length - (rest.length + prefix.length > limit ? closing.length + 4 : 0));
    const at = cutAt(rest, budget);
    let part = prefix + rest.slice(0, at).trimEnd();
    rest = rest.slice(at);
    // A cut at a line break keeps the next line's indentation (code); a cut at a space drops it.
    rest = /^[ \t]*\n/.test(rest) ? rest.replace(/^(?:[ \t]*\n)+/, "") : rest.replace(/^[ \t]+/, "");
    const open = openFence(rest.length ? part : "", null);
    if (open && rest.length) {
      part += `\n${/^(`+|~+)/.exec(open)![1]}`;
      fence = open;
    } else fence = null;
    if (part.trim()) parts.push(part);
  }
  return parts;
}
