/**
 * Chat: the WebChat channel. Messages go through the outbox (one idempotency key each, resent
 * after a reconnect until acknowledged); replies stream in as `chat` events for this session, and
 * the session's exec approval requests and their answers as notices.
 */
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";
import { chatReducer, isStreaming, type ChatEvent, type ChatMessage, type HistoryMessage } from "../chat/model.ts";
import type { ChatOutbox, Outgoing } from "../chat/outbox.ts";
import { useConnection, useEvent, useLink, useRequest } from "../ui/hooks.ts";
import { askText, outcomeText } from "../../../src/approvals/text.ts";
import { WEBCHAT } from "../../../src/channels/webchat.ts";
import type { ApprovalEventPayload } from "../../../src/protocol/approvals.ts";

interface ChatPageProps {
  outbox: ChatOutbox;
  /** The chosen session key; "" is the console's default session. */
  session: string;
  onSession: (key: string) => void;
}

interface History {
  sessionKey: string;
  messages: HistoryMessage[];
  activeRunId: number | null;
}

const OUTGOING_NOTE: Record<Outgoing["status"], string> = {
  sending: "sending…",
  waiting: "not acknowledged yet: it will be sent again (same key) once connected",
  accepted: "",
  failed: "not sent",
};

function Message({ m }: { m: ChatMessage }) {
  const o = m.outgoing;
  const label = m.role === "user" ? "You" : m.role === "assistant" ? "Assistant" : m.role === "error" ? "Error" : "Notice";
  return (
    <div
      class={`msg msg-${m.role}${o ? ` msg-${o.status}` : ""}`}
      data-testid="chat-message"
      data-role={m.role}
      data-streaming={m.streaming ? "true" : "false"}
    >
      <div class="msg-meta">
        {label}
        {m.streaming && <span class="msg-streaming"> · streaming</span>}
        {o && (
          <span class="msg-status">
            {" "}
            · {OUTGOING_NOTE[o.status]}
            {o.error ? `: ${o.error}` : ""}
          </span>
        )}
      </div>
      <div class="msg-text">{m.text}</div>
    </div>
  );
}

/** The chat page. */
export function ChatPage({ outbox, session, onSession }: ChatPageProps) {
  const conn = useConnection();
  const link = useLink();
  const up = link.hello !== null;
  const [messages, dispatch] = useReducer(chatReducer, []);
  const [sessionKey, setSessionKey] = useState<string | null>(session || null);
  const [defaultKey, setDefaultKey] = useState<string | null>(null);
  const [awaiting, setAwaiting] = useState(false);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const list = useRequest<{ sessions: Array<{ key: string; channel?: string | null }> }>("sessions.list", { limit: 100 });
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);

  // A new session, or a new link: start from the transcript, plus what is still in flight.
  useEffect(() => {
    dispatch({ type: "clear" });
    setSessionKey(session || null);
    for (const o of outbox.unacknowledged()) if ((o.sessionKey ?? "") === session) dispatch({ type: "outgoing", outgoing: o });
  }, [outbox, session]);

  useEffect(() => {
    if (!up) return;
    let live = true;
    conn.request<History>("chat.history", { ...(session ? { sessionKey: session } : {}), limit: 200 }).then(
      (h) => {
        if (!live) return;
        setSessionKey(h.sessionKey);
        if (!session) setDefaultKey(h.sessionKey);
        setAwaiting(h.activeRunId !== null);
        setError(null);
        dispatch({ type: "history", messages: h.messages });
      },
      (err: Error) => live && setError(`Could not load the transcript: ${err.message}`),
    );
    return () => void (live = false);
  }, [conn, session, up, link.generation]);

  useEffect(() => outbox.subscribe((o) => (o.sessionKey ?? "") === session && dispatch({ type: "outgoing", outgoing: o })), [outbox, session]);

  // An exec approval this session's run asked for, and its answer, show in the conversation as they happen.
  // An answer typed in a WebChat (`/approve`) is shown once, as its reply (a `chat` notice) where it was typed.
  useEvent("approval", (payload) => {
    const e = payload as ApprovalEventPayload;
    if (!sessionKey || e.approval.sessionKey !== sessionKey) return;
    if (e.state === "decided" && e.approval.decidedBy?.startsWith(`${WEBCHAT}:`)) return;
    dispatch({ type: "notice", text: e.state === "requested" ? askText(e.approval, Date.now()) : outcomeText(e.approval) });
  });

  useEvent("chat", (payload) => {
    const e = payload as ChatEvent;
    if (!sessionKey || e.sessionKey !== sessionKey) return;
    dispatch({ type: "event", event: e });
    if (e.state !== "delta") setAwaiting(false);
  });

  // Follow the conversation, unless the operator scrolled up to read.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages]);

  const send = () => {
    const t = text.trim();
    if (!t) return;
    atBottom.current = true;
    outbox.submit(t, session || undefined);
    setText("");
    setAwaiting(true);
  };
  const reset = async () => {
    if (!sessionKey) return;
    try {
      const r = await conn.request<{ reset: boolean; aborted: boolean }>("sessions.reset", { sessionKey });
      const text = r.reset
        ? "Session reset: the next message starts a new session (the transcript is kept)."
        : "There was no live session to reset: the next message starts a new one.";
      dispatch({ type: "notice", text: r.aborted ? `${text} The reply in progress was stopped.` : text });
    } catch (err) {
      dispatch({ type: "notice", role: "error", text: `Reset failed: ${(err as Error).message}` });
    }
  };
  const abort = async () => {
    try {
      await conn.request("chat.abort", sessionKey ? { sessionKey } : {});
    } catch (err) {
      dispatch({ type: "notice", role: "error", text: `Abort failed: ${(err as Error).message}` });
    }
  };

  const others = (list.data?.sessions ?? []).filter((s) => s.key !== defaultKey);
  const running = awaiting || isStreaming(messages);

  return (
    <section class="page page-chat">
      <div class="toolbar">
        <label class="field-inline">
          Session
          <select class="input" data-testid="session-picker" value={session} onFocus={list.reload} onChange={(e) => onSession(e.currentTarget.value)}>
            <option value="">{defaultKey ? `${defaultKey} (default)` : "default session"}</option>
            {session && !others.some((s) => s.key === session) && <option value={session}>{session}</option>}
            {others.map((s) => (
              <option key={s.key} value={s.key}>
                {s.key}
                {s.channel ? ` · ${s.channel}` : ""}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          class="btn"
          data-testid="session-reset"
          onClick={reset}
          disabled={!up || !sessionKey}
          title="End this session; the next message starts a new one"
        >
          Reset session
        </button>
        {error && <span class="error-text">{error}</span>}
      </div>
      <div
        class="chat-log"
        ref={scroller}
        onScroll={(e) => (atBottom.current = e.currentTarget.scrollHeight - e.currentTarget.scrollTop - e.currentTarget.clientHeight < 40)}
      >
        {messages.length === 0 && <p class="empty">{up ? "No messages in this session yet." : "Not connected: the transcript loads once the link is up."}</p>}
        {messages.map((m) => (
          <Message key={m.id} m={m} />
        ))}
      </div>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <textarea
          class="input composer-input"
          data-testid="chat-input"
          rows={2}
          placeholder="Message the agent (Enter sends, Shift+Enter for a new line; /new starts a new session)"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            }
          }}
        />
        <div class="composer-buttons">
          <button type="submit" class="btn btn-primary" data-testid="chat-send" disabled={!text.trim()}>
            Send
          </button>
          <button type="button" class="btn btn-danger" data-testid="chat-abort" onClick={abort} disabled={!up || !running}>
            Stop
          </button>
        </div>
      </form>
    </section>
  );
}
