/**
 * The approval suite's rig: a real gateway whose fake model (OpenAI wire format) runs the command
 * a message names, and a WebChat client that records every event. The model's script is read from
 * what it is sent: the message `run <command>` gets an exec call; once the call's result is in the
 * request, it answers `done: <result>`, so the reply shows exactly what the model was told.
 */
import fs from "node:fs";
import path from "node:path";
import { connectGateway, type GatewayConnection } from "../../src/client/gateway-client.ts";
import type { EventFrame } from "../../src/protocol/frames.ts";
import type { ApprovalEventPayload, ApprovalView } from "../../src/protocol/approvals.ts";
import type { Behaviour, FakeModelServer, RecordedRequest } from "../helpers/fake-model.ts";
import { brainRows, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { track } from "../gateway/support.ts";
import { eventually } from "../server/raw-ws.ts";

type WireMessage = { role: string; content: unknown };

/** The text of the last plain user message the model was sent. */
export const lastUserText = (req: RecordedRequest): string => {
  const messages = req.body.messages as WireMessage[];
  const last = messages.findLast((m) => m.role === "user" && typeof m.content === "string");
  return typeof last?.content === "string" ? last.content : "";
};

/** The tool results after the last user message, as the model was sent them. */
export const toolResults = (req: RecordedRequest): string[] => {
  const messages = req.body.messages as WireMessage[];
  const last = messages.findLastIndex((m) => m.role === "user" && typeof m.content === "string");
  return messages
    .slice(last + 1)
    .filter((m) => m.role === "tool")
    .map((m) => String(m.content));
};

/** The model's script: `run <command>` -> an exec call; the call's result -> `done: <result>`; anything else is echoed. */
export function runScript(req: RecordedRequest): Behaviour {
  const [result] = toolResults(req);
  if (result !== undefined) return { kind: "reply", text: `done: ${result}` };
  const text = lastUserText(req);
  const command = /^run ([\s\S]+)$/.exec(text)?.[1];
  if (command !== undefined) return { kind: "tools", calls: [{ name: "exec", input: { command } }] };
  return { kind: "reply", text: `echo: ${text}` };
}

/** Config for a gateway whose model is `fake` and whose exec policy is `exec`. */
export function flowConfig(fake: FakeModelServer, exec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { models: { primary: "fake/tools-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } }, tools: { exec }, ...extra };
}

/** A started gateway (tracked for the reaper) with the fake model answering by `runScript`. */
export async function flowGateway(fake: FakeModelServer, exec: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<RunningGateway> {
  fake.respond = runScript;
  return track(await startGateway({ config: flowConfig(fake, exec, extra), env: { TELEGRAM_BOT_TOKEN: undefined } }));
}

/** A WebChat client that keeps every event (the client's own list is bounded) and sends into named sessions. */
export class ChatClient {
  readonly events: EventFrame[] = [];
  private seq = 0;
  private readonly conn: GatewayConnection;
  private constructor(conn: GatewayConnection) {
    this.conn = conn;
    conn.onEvent((e) => this.events.push(e));
  }

  /** Connects as a WebChat client. */
  static async open(port: number, token?: string): Promise<ChatClient> {
    return new ChatClient(await connectGateway({ url: `ws://127.0.0.1:${port}`, clientId: "flow-tab", mode: "webchat", token, timeoutMs: 5000 }));
  }

  /** Sends `text` into session `agent:main:<session>` under a fresh idempotency key. */
  async send(session: string, text: string): Promise<void> {
    await this.conn.request("chat.send", { text, idempotencyKey: `flow-${++this.seq}`, sessionKey: `agent:main:${session}` });
  }

  /** The `chat` events of a session with `state`, in order. */
  chat(session: string, state: "final" | "error" | "notice"): Array<{ text: string; runId: number | null }> {
    return this.events
      .filter((e) => e.event === "chat")
      .map((e) => e.payload as { state: string; sessionKey: string; text: string; runId: number | null })
      .filter((p) => p.sessionKey === `agent:main:${session}` && p.state === state);
  }

  /** The `approval` events of a session, in order. */
  approvals(session: string): ApprovalEventPayload[] {
    return this.events
      .filter((e) => e.event === "approval")
      .map((e) => e.payload as ApprovalEventPayload)
      .filter((p) => p.approval.sessionKey === `agent:main:${session}`);
  }

  /** Waits for the session's `n`th final reply and returns its text. */
  async final(session: string, n = 1, timeoutMs = 15_000): Promise<string> {
    await eventually(() => this.chat(session, "final").length >= n || this.chat(session, "error").length > 0, `reply ${n} in ${session}`, timeoutMs);
    const err = this.chat(session, "error")[0];
    if (err) throw new Error(`the run in ${session} failed: ${err.text}`);
    return this.chat(session, "final")[n - 1]!.text;
  }

  /** Waits for the session's `n`th `chat` notice (a reply written without a run) and returns its text. */
  async notice(session: string, n = 1): Promise<string> {
    await eventually(() => this.chat(session, "notice").length >= n, `notice ${n} in ${session}`, 10_000);
    return this.chat(session, "notice")[n - 1]!.text;
  }

  /** Waits until the session's run asks, and returns the request as the `approval` event showed it. */
  async asked(session: string, n = 1): Promise<ApprovalView> {
    const requested = () => this.approvals(session).filter((p) => p.state === "requested");
    await eventually(() => requested().length >= n, `approval request ${n} from ${session}`, 10_000);
    return requested()[n - 1]!.approval;
  }

  /** A page of the session's transcript. */
  history(session: string): Promise<{ messages: Array<{ role: string; content: string }> }> {
    return this.conn.request("chat.history", { sessionKey: `agent:main:${session}`, limit: 100 });
  }

  close(): Promise<unknown> {
    return this.conn.close();
  }
}

/** The lines of a file in the workspace, or null when it does not exist. */
export function linesOf(gw: RunningGateway, name: string): string[] | null {
  const file = path.join(gw.stateDir, "workspace", name);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : null;
}

/** Runs a query on brain.db read-only (the running gateway holds it). */
export function query(gw: Pick<RunningGateway, "stateDir">, sql: string, ...params: Array<string | number>): Array<Record<string, unknown>> {
  return brainRows(gw.stateDir, sql, ...params);
}
