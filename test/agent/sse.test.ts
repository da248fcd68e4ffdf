/** The SSE parser: line endings, multi-line data, comments, and events split at any byte. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSse, SseLineParser, type SseEvent } from "../../src/agent/sse.ts";

/** A body as the transport gives it: chunks in order; `onReturn` tells when the reader let it go early. */
async function* streamOf(chunks: Uint8Array[], onReturn?: () => void): AsyncGenerator<Uint8Array> {
  let finished = false;
  try {
    for (const c of chunks) yield c;
    finished = true;
  } finally {
    if (!finished) onReturn?.();
  }
}

async function collect(chunks: Uint8Array[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const ev of parseSse(streamOf(chunks))) out.push(ev);
  return out;
}

const bytes = (s: string) => new TextEncoder().encode(s);

const SAMPLE =
  'event: message_start\r\ndata: {"a":1}\r\n\r\n: keep-alive comment\n\ndata: first line\ndata: second line\nid: 7\n\nevent: ping\rdata: {"é":"☃"}\r\r';
const EXPECTED: SseEvent[] = [
  { event: "message_start", data: '{"a":1}' },
  { event: "message", data: "first line\nsecond line", id: "7" },
  // The last event id carries over to later events, as the SSE spec says.
  { event: "ping", data: '{"é":"☃"}', id: "7" },
];

test("parses \\r\\n, \\n and \\r line endings, multi-line data, ids, and skips comments", async () => {
  assert.deepEqual(await collect([bytes(SAMPLE)]), EXPECTED);
});

test("gives the same events however the bytes are split, even inside \\r\\n or a multi-byte character", async () => {
  const all = bytes(SAMPLE);
  for (let cut = 1; cut < all.length; cut++) {
    assert.deepEqual(await collect([all.slice(0, cut), all.slice(cut)]), EXPECTED, `split at byte ${cut}`);
  }
  assert.deepEqual(await collect([...all].map((b) => Uint8Array.of(b))), EXPECTED, "one byte per chunk");
});

test("ignores an event with no data line, unknown fields and a byte-order mark; a bare `data` line is an empty payload", () => {
  const p = new SseLineParser();
  assert.deepEqual(p.push("\uFEFFevent: lonely\n\nretry: 10\nfoo: bar\ndata\n\n"), [{ event: "message", data: "" }]);
});

test("accepts data with no space after the colon and keeps further spaces", () => {
  assert.deepEqual(new SseLineParser().push("data:x\ndata:  two\n\n"), [{ event: "message", data: "x\n two" }]);
});

test("dispatches a last event that the server closed without a blank line", async () => {
  assert.deepEqual(await collect([bytes("data: [DONE]")]), [{ event: "message", data: "[DONE]" }]);
  assert.deepEqual(await collect([bytes("data: a\n\ndata: b\r")]), [
    { event: "message", data: "a" },
    { event: "message", data: "b" },
  ]);
});

test("lets the underlying body go when the reader stops early", async () => {
  let cancelled = false;
  const body = streamOf([bytes("data: 1\n\ndata: 2\n\n"), bytes("data: 3\n\n")], () => (cancelled = true));
  for await (const ev of parseSse(body)) {
    assert.equal(ev.data, "1");
    break;
  }
  assert.equal(cancelled, true);
});
