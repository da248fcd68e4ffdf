/** The `message` tool with several agents on one brain: an agent may write to conversations it answered, never to another agent's. */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { enqueueReply } from "../../src/brain/runs.ts";
import { enqueueToolMessage } from "../../src/brain/tool-messages.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { tmpDir } from "../helpers/gateway.ts";

const T0 = Date.UTC(2026, 11, 1, 9, 0);

/** A conversation answered under session `key`: its inbound row and the reply in the outbox. */
function answered(store: Store, peer: string, key: string): void {
  const row = store
    .prepare(
      "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at, state) VALUES ('telegram', 'bot1', ?, ?, ?, 'hi', ?, 'answered') RETURNING id",
    )
    .get(`m-${peer}`, key, peer, T0) as { id: number };
  store.transaction(() =>
    enqueueReply(store, {
      inboundId: row.id,
      key: `reply:${row.id}`,
      channel: "telegram",
      account: "bot1",
      target: peer,
      replyTo: null,
      text: "hello",
      epoch: 1,
      now: T0,
    }),
  );
}

test("an agent's message goes to a conversation it answered, and is refused for one only another agent answered", () => {
  const store = openStore(path.join(tmpDir(), "brain.db"));
  answered(store, "501", "agent:home:main");
  answered(store, "502", "agent:work:telegram:bot1:dm:502");
  const from = (sessionKey: string) => ({
    origin: { sessionKey, channel: "webchat", account: "default", peer: "tab" },
    channels: [{ id: "telegram", account: "bot1" }],
    epoch: 1,
    now: T0,
  });
  const send = (to: string, sessionKey: string, n: number) =>
    store.transaction(() => enqueueToolMessage(store, { channel: "telegram", target: to, text: "note", idempotencyKey: `tool:${n}` }, from(sessionKey)));
  assert.equal(send("502", "agent:work:side", 1).ok, true, "work answered 502");
  const refused = send("501", "agent:work:side", 2);
  assert.deepEqual(refused, {
    ok: false,
    refused:
      '"501" is not a conversation this assistant has answered on telegram; send to the current conversation (leave target out) or to one it has answered.',
  });
  assert.equal(send("501", "agent:home:x", 3).ok, true, "home answered 501");
  assert.equal(send("502", "agent:home:x", 4).ok, false);
  // An agent id that is a prefix of another's is another agent.
  assert.equal(send("502", "agent:wor:x", 5).ok, false);
});
