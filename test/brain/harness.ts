/**
 * An in-process brain on a real SQLite store, with a scripted agent and a recording channel.
 * The agent and channel here are our own interfaces (AgentPort, Channel), not outside services:
 * the provider layer has its own tests against the fake model server.
 */
import path from "node:path";
import pino from "pino";
import type { ChatTurn } from "../../src/agent/provider.ts";
import type { Channel, OutboundMessage } from "../../src/channels/channel.ts";
import { Brain, type AgentPort, type BrainEvent, type BrainToolPorts, type ProcessGroupRecord } from "../../src/brain/brain.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { sessionKey } from "../../src/sessions/keys.ts";
import { tmpDir } from "../helpers/gateway.ts";

export type Script = (history: Array<{ role: string; content: string }>, signal: AbortSignal, onDelta: (t: string) => void) => Promise<string>;

/** A turn as the scripted agent records it: a tool turn's content is its results as JSON. */
function flat(t: ChatTurn): { role: string; content: string } {
  return t.role === "tool" ? { role: "tool", content: JSON.stringify(t.results) } : { role: t.role, content: t.content };
}

/** An agent whose answers come from a script; it counts and records every call. */
export class ScriptedAgent implements AgentPort {
  calls: Array<Array<{ role: string; content: string }>> = [];
  missing: string | null = null;
  script: Script = async (history, _signal, onDelta) => {
    const text = `echo: ${history[history.length - 1]?.content ?? ""}`;
    onDelta(text);
    return text;
  };
  describe(): string {
    return "scripted/test-1";
  }
  notConfigured(): string | null {
    return this.missing;
  }
  async reply(req: Parameters<AgentPort["reply"]>[0]): Promise<{ text: string; model: string }> {
    const history = req.history.map(flat);
    this.calls.push(history);
    return { text: await this.script(history, req.signal, req.onDelta), model: "scripted/1" };
  }
}

/** A channel that records deliveries; it can be told to fail the next N deliveries. */
export class RecordingChannel implements Channel {
  readonly id = "test";
  readonly account = "a1";
  readonly idempotentDelivery: boolean = true;
  delivered: OutboundMessage[] = [];
  failNext = 0;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async deliver(m: OutboundMessage): Promise<{ platformMessageId?: string }> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("platform unavailable");
    }
    this.delivered.push(m);
    return {};
  }
}

export interface Harness {
  store: Store;
  brain: Brain;
  agent: ScriptedAgent;
  channel: RecordingChannel;
  events: BrainEvent[];
  clock: { now: number };
  settings: {
    agentIds: readonly string[];
    defaultAgentId: string;
    historyLimit: number;
    reset: { mode: "daily" | "idle"; atHour: number; idleMinutes: number };
    timeoutSeconds: number;
    maxConcurrentRuns: number;
  };
  file: string;
}

/** A brain on a fresh (or given) database file; `epoch` is bumped as the gateway does at start. */
export function harness(
  opts: {
    file?: string;
    agent?: ScriptedAgent;
    /** What the brain asks instead of the scripted agent (a real agent over scripted models). */
    port?: AgentPort;
    tools?: BrainToolPorts;
    reapProcessGroups?: (groups: ProcessGroupRecord[]) => void | Promise<void>;
    channel?: RecordingChannel;
    maxDeliveryAttempts?: number;
  } = {},
): Harness {
  const file = opts.file ?? path.join(tmpDir(), "brain.db");
  const clock = { now: new Date(2026, 10, 21, 12, 0).getTime() };
  const store = openStore(file, { now: () => clock.now });
  const epoch = store.bumpEpoch();
  const agent = opts.agent ?? new ScriptedAgent();
  const channel = opts.channel ?? new RecordingChannel();
  const events: BrainEvent[] = [];
  const settings = {
    agentIds: ["main"] as readonly string[],
    defaultAgentId: "main",
    historyLimit: 50,
    reset: { mode: "daily" as "daily" | "idle", atHour: 4, idleMinutes: 120 },
    timeoutSeconds: 5,
    maxConcurrentRuns: 4,
  };
  const brain = new Brain({
    store,
    epoch,
    agent: opts.port ?? agent,
    ...(opts.tools ? { tools: opts.tools } : {}),
    ...(opts.reapProcessGroups ? { reapProcessGroups: opts.reapProcessGroups } : {}),
    logger: pino({ level: "silent" }),
    emit: (e) => events.push(e),
    settings: () => settings,
    sessionKeyOf: (ch, account, m) => sessionKey({ agentId: "main", channel: ch, account, kind: m.kind, peer: m.peer }, "per-channel-peer"),
    now: () => clock.now,
    maxDeliveryAttempts: opts.maxDeliveryAttempts ?? 4,
  });
  brain.addChannel(channel);
  return { store, brain, agent, channel, events, clock, settings, file };
}

/** A text message from `peer` with the platform id `id`. */
export function msg(id: string, text: string, peer = "ada") {
  return { messageId: id, kind: "dm" as const, peer, sender: peer, text, replyTo: id };
}

/** Waits until `cond` holds (polling), failing after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
