/**
 * The chat view's messages as a pure reducer: the transcript from `chat.history`, the
 * operator's own messages while they are being sent, and the streamed `chat` events of runs.
 */
import type { Outgoing } from "./outbox.ts";

export type ChatRole = "user" | "assistant" | "notice" | "error";

export interface ChatMessage {
  /** Stable key for rendering: `h<id>` from the transcript, `o<key>` for an outgoing one, `r<runId>` for a streamed reply. */
  id: string;
  role: ChatRole;
  text: string;
  streaming: boolean;
  runId: number | null;
  /** For the operator's own messages not yet acknowledged. */
  outgoing?: Outgoing;
}

/** A message as `chat.history` returns it. */
export interface HistoryMessage {
  id: number;
  role: string;
  content: string;
  createdAt: number;
  runId: number | null;
  /** Present on tool lines and on assistant lines that called tools (a run's inner steps). */
  data?: unknown;
}

/** The conversation as people read it: a run's tool calls and results are its inner steps, not messages. */
const conversational = (m: HistoryMessage): boolean => m.role !== "tool" && !(m.role === "assistant" && m.data !== undefined);

/** The payload of a `chat` event: a run's stream, or (`notice`, no run id) a line that is not a run's reply, as the answer to an `/approve`. */
export interface ChatEvent {
  state: "delta" | "final" | "error" | "aborted" | "notice";
  runId: number | null;
  sessionKey: string;
  delta?: string;
  text?: string;
  model?: string;
}

export type ChatAction =
  | { type: "clear" }
  | { type: "history"; messages: HistoryMessage[] }
  | { type: "outgoing"; outgoing: Outgoing }
  | { type: "event"; event: ChatEvent }
  | { type: "notice"; text: string; role?: "notice" | "error" };

const fromHistory = (m: HistoryMessage): ChatMessage => ({
  id: `h${m.id}`,
  role: m.role === "user" || m.role === "assistant" ? m.role : "notice",
  text: m.content,
  streaming: false,
  runId: m.runId,
});

let localSeq = 0;

/** Applies one action to the message list. */
export function chatReducer(messages: ChatMessage[], action: ChatAction): ChatMessage[] {
  switch (action.type) {
    case "clear":
      return [];
    case "history": {
      // The transcript replaces what we had, except what it cannot know yet: replies still
      // streaming and the operator's messages not yet acknowledged.
      const shown = action.messages.filter(conversational);
      const known = new Set(shown.filter((m) => m.role !== "user" && m.runId !== null).map((m) => m.runId));
      const keep = messages.filter((m) => (m.streaming && !known.has(m.runId)) || m.outgoing);
      return [...shown.map(fromHistory), ...keep];
    }
    case "outgoing": {
      const o = action.outgoing;
      const id = `o${o.key}`;
      const i = messages.findIndex((m) => m.id === id);
      const msg: ChatMessage = { id, role: "user", text: o.text, streaming: false, runId: null, ...(o.status === "accepted" ? {} : { outgoing: o }) };
      if (i < 0) return [...messages, msg];
      return messages.map((m, j) => (j === i ? msg : m));
    }
    case "event": {
      const e = action.event;
      if (e.state === "notice" || e.runId === null) return chatReducer(messages, { type: "notice", text: e.text ?? "" });
      const id = `r${e.runId}`;
      const i = messages.findIndex((m) => m.id === id || (m.runId === e.runId && m.role !== "user"));
      const prev = i >= 0 ? messages[i]! : { id, role: "assistant" as ChatRole, text: "", streaming: true, runId: e.runId };
      const next: ChatMessage =
        e.state === "delta"
          ? { ...prev, text: prev.text + (e.delta ?? ""), streaming: true }
          : e.state === "final"
            ? { ...prev, role: "assistant", text: e.text ?? prev.text, streaming: false }
            : {
                ...prev,
                role: e.state === "error" ? "error" : "notice",
                text: e.text ?? (e.state === "aborted" ? "Stopped." : "The run failed."),
                streaming: false,
              };
      if (i < 0) return [...messages, next];
      return messages.map((m, j) => (j === i ? next : m));
    }
    case "notice":
      return [...messages, { id: `n${++localSeq}`, role: action.role ?? "notice", text: action.text, streaming: false, runId: null }];
  }
}

/** True while a reply in the list is still streaming. */
export function isStreaming(messages: ChatMessage[]): boolean {
  return messages.some((m) => m.streaming);
}
