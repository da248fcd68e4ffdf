/**
 * Requests Node's HTTP parser refuses (a malformed request line, headers too large, headers sent
 * too slowly) get a proper answer, 400, 431 or 408 with `Connection: close`, and then the socket
 * ends; a client that resets right after sending one ends only its own connection.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { answerClientError, guardServer } from "../../src/server/sockets.ts";
import { gatewayFor } from "./raw-ws.ts";
import { assertAlive, repeat, sendAndRead, sendAndReset } from "./hostile.ts";

const MALFORMED = [
  "\u0000\u0001\u0002 / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
  "GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
];

test("a malformed request is answered 400 Bad Request with Connection: close, and the connection ends", async (t) => {
  const gw = await gatewayFor(t, {});
  for (const request of MALFORMED) {
    const answer = await sendAndRead(gw.port, request);
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/, `${JSON.stringify(request)} got ${JSON.stringify(answer.slice(0, 200))}`);
    assert.match(answer, /\r\nConnection: close\r\n/);
  }
  await assertAlive(gw);
});

test("a request whose headers pass Node's limit is answered 431 Request Header Fields Too Large", async (t) => {
  const gw = await gatewayFor(t, {});
  const answer = await sendAndRead(gw.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
  assert.match(answer, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/, JSON.stringify(answer.slice(0, 200)));
  assert.match(answer, /\r\nConnection: close\r\n/);
  await assertAlive(gw);
});

test("1,000 malformed or oversized requests reset by the client right after sending leave the gateway serving", async (t) => {
  const gw = await gatewayFor(t, {});
  const big = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`;
  await repeat(1000, 20, (i) => sendAndReset(gw.port, i % 2 ? big : MALFORMED[i % MALFORMED.length]!));
  await assertAlive(gw);
});

test("a client too slow to send its headers is answered 408 Request Timeout (the helper on a server with a short headers timeout)", async (t) => {
  const server = http.createServer({ headersTimeout: 200, requestTimeout: 1000, connectionsCheckingInterval: 50 }, (_req, res) => res.end("ok"));
  const guarded: string[] = [];
  guardServer(server, (err) => guarded.push(String((err as NodeJS.ErrnoException).code)));
  server.on("clientError", (err, socket) => answerClientError(err, socket));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  // Half a request line and never the rest: the server ends it, with its answer.
  const answer = await sendAndRead(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", 10_000);
  assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\nConnection: close\r\n/, JSON.stringify(answer));
});

test("the helper writes nothing to a socket that is already gone, and the error stays with the socket", async (t) => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  const socket = await accepted;
  const errors: unknown[] = [];
  socket.on("error", (e) => errors.push(e));
  client.resetAndDestroy();
  await new Promise((r) => socket.once("close", r));
  answerClientError(Object.assign(new Error("Parse Error"), { code: "HPE_INVALID_METHOD" }), socket);
  answerClientError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }), socket);
  assert.equal(socket.destroyed, true);
  assert.ok(
    errors.every((e) => ["ECONNRESET", "EPIPE"].includes((e as NodeJS.ErrnoException).code ?? "")),
    JSON.stringify(errors),
  );
});
