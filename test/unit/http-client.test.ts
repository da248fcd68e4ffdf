/** The providers' HTTP client: keep-alive reuse, a body left early, aborts and bad schemes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { post } from "../../src/shared/http-client.ts";

/** A loopback server that streams `parts` (one per 25 ms) and counts the TCP connections it accepted. */
async function streamingServer(parts: string[]) {
  let connections = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/event-stream" });
    let i = 0;
    const next = () => (i < parts.length ? (res.write(parts[i++]), setTimeout(next, 25)) : res.end());
    next();
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, connections: () => connections, close: () => new Promise((r) => server.close(r)) };
}

test("a body left after its first chunk is drained, and the next request reuses the connection", async () => {
  const srv = await streamingServer(["data: 1\n\n", "data: 2\n\n", "data: [DONE]\n\n"]);
  try {
    const first = await post(srv.url, {}, "{}", new AbortController().signal);
    for await (const chunk of first.chunks()) {
      // On a loaded host the second part may already be in this chunk; the rest is left unread.
      assert.ok(chunk.startsWith("data: 1\n\n") && !chunk.includes("[DONE]"), JSON.stringify(chunk));
      break;
    }
    await new Promise((r) => setTimeout(r, 100)); // the rest of the first body arrives and is drained
    const second = await post(srv.url, {}, "{}", new AbortController().signal);
    let text = "";
    for await (const chunk of second.chunks()) text += chunk;
    assert.equal(text, "data: 1\n\ndata: 2\n\ndata: [DONE]\n\n");
    assert.equal(srv.connections(), 1);
  } finally {
    await srv.close();
  }
});

test("text(max) reads no further than max characters, and multi-byte characters split across chunks arrive whole", async () => {
  const srv = await streamingServer(["\u00e9\u2603".repeat(3), "x".repeat(5000)]);
  try {
    const res = await post(srv.url, {}, "{}", new AbortController().signal);
    assert.equal(res.status, 200);
    assert.equal(res.header("content-type"), "text/event-stream");
    assert.equal(await res.text(4), "\u00e9\u2603\u00e9\u2603");
  } finally {
    await srv.close();
  }
});

test("an abort while the body streams ends the read with an error; a refused connection names ECONNREFUSED", async () => {
  const srv = await streamingServer(Array.from({ length: 50 }, (_, i) => `data: ${i}\n\n`));
  try {
    const ac = new AbortController();
    const res = await post(srv.url, {}, "{}", ac.signal);
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(async () => {
      for await (const _ of res.chunks());
    });
  } finally {
    await srv.close();
  }
  await assert.rejects(post(srv.url, {}, "{}", new AbortController().signal), (e: NodeJS.ErrnoException) => e.code === "ECONNREFUSED");
});

test("a URL that is not http or https is refused with its scheme named", async () => {
  await assert.rejects(post("ftp://127.0.0.1/v1", {}, "{}", new AbortController().signal), /unsupported URL scheme "ftp:"/);
});
