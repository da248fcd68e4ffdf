/**
 * `browser status`'s fast path: which command lines it takes, and its loopback GET against real
 * sockets that answer in pieces, chunked, too much, never, or reset mid-answer. Whatever it cannot
 * read is null, so the full CLI answers instead.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { isPlainBrowserStatus } from "../../src/cli/browser/argv.ts";
import { loopbackGetJson, parseJsonAnswer } from "../../src/cli/browser/loopback-get.ts";

test("only a plain `browser status` takes the fast path", () => {
  assert.deepEqual(isPlainBrowserStatus(["browser", "status"]), { json: false });
  assert.deepEqual(isPlainBrowserStatus(["browser", "status", "--json", "--profile", "work"]), { json: true });
  assert.deepEqual(isPlainBrowserStatus(["--profile", "rescue", "browser", "status", "--profile=work"]), { json: false });
  assert.deepEqual(isPlainBrowserStatus(["--profile=rescue", "browser", "status"]), { json: false });
  for (const argv of [
    ["browser", "status", "--help"],
    ["browser", "tabs"],
    ["browser", "status", "extra"],
    ["browser", "status", "--json", "--json"],
    ["browser", "status", "--profile"],
    ["browser", "status", "--profile", "--json"],
    ["browser", "status", "--profile="],
    ["--profile", "browser", "status"],
    ["status", "browser"],
    ["--verbose", "browser", "status"],
  ])
    assert.equal(isPlainBrowserStatus(argv), null, argv.join(" "));
});

const answer = (body: string, headers = `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}`) =>
  Buffer.from(`HTTP/1.1 200 OK\r\n${headers}\r\n\r\n${body}`);

test("an answer is read only when it is complete, Content-Length framed and JSON", () => {
  assert.deepEqual(parseJsonAnswer(answer('{"a":1}')), { status: 200, body: { a: 1 } });
  assert.equal(parseJsonAnswer(answer('{"a":1}').subarray(0, 20)), "partial");
  assert.equal(parseJsonAnswer(answer('{"a":1}').subarray(0, -2)), "partial");
  assert.equal(parseJsonAnswer(answer('{"a":1}', "Content-Type: application/json\r\nTransfer-Encoding: chunked")), null);
  assert.equal(parseJsonAnswer(answer('{"a":1}', "Content-Type: text/html\r\nContent-Length: 7")), null);
  assert.equal(parseJsonAnswer(answer('{"a":1', "Content-Type: application/json\r\nContent-Length: 6")), null);
  assert.equal(parseJsonAnswer(answer('{"a":1}', "Content-Type: application/json\r\nContent-Length: 7\r\nContent-Length: 8")), null);
  assert.equal(parseJsonAnswer(answer('{"a":1}', "Content-Type: application/json\r\nContent-Length: 5")), null, "more than announced");
  assert.equal(parseJsonAnswer(answer('{"a":1}', "Content-Type: application/json\r\nContent-Length: -7")), null);
  assert.equal(parseJsonAnswer(Buffer.from("SSH-2.0-OpenSSH_9.2\r\n\r\n")), null);
  assert.equal(parseJsonAnswer(Buffer.alloc(70 * 1024, "a")), null, "no header end in 64 KB");
});

const servers: net.Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** A raw TCP server on loopback that does `onRequest` with each connection once a request arrives. */
async function rawServer(onRequest: (socket: net.Socket, request: string) => void): Promise<number> {
  const server = net.createServer((socket) => {
    let req = "";
    socket.on("data", (c) => {
      req += c.toString("latin1");
      if (req.includes("\r\n\r\n")) onRequest(socket, req);
    });
    socket.on("error", () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

test("the GET sends the path and credentials, and reads an answer that arrives in pieces", async () => {
  let seen = "";
  const port = await rawServer((socket, req) => {
    seen = req;
    const bytes = answer(JSON.stringify({ enabled: true, text: "é".repeat(3000) }));
    let at = 0;
    const drip = () => {
      socket.write(bytes.subarray(at, at + 700));
      at += 700;
      if (at < bytes.length) setTimeout(drip, 2);
    };
    drip(); // the socket stays open: the answer is complete by its length
  });
  const got = await loopbackGetJson(port, "/status?profile=work", "Bearer s3cret", 5000);
  assert.equal(got?.status, 200);
  assert.equal((got!.body as { text: string }).text.length, 3000);
  assert.match(seen, /^GET \/status\?profile=work HTTP\/1\.1\r\n/);
  assert.match(seen, /\r\nAuthorization: Bearer s3cret\r\n/);
});

test("a reset mid-answer, an answer that never comes, a refused port and an endless answer are null", async () => {
  const reset = await rawServer((socket) => {
    socket.write(answer('{"enabled":true,"profiles":[]}').subarray(0, 60));
    setTimeout(() => socket.resetAndDestroy(), 5);
  });
  assert.equal(await loopbackGetJson(reset, "/status", null, 5000), null);

  const silent = await rawServer(() => {});
  const t0 = Date.now();
  assert.equal(await loopbackGetJson(silent, "/status", null, 200), null);
  assert.ok(Date.now() - t0 < 2000, "gives up at its timeout");

  const closed = await rawServer(() => {});
  servers.at(-1)!.close();
  assert.equal(await loopbackGetJson(closed, "/status", null, 2000), null);

  const endless = await rawServer((socket) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9999999\r\n\r\n");
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      if (!socket.destroyed && socket.write(chunk)) setImmediate(pump);
      else socket.once("drain", pump);
    };
    pump();
  });
  assert.equal(await loopbackGetJson(endless, "/status", null, 5000), null, "stops reading past 1 MB");
});
