/**
 * Hostile senders against a real gateway's hooks: a body sent slowly and then reset mid-body, a
 * 10 MB body (declared, and chunked with no length), template values that try to be templates or
 * headers (they stay data), header folding, idempotency keys far over the limit, and twenty
 * concurrent sends of one key. Nothing half-sent is stored, one key is one delivery, and the
 * gateway serves on.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FakeModelServer } from "../helpers/fake-model.ts";
import type { RunningGateway } from "../helpers/gateway.ts";
import { reapAll } from "../gateway/support.ts";
import { hookConfig, hookGateway, post, rawRequest, rows, settled } from "./support.ts";

const fake = new FakeModelServer();
let gw: RunningGateway;
let base = "";
let token = "";

before(async () => {
  await fake.start();
  const config = hookConfig(fake, { hooks: { mappings: { issue: { message: "Issue: {{body.title}} / by {{headers.x-user}} / ref {{query.ref}}" } } } });
  ({ gw, base, token } = await hookGateway(config));
});
after(async () => {
  await gw?.stop();
  await fake.close();
  reapAll();
});

const stored = () => rows(gw.stateDir, "SELECT count(*) AS n FROM hook_deliveries")[0]!.n as number;
const head = (framing: string, extra = "") =>
  `POST /hooks/agent HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n${extra}${framing}`;

async function stillServing(): Promise<void> {
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const ok = await post(base, "/hooks/agent", { message: `still here ${Math.random()}` }, { token });
  assert.equal(ok.status, 202, JSON.stringify(ok.body));
}

test("a body sent slowly and reset mid-body is dropped whole: nothing stored, nothing answered, the gateway serves on", { timeout: 30_000 }, async () => {
  const before = stored();
  const body = Buffer.from(JSON.stringify({ message: "m".repeat(1900) }));
  const r = await rawRequest(gw.port, head(`Content-Length: ${body.length}`), body, { slow: 100, resetAfter: 600 });
  assert.equal(r.status, null, "no answer to a sender that reset");
  assert.equal(stored(), before);
  await stillServing();
});

test("a 10 MB body is refused with 413, declared or chunked, without being kept", { timeout: 60_000 }, async () => {
  const before = stored();
  const big = Buffer.alloc(10 * 1024 * 1024, "x");
  const declared = await rawRequest(gw.port, head(`Content-Length: ${big.length}`), big);
  assert.equal(declared.status, 413, declared.error ?? declared.text);
  const chunk = Buffer.concat([Buffer.from(`${big.length.toString(16)}\r\n`), big, Buffer.from("\r\n0\r\n\r\n")]);
  const chunked = await rawRequest(gw.port, head("Transfer-Encoding: chunked"), chunk);
  assert.equal(chunked.status, 413, chunked.error ?? chunked.text);
  assert.match(chunked.text, /hooks\.maxBodyBytes \(262144 bytes\)/);
  assert.equal(stored(), before);
  await stillServing();
});

test("template values that look like placeholders, code or headers are data: stored and shown as sent, never expanded", { timeout: 30_000 }, async () => {
  const title = "{{headers.authorization}}\r\nX-Injected: yes ${process.env.HOME} <script>";
  const sent = await post(
    base,
    `/hooks/issue?ref=${encodeURIComponent("{{headers.x-onebrain-hook-token}}")}`,
    { title },
    { token, headers: { "x-user": "{{body}}" } },
  );
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  assert.equal(sent.headers.get("x-injected"), null);
  const expected = `Issue: ${title} / by {{body}} / ref {{headers.x-onebrain-hook-token}}`;
  const inbound = rows(gw.stateDir, "SELECT text FROM inbound WHERE message_id = ?", sent.body.runId);
  assert.deepEqual(inbound, [{ text: expected }]);
  const view = await settled(base, token, sent.body.runId);
  assert.equal(view.reply.text, `echo: ${expected}`);
  const everything = JSON.stringify(rows(gw.stateDir, "SELECT text FROM inbound")) + JSON.stringify(rows(gw.stateDir, "SELECT content FROM messages"));
  assert.ok(!everything.includes(token), "the hook token is in no message");
});

test("a folded header (obs-fold) is refused by the parser with 400 and stores nothing", { timeout: 30_000 }, async () => {
  const before = stored();
  const body = Buffer.from(JSON.stringify({ message: "folded" }));
  const r = await rawRequest(gw.port, head(`Content-Length: ${body.length}`, "X-User: a\r\n X-Injected: yes\r\n"), body);
  assert.equal(r.status, 400, r.text);
  assert.equal(stored(), before);
});

test("idempotency keys over 256 characters are refused with 400 (over 16 KiB of headers: 431), never cut to match another", { timeout: 30_000 }, async () => {
  const before = stored();
  const near = await post(base, "/hooks/agent", { message: "x" }, { token, headers: { "idempotency-key": "k".repeat(257) } });
  assert.equal(near.status, 400);
  assert.equal(near.body.error.code, "HOOK_INVALID");
  assert.match(near.body.error.message, /Idempotency-Key header is 257 characters: an idempotency key has at most 256/);
  const huge = await post(base, "/hooks/agent", { message: "x" }, { token, headers: { "idempotency-key": "k".repeat(10_000) } });
  assert.equal(huge.status, 400);
  const body = Buffer.from(JSON.stringify({ message: "x" }));
  const over = await rawRequest(gw.port, head(`Content-Length: ${body.length}`, `Idempotency-Key: ${"k".repeat(20_000)}\r\n`), body);
  assert.equal(over.status, 431, over.text);
  assert.equal(stored(), before);
  const exact = await post(base, "/hooks/agent", { message: "x" }, { token, headers: { "idempotency-key": "k".repeat(256) } });
  assert.equal(exact.status, 202);
});

test("twenty concurrent sends of one key are one delivery: every answer names the same run", { timeout: 30_000 }, async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, () =>
      post(base, "/hooks/agent", { message: "same key, many times" }, { token, headers: { "idempotency-key": "concurrent-1" } }),
    ),
  );
  const ids = new Set(answers.map((a) => a.body.runId));
  assert.equal(ids.size, 1, JSON.stringify(answers.map((a) => a.body)));
  assert.deepEqual(
    answers.map((a) => a.status).sort((x, y) => x - y),
    [...Array(19).fill(200), 202],
  );
  assert.equal(rows(gw.stateDir, "SELECT count(*) AS n FROM hook_deliveries WHERE idempotency_key = 'agent:concurrent-1'")[0]!.n, 1);
  await settled(base, token, [...ids][0]!);
  assert.equal(fake.requests.filter((r) => JSON.stringify(r.body).includes("same key, many times")).length, 1, "one run");
});
