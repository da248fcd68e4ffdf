/** The retry loop on its own, with a scripted `send` and an injected clock: no HTTP, no waiting. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffMs, completeWithRetries, defaultRetryPolicy, parseRetryAfter, systemClock, type RetryClock, type SendOnce } from "../../src/agent/retry.ts";
import { failureDetails, isRetryableStatus, modelFailure } from "../../src/agent/failure.ts";
import type { CompletionRequest } from "../../src/agent/provider.ts";
import { OnebrainError } from "../../src/shared/errors.ts";

const who = { provider: "p", model: "m" };
const NOW = Date.parse("2025-01-01T00:00:00Z");
const ok = { text: "hi", toolCalls: [], provider: "p", model: "m", stopReason: "end_turn", cut: false, refused: false, usage: null };
const http = (status: number, retryAfter?: string) =>
  modelFailure(who, "http", `HTTP ${status}`, { httpStatus: status, retryable: isRetryableStatus(status), ...(retryAfter ? { retryAfter } : {}) });

function clock(sleeps: number[], now = NOW): RetryClock {
  return { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, now: () => now };
}

/** A send that throws the scripted errors in turn, then answers. */
function scripted(...errors: Error[]): SendOnce & { calls: number } {
  const send = Object.assign(
    async () => {
      send.calls++;
      const e = errors.shift();
      if (e) throw e;
      return ok;
    },
    { calls: 0 },
  );
  return send;
}

const req = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  system: "",
  messages: [{ role: "user", content: "x" }],
  maxTokens: 10,
  signal: new AbortController().signal,
  ...over,
});

async function failure(p: Promise<unknown>): Promise<OnebrainError> {
  const err = await p.then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OnebrainError);
  return err;
}

test("reads Retry-After as seconds or as an HTTP date, and ignores garbage", () => {
  assert.equal(parseRetryAfter("7", NOW), 7_000);
  assert.equal(parseRetryAfter(" 1.5 ", NOW), 1_500);
  assert.equal(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW), 30_000);
  assert.equal(parseRetryAfter(new Date(NOW - 5_000).toUTCString(), NOW), 0);
  assert.equal(parseRetryAfter("soon", NOW), undefined);
  assert.equal(parseRetryAfter(undefined, NOW), undefined);
});

test("backs off with full jitter under a ceiling that doubles up to the maximum", () => {
  const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1_000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backoffMs(n, policy, () => 0.999)),
    [99, 199, 399, 799, 999],
  );
  assert.equal(
    backoffMs(3, policy, () => 0),
    0,
  );
});

test("retries 408, 409, 429, 5xx and 529 but no other 4xx", () => {
  for (const s of [408, 409, 429, 500, 502, 503, 504, 529]) assert.equal(isRetryableStatus(s), true, String(s));
  for (const s of [400, 401, 403, 404, 413, 422]) assert.equal(isRetryableStatus(s), false, String(s));
});

test("honours a Retry-After given as an HTTP date", async () => {
  const sleeps: number[] = [];
  const send = scripted(http(429, new Date(NOW + 12_000).toUTCString()));
  const result = await completeWithRetries(who, send, req(), defaultRetryPolicy, clock(sleeps));
  assert.equal(result.attempts, 2);
  assert.deepEqual(sleeps, [12_000]);
});

test("fails at once when Retry-After asks for more than the cap, so a fallback can answer", async () => {
  const sleeps: number[] = [];
  const err = await failure(completeWithRetries(who, scripted(http(429, "3600")), req(), defaultRetryPolicy, clock(sleeps)));
  assert.deepEqual(sleeps, []);
  assert.match(err.message, /asked to wait 3600 s, more than the 60 s/);
});

test("never waits past the caller's deadline", async () => {
  const sleeps: number[] = [];
  const err = await failure(completeWithRetries(who, scripted(http(503, "20")), req({ deadline: NOW + 10_000 }), defaultRetryPolicy, clock(sleeps)));
  assert.deepEqual(sleeps, []);
  assert.equal(failureDetails(err)?.httpStatus, 503);
  assert.match(err.message, /deadline/);
});

test("never retries once a delta was streamed, even on a retryable error", async () => {
  const deltas: string[] = [];
  const send: SendOnce = async (_req, attempt) => {
    attempt.onDelta("partial ");
    throw http(500);
  };
  const err = await failure(completeWithRetries(who, send, req({ onDelta: (t) => deltas.push(t) }), defaultRetryPolicy, clock([])));
  assert.deepEqual(deltas, ["partial "]);
  assert.deepEqual([failureDetails(err)?.attempts, failureDetails(err)?.streamed], [1, true]);
});

test("never retries once part of a tool call arrived, though no text reached the listener", async () => {
  const deltas: string[] = [];
  const send: SendOnce = async (_req, attempt) => {
    attempt.onToolFragment();
    throw http(500);
  };
  const err = await failure(completeWithRetries(who, send, req({ onDelta: (t) => deltas.push(t) }), defaultRetryPolicy, clock([])));
  assert.deepEqual(deltas, []);
  assert.deepEqual([failureDetails(err)?.attempts, failureDetails(err)?.streamed], [1, true]);
});

test("turns any other thrown error into a retryable network failure", async () => {
  const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
  const send = scripted(refused);
  const result = await completeWithRetries(who, send, req(), defaultRetryPolicy, clock([]));
  assert.equal(result.attempts, 2);
  const err = await failure(completeWithRetries(who, scripted(refused), req(), { ...defaultRetryPolicy, retries: 0 }, clock([])));
  assert.deepEqual([failureDetails(err)?.kind, err.message], ["network", "p/m: network error: ECONNREFUSED"]);
});

test("an abort during the backoff ends the loop at once with no further attempt", async () => {
  const ac = new AbortController();
  const send = scripted(http(500), http(500));
  // A real sleep of a minute, cancelled a moment in.
  const sleepy: RetryClock = { ...clock([]), sleep: (_ms, signal) => (setTimeout(() => ac.abort(), 5), systemClock.sleep(60_000, signal)) };
  const err = await failure(completeWithRetries(who, send, req({ signal: ac.signal }), defaultRetryPolicy, sleepy));
  assert.equal(failureDetails(err)?.kind, "aborted");
  assert.equal(send.calls, 1);
});

test("a run signal that is already aborted makes no request at all", async () => {
  const send = scripted();
  const err = await failure(completeWithRetries(who, send, req({ signal: AbortSignal.abort() }), defaultRetryPolicy, clock([])));
  assert.equal(failureDetails(err)?.kind, "aborted");
  assert.equal(send.calls, 0);
});
