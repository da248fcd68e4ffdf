/**
 * An OpenClaw transcript (pi-coding-agent's event tree, one JSON event per line: header, then
 * `message`, `model_change`, `compaction`, `custom`... each with id and parentId) turned into
 * onebrain transcript lines. Only the active branch counts (the path from the last event up
 * through parentId). User and assistant text becomes user and assistant lines; an assistant's
 * tool calls go into its line's `data` and each tool result becomes a `tool` line, the way
 * onebrain stores its own (src/sessions/history.ts rebuilds the model's turns from them).
 * Everything else is counted as left with its reason.
 */
import type { RawLine } from "./lines.ts";
import { asObject, asText, asTime, show } from "./snapshot.ts";

/** A line for onebrain's `messages` table. */
export interface ImportedLine {
  role: "user" | "assistant" | "tool";
  content: string;
  createdAt: number;
  /** JSON: an assistant line's calls `[{id, name, input}]`, a tool line's `{callId, name, isError}`. */
  data: string | null;
}

export interface Converted {
  lines: ImportedLine[];
  /** Start and last activity, from the header and the events. */
  startedAt: number | null;
  lastAt: number | null;
  toolLines: number;
  /** Reasons a line was left, each with how many lines. */
  left: Map<string, number>;
}

interface Event {
  n: number;
  e: Record<string, unknown>;
}

// Clawdbot wraps a channel message in an envelope: "[Telegram Ann (@ann) id:42 2026-01-20 10:10 GMT+1] text", then "[message_id: 7]".
const ENVELOPE =
  /^\[(?:Telegram|WhatsApp|Discord|Slack|Signal|iMessage|WebChat|Google Chat|Matrix|Microsoft Teams|Mattermost)\b[^\]\n]*\d{4}-\d\d-\d\d[^\]\n]*\] /;
const MESSAGE_ID = /\n\[message_id: [^\]\n]+\]\s*$/;

function note(c: Converted, why: string, n = 1): void {
  c.left.set(why, (c.left.get(why) ?? 0) + n);
}

/** The text parts of a message's content (a string, or parts of type text); images and others counted by the caller. */
function textOf(content: unknown): { text: string; images: number } {
  if (typeof content === "string") return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: "", images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const part of content) {
    const p = asObject(part);
    if (p?.type === "text" && typeof p.text === "string") texts.push(p.text);
    else if (p?.type === "image") images++;
  }
  return { text: texts.join("\n"), images };
}

/** The events of the active branch, in file order; without ids (oldest format) every event. */
function activeBranch(events: Event[], c: Converted): Event[] {
  const withId = events.filter((ev) => typeof ev.e.id === "string");
  if (withId.length < events.length) return events;
  const byId = new Map(withId.map((ev) => [ev.e.id as string, ev]));
  const on = new Set<string>();
  for (let at: Event | undefined = withId.at(-1); at && !on.has(at.e.id as string); at = byId.get(asText(at.e.parentId) ?? "")) on.add(at.e.id as string);
  const kept = events.filter((ev) => typeof ev.e.id !== "string" || on.has(ev.e.id as string));
  const off = events.length - kept.length;
  if (off) note(c, "on a branch the conversation left (not its active path)", off);
  return kept;
}

/** Converts a transcript; never throws for a bad line (it is counted as left). */
export function convertTranscript(raw: Iterable<RawLine>): Converted {
  const c: Converted = { lines: [], startedAt: null, lastAt: null, toolLines: 0, left: new Map() };
  const events: Event[] = [];
  for (const line of raw) {
    if ("tooBig" in line) {
      note(c, `over the ${Math.round((4 * 1024 * 1024) / 1048576)} MiB a transcript line may have (line ${line.n}: ${(line.tooBig / 1048576).toFixed(1)} MiB)`);
      continue;
    }
    if ("problem" in line) {
      note(c, `line ${line.n}: ${line.problem}`);
      continue;
    }
    let e: Record<string, unknown> | null;
    try {
      e = asObject(JSON.parse(line.text));
    } catch {
      e = null;
    }
    if (!e) note(c, `not a JSON object (line ${line.n})`);
    else if (e.type === "session") c.startedAt ??= asTime(e.timestamp);
    else events.push({ n: line.n, e });
  }
  let skipAnswer = false; // the answer to an internal poll goes with it
  let prev = c.startedAt ?? 0;
  for (const { e } of activeBranch(events, c)) {
    const at = asTime(asObject(e.message)?.timestamp) ?? asTime(e.timestamp) ?? prev;
    prev = at;
    if (e.type === "compaction") {
      note(c, "compaction summaries (the lines they summarise are imported)");
      continue;
    }
    if (e.type !== "message") continue; // model and thinking changes, custom entries: bookkeeping
    const m = asObject(e.message) ?? {};
    if (m.role === "user") {
      const internal = asObject(m.provenance)?.kind === "internal_system";
      skipAnswer = internal;
      if (internal) {
        note(c, "OpenClaw's own heartbeat polls and their answers");
        continue;
      }
      const { text, images } = textOf(m.content);
      if (images) note(c, "images (the text beside them is imported)", images);
      const clean = text.replace(ENVELOPE, "").replace(MESSAGE_ID, "");
      if (clean.trim() === "") continue;
      c.lines.push({ role: "user", content: clean, createdAt: at, data: null });
    } else if (m.role === "assistant") {
      if (skipAnswer) {
        note(c, "OpenClaw's own heartbeat polls and their answers");
        continue;
      }
      const { text } = textOf(m.content);
      const calls = (Array.isArray(m.content) ? m.content : []).flatMap((part) => {
        const p = asObject(part);
        if (p?.type !== "toolCall" || typeof p.id !== "string" || typeof p.name !== "string") return [];
        return [{ id: p.id, name: p.name, input: asObject(p.arguments) ?? {} }];
      });
      const content = text || (typeof m.errorMessage === "string" ? m.errorMessage : "");
      if (!content && !calls.length) continue;
      c.lines.push({ role: "assistant", content, createdAt: at, data: calls.length ? JSON.stringify(calls) : null });
    } else if (m.role === "toolResult") {
      if (skipAnswer) continue;
      const callId = asText(m.toolCallId);
      if (!callId) {
        note(c, "tool results without a call id");
        continue;
      }
      const { text, images } = textOf(m.content);
      if (images) note(c, "images in tool results", images);
      c.lines.push({
        role: "tool",
        content: text,
        createdAt: at,
        data: JSON.stringify({ callId, name: asText(m.toolName) ?? "", isError: m.isError === true }),
      });
      c.toolLines++;
    } else {
      note(c, `messages of role ${show(m.role ?? "none").slice(0, 40)}`);
    }
  }
  c.lastAt = c.lines.at(-1)?.createdAt ?? c.startedAt;
  c.startedAt ??= c.lines[0]?.createdAt ?? null;
  return c;
}
