/**
 * The receipt gate: while a received message is not settled (stored, or not for the agent), every
 * frame the session writes waits, in order; settling releases them; a hold that runs out releases
 * them too; a closed session drops them. And the gate on Baileys' own WebSocketClient, writing to a
 * real socket: Baileys' await goes on at once, the bytes follow the commit, in order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { WebSocketServer } from "ws";
import { gateFrames, type GatedClient } from "../../../src/channels/whatsapp/baileys.ts";
import { ReceiptGate } from "../../../src/channels/whatsapp/receipt-gate.ts";

test("writes go at once while nothing is pending, wait in order behind pending messages, and go when the last is settled", () => {
  const gate = new ReceiptGate();
  const out: string[] = [];
  assert.equal(
    gate.send(() => out.push("a")),
    "now",
  );
  gate.arrived("M1");
  gate.arrived("M2");
  gate.arrived("M1");
  assert.equal(gate.holding, 2);
  assert.equal(
    gate.send(() => out.push("receipt M1")),
    "queued",
  );
  assert.equal(
    gate.send(() => out.push("receipt M2")),
    "queued",
  );
  gate.settle(["M1"]);
  assert.deepEqual(out, ["a"], "M2 still holds the frames");
  gate.settle(["M2", "unknown"]);
  assert.deepEqual(out, ["a", "receipt M1", "receipt M2"]);
  assert.equal(
    gate.send(() => out.push("b")),
    "now",
  );
  gate.close();
});

test("a hold runs out after holdMs (counted), and a closed gate drops what waited and refuses new writes", async () => {
  const gate = new ReceiptGate({ holdMs: 50 });
  const out: string[] = [];
  gate.arrived("never-settled");
  gate.send(() => out.push("x"));
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(out, ["x"]);
  assert.equal(gate.timedOut, 1);
  gate.arrived("M3");
  gate.send(() => out.push("dropped"));
  gate.close();
  gate.settle(["M3"]);
  assert.equal(
    gate.send(() => out.push("late")),
    "closed",
  );
  assert.deepEqual(out, ["x"]);
});

test(
  "on Baileys' WebSocketClient: a held write is answered at once, its bytes reach the server only after settle, in order",
  { timeout: 15_000 },
  async (t) => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise((r) => wss.once("listening", r));
    t.after(() => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    });
    const received: string[] = [];
    wss.on("connection", (ws) => ws.on("message", (d) => received.push((d as Buffer).toString())));
    // Baileys' own client class (its `socket` and events are what the gate relies on).
    const { WebSocketClient } = (await import("@whiskeysockets/baileys/lib/Socket/Client/websocket.js")) as unknown as {
      WebSocketClient: new (
        url: URL,
        config: Record<string, unknown>,
      ) => GatedClient & { connect(): void; close(): Promise<void>; emit(e: string, v: unknown): void; send(d: unknown, cb?: (e?: Error) => void): boolean };
    };
    const { port } = wss.address() as { port: number };
    const client = new WebSocketClient(new URL(`ws://127.0.0.1:${port}`), { connectTimeoutMs: 5000, options: {} });
    client.connect();
    await new Promise<void>((r) => (client as unknown as { once(e: string, f: () => void): void }).once("open", () => r()));
    const gate = gateFrames(client);
    // ws answers a write with null (sent) or an error.
    const sent = (data: string) => new Promise<Error | undefined>((resolve) => client.send(data, (err) => resolve(err ?? undefined)));
    assert.equal(await sent("hello"), undefined);
    client.emit("frame", { tag: "message", attrs: { id: "3A00000001" } });
    client.emit("frame", { tag: "receipt", attrs: { id: "other" } });
    assert.equal(gate.holding, 1, "only message stanzas hold");
    const answered = await Promise.race([sent("receipt 3A00000001"), new Promise((r) => setTimeout(() => r("not answered"), 1000))]);
    assert.equal(answered, undefined, "Baileys' await goes on while the bytes wait");
    await sent("presence");
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(received, ["hello"]);
    gate.settle(["3A00000001"]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(received, ["hello", "receipt 3A00000001", "presence"]);
    gate.close();
    assert.match(String(await sent("after close")), /Connection Closed/);
    void client.close();
  },
);
