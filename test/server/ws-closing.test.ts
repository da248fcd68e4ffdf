/**
 * Sockets the server decides to close: a slow consumer is cut off instead of buffered without
 * bound, and nothing a client pipelined behind a refused frame is processed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { httpGet } from "../helpers/gateway.ts";
import { eventually, gatewayFor, openRaw } from "./raw-ws.ts";

const TOKEN = "tok-closing-5e8a2f4c9d1b";

test("a client that stops reading is closed as a slow consumer and the gateway stays healthy", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN }, ws: { maxBufferedBytes: 1024 } } });
  const c = await openRaw(gw.port);
  assert.equal((await c.connect({ token: TOKEN })).ok, true);
  const socket = (c.ws as unknown as { _socket: Socket })._socket;
  socket.pause();

  // Kernel socket buffers absorb megabytes first, so keep asking until the gateway reports the cut-off.
  let cutOff = false;
  void gw.waitFor("closing slow consumer", 20_000).then(
    () => (cutOff = true),
    () => {},
  );
  let sent = 0;
  while (!cutOff && sent < 100_000) {
    for (let i = 0; i < 1000; i++) c.ws.send(JSON.stringify({ type: "req", id: `s${sent++}`, method: "status" }));
    await sleep(50);
  }
  assert.ok(cutOff, `no slow-consumer cut-off after ${sent} unread status answers`);
  socket.resume();
  const end = await c.closed;
  assert.ok([4008, 1006].includes(end.code), `closed with 4008 or terminated, got ${end.code}`);
  const answered = c.frames.filter((f) => f.type === "res").length;
  assert.ok(answered < sent, "the gateway stopped answering once it cut the client off");

  const readyz = await httpGet(gw.port, "/readyz");
  assert.equal(readyz.status, 200, JSON.stringify(readyz.body));
  const next = await connectGateway({ url: `ws://127.0.0.1:${gw.port}/`, token: TOKEN });
  assert.equal((await next.request<{ ok: boolean }>("health")).ok, true);
  await next.close();
});

test("frames pipelined behind a refused first request are not processed", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN } } });
  const c = await openRaw(gw.port);
  const hello = { minProtocol: 1, maxProtocol: 1, client: { id: "pipelined", version: "0.0.0", platform: "test", mode: "test" }, auth: { token: TOKEN } };
  c.ws.send(JSON.stringify({ type: "req", id: "1", method: "health" }));
  c.ws.send(JSON.stringify({ type: "req", id: "2", method: "connect", params: hello }));
  c.ws.send(JSON.stringify({ type: "req", id: "3", method: "status" }));
  assert.equal((await c.closed).code, 1008);
  assert.deepEqual(
    c.frames.filter((f) => f.type === "res").map((f) => [f.id, f.error?.code]),
    [["1", "NOT_CONNECTED"]],
  );

  const probe = await connectGateway({ url: `ws://127.0.0.1:${gw.port}/`, token: TOKEN, clientId: "probe" });
  let connectedIds: string[] = [];
  await eventually(async () => {
    const tail = await probe.request<{ lines: string[] }>("logs.tail");
    connectedIds = tail.lines
      .map((l) => JSON.parse(l))
      .filter((r) => r.msg === "client connected")
      .map((r) => r.clientId);
    return connectedIds.includes("probe");
  }, "the probe's own connect is logged");
  assert.deepEqual(connectedIds, ["probe"], "a socket being closed for breaking the protocol is never authenticated");
  await probe.close();
});
