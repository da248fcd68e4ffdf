/**
 * `/approve` typed in a chat, through an in-process brain on a real store: the run that asked is
 * busy waiting, so the answer is taken at ingest (never queued behind it, never a run of its own),
 * and only the owner of the conversation that asked may give it. Everyone else gets a notice.
 */
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import pino from "pino";
import { ApprovalService } from "../../src/approvals/service.ts";
import type { Decision } from "../../src/approvals/types.ts";
import { announceInChat } from "../../src/brain/approval-chat.ts";
import { parseApprove } from "../../src/brain/approve-command.ts";
import { Brain, type AgentPort } from "../../src/brain/brain.ts";
import type { InboundMessage } from "../../src/channels/channel.ts";
import { WebChatChannel } from "../../src/channels/webchat.ts";
import { sessionKey } from "../../src/sessions/keys.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { RecordingChannel, until } from "../brain/harness.ts";
import { tmpDir } from "../helpers/gateway.ts";
import { lsAsk } from "./support.ts";

/** An agent that, like the tool loop, asks for an approval in the middle of its run and answers with the decision. */
class AskingAgent implements AgentPort {
  calls = 0;
  decisions: Decision[] = [];
  private readonly rig: () => { brain: Brain; approvals: ApprovalService };
  constructor(rig: () => { brain: Brain; approvals: ApprovalService }) {
    this.rig = rig;
  }
  describe(): string {
    return "scripted/test-1";
  }
  notConfigured(): string | null {
    return null;
  }
  async reply(req: Parameters<AgentPort["reply"]>[0]): Promise<{ text: string; model: string }> {
    this.calls++;
    const { brain, approvals } = this.rig();
    const run = brain.activeRuns().find((r) => r.sessionKey === req.sessionKey)!;
    const [, , channel, account, , peer] = req.sessionKey.split(":");
    const origin = { runId: run.runId, callId: `call-${this.calls}`, sessionKey: req.sessionKey, channel: channel!, account: account!, peer: peer! };
    const d = await approvals.request(lsAsk(), origin, req.signal);
    this.decisions.push(d);
    return { text: `decision: ${d.decision}`, model: "scripted/1" };
  }
}

interface Rig {
  store: Store;
  brain: Brain;
  approvals: ApprovalService;
  agent: AskingAgent;
  channel: RecordingChannel;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.brain.stop(0);
    r.approvals.stop();
    r.store.close();
  }
});

/** A started brain whose channel `test`/`a1` records deliveries and whose agent asks for approval. */
function rig(): Rig {
  const store = openStore(path.join(tmpDir(), "brain.db"));
  const epoch = store.bumpEpoch();
  let brain!: Brain;
  const approvals = new ApprovalService({
    store,
    config: () => ({ askFallback: "deny", askTimeoutSeconds: 120, allowlist: [] }),
    announce: announceInChat({ store, epoch, deliver: () => void brain.deliver() }),
    logger: pino({ level: "silent" }),
  });
  const agent = new AskingAgent(() => ({ brain, approvals }));
  const channel = new RecordingChannel();
  brain = new Brain({
    store,
    epoch,
    agent,
    logger: pino({ level: "silent" }),
    emit: () => {},
    chatApprovals: approvals,
    settings: () => ({
      agentIds: ["main"],
      defaultAgentId: "main",
      historyLimit: 50,
      reset: { mode: "daily", atHour: 4, idleMinutes: 120 },
      timeoutSeconds: 60,
      maxConcurrentRuns: 4,
    }),
    sessionKeyOf: (ch, account, m) => sessionKey({ agentId: "main", channel: ch, account, kind: m.kind, peer: m.peer }, "per-channel-peer"),
  });
  brain.addChannel(channel);
  brain.addChannel(new WebChatChannel());
  brain.start();
  const r = { store, brain, approvals, agent, channel };
  rigs.push(r);
  return r;
}

const says = (id: string, text: string, o: Partial<InboundMessage> = {}): InboundMessage => ({
  messageId: id,
  kind: "dm",
  peer: "ada",
  sender: "ada",
  text,
  replyTo: id,
  owner: true,
  ...o,
});

/** Sends the first message and returns the approval id the chat was told. */
async function askedInChat(r: Rig): Promise<string> {
  await r.brain.ingest("test", "a1", { messages: [says("m1", "list my files")] });
  await until(() => r.channel.delivered.some((d) => d.text.startsWith("Approval needed")));
  const asked = r.channel.delivered.find((d) => d.text.startsWith("Approval needed"))!;
  assert.equal(asked.target, "ada");
  assert.equal(asked.replyTo, "m1", "the request threads under the message whose run asked");
  return /^Approval needed \(([A-Z0-9]{8})\)/.exec(asked.text)![1]!;
}

/** The reply the chat got to message `id` (its outbox row's text). */
const replyTo = (r: Rig, id: string): string | undefined => r.channel.delivered.find((d) => d.idempotencyKey === `reply:${inboundId(r, id)}`)?.text;
const inboundId = (r: Rig, messageId: string): number => (r.store.prepare("SELECT id FROM inbound WHERE message_id = ?").get(messageId) as { id: number }).id;
const runsOf = (r: Rig, messageId: string): number =>
  (r.store.prepare("SELECT count(*) AS n FROM runs WHERE inbound_id = ?").get(inboundId(r, messageId)) as { n: number }).n;

test("the owner of the chat that asked answers with /approve at ingest: the waiting run wakes, and the command is never a run", async () => {
  const r = rig();
  const id = await askedInChat(r);
  await r.brain.ingest("test", "a1", { messages: [says("m2", `/approve ${id.toLowerCase()} allow-once`)] });
  await until(() => r.channel.delivered.some((d) => d.text === "decision: allow-once"));
  assert.deepEqual(r.agent.decisions, [{ decision: "allow-once", approvalId: id, by: "test:ada" }]);
  assert.equal(replyTo(r, "m2"), `Allowed once (${id}): \`/usr/bin/ls -la 'my dir'\` runs now.`);
  assert.equal(r.agent.calls, 1, "the model was asked once: /approve reached no agent");
  assert.equal(runsOf(r, "m2"), 0, "never a run");
  assert.equal((r.store.prepare("SELECT state FROM inbound WHERE message_id = 'm2'").get() as { state: string }).state, "answered");
  assert.equal((r.store.prepare("SELECT state FROM approvals WHERE id = ?").get(id) as { state: string }).state, "allow-once");
});

test("a non-owner, the owner of another chat, an unknown id and a wrong answer each get a notice; the request stays pending", async () => {
  const r = rig();
  const id = await askedInChat(r);
  await r.brain.ingest("test", "a1", {
    messages: [
      says("n1", `/approve ${id} allow-always`, { owner: false, guest: true }),
      says("n2", `/approve ${id} allow-once`, { peer: "bob", sender: "bob" }),
      says("n3", "/approve ZZZZ2222 deny"),
      says("n4", `/approve ${id} once`),
      says("n5", "/approve"),
    ],
  });
  await until(() => ["n1", "n2", "n3", "n4", "n5"].every((m) => replyTo(r, m) !== undefined));
  assert.equal(replyTo(r, "n1"), "Only the owner of this chat can answer approvals.");
  assert.equal(
    replyTo(r, "n2"),
    `Approval ${id} was asked in another conversation: answer it there, in the console, or with \`onebrain approvals allow ${id}\`.`,
  );
  assert.equal(replyTo(r, "n3"), "There is no approval ZZZZ2222: check the ID in the request (8 characters).");
  assert.equal(replyTo(r, "n4"), `"once" is not an answer: reply /approve ${id} followed by allow-once, allow-always or deny.`);
  assert.equal(replyTo(r, "n5"), "Usage: /approve ID allow-once | allow-always | deny. The ID is in the approval request.");
  for (const m of ["n1", "n2", "n3", "n4", "n5"]) assert.equal(runsOf(r, m), 0, `${m} is never a run`);
  assert.equal((r.store.prepare("SELECT state FROM approvals WHERE id = ?").get(id) as { state: string }).state, "pending");
  assert.deepEqual(r.agent.decisions, [], "the run still waits");

  // The owner then denies it, with a reason; a second answer is told it is too late.
  await r.brain.ingest("test", "a1", { messages: [says("m3", `/approve ${id} deny not on a Friday`), says("m4", `/approve ${id} allow-once`)] });
  await until(() => r.channel.delivered.some((d) => d.text === "decision: deny"));
  assert.deepEqual(r.agent.decisions, [{ decision: "deny", approvalId: id, by: "test:ada", reason: "not on a Friday" }]);
  assert.equal(replyTo(r, "m3"), `Denied (${id}): \`/usr/bin/ls -la 'my dir'\` will not run.`);
  assert.match(replyTo(r, "m4") ?? "", new RegExp(`^Approval ${id} was already answered: deny by test:ada at .+\\.$`));
});

test("WebChat's sender is the operator: /approve there answers a request from any chat", async () => {
  const r = rig();
  const id = await askedInChat(r);
  await r.brain.ingest("webchat", "default", { messages: [says("w1", `/approve ${id} allow-once`, { peer: "agent:main:main", sender: "onebrain-console" })] });
  await until(() => r.agent.decisions.length === 1);
  assert.deepEqual(r.agent.decisions, [{ decision: "allow-once", approvalId: id, by: "webchat:onebrain-console" }]);
  assert.equal(runsOf(r, "w1"), 0);
});

test("/approve is recognised with a bot mention and any case; anything else is an ordinary message", () => {
  assert.deepEqual(parseApprove("/approve@onebrain_bot abcd2345 allow-always"), { ok: true, id: "abcd2345", decision: "allow-always" });
  assert.deepEqual(parseApprove("  /APPROVE ABCD2345 DENY too risky\n today "), { ok: true, id: "ABCD2345", decision: "deny", reason: "too risky today" });
  assert.equal(parseApprove("/approver ABCD2345 deny"), null);
  assert.equal(parseApprove("please /approve ABCD2345 deny"), null);
  assert.equal(parseApprove("/approve ABCD2345")?.ok, false);
});
