/** Which banner state a failed attempt becomes (docs/console.md, "The connection banner"). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnoseCheck, diagnoseClose } from "../../console/src/link/diagnose.ts";

const check = (seen: boolean, upgraded: boolean, refused: { status: number; reason: string } | null = null) => ({
  kind: "http" as const,
  status: 200,
  body: { attempt: "x".repeat(22), seen, upgraded, refused, at: seen ? 1 : null },
});

test("a ws-check that cannot be fetched at all means unreachable, retried", () => {
  const d = diagnoseCheck({ kind: "network-error", message: "fetch failed" });
  assert.equal(d.state, "unreachable");
  assert.equal(d.retry.kind, "backoff");
  assert.equal(d.transient, true);
});

test("a 502 page from a proxy means proxy-error with that status, retried", () => {
  const d = diagnoseCheck({ kind: "http", status: 502, body: undefined });
  assert.deepEqual([d.state, d.httpStatus, d.retry.kind], ["proxy-error", 502, "backoff"]);
  assert.match(d.detail, /HTTP 502/);
});

test("a 200 that is not the gateway's JSON answer is a proxy speaking too", () => {
  assert.equal(diagnoseCheck({ kind: "http", status: 200, body: undefined }).state, "proxy-error");
  assert.equal(diagnoseCheck({ kind: "http", status: 200, body: { hello: 1 } }).state, "proxy-error");
});

test("an attempt the gateway never saw was blocked on the way: unreachable, not a restart", () => {
  const d = diagnoseCheck(check(false, false));
  assert.equal(d.state, "unreachable");
  assert.notEqual(d.transient, true);
  assert.match(d.detail, /never reached it/);
});

test("an attempt seen as plain HTTP is proxy-no-upgrade and waits for the operator", () => {
  const d = diagnoseCheck(check(true, false));
  assert.deepEqual([d.state, d.retry.kind], ["proxy-no-upgrade", "manual"]);
  assert.match(d.detail, /Upgrade and Connection headers/);
});

test("a refused upgrade says why; a foreign origin is not retried, a rate limit or a shutdown is", () => {
  const origin = diagnoseCheck(check(true, false, { status: 403, reason: "origin not allowed" }));
  assert.deepEqual([origin.state, origin.retry.kind, origin.httpStatus], ["refused", "manual", 403]);
  assert.match(origin.detail, /allowedOrigins/);
  assert.equal(diagnoseCheck(check(true, false, { status: 429, reason: "rate limited" })).retry.kind, "backoff");
  const down = diagnoseCheck(check(true, false, { status: 503, reason: "shutting down" }));
  assert.deepEqual([down.state, down.retry.kind], ["refused", "backoff"]);
  assert.match(down.detail, /shutting down/);
});

test("close 4001 and AUTH_FAILED are auth-failed with no retry", () => {
  for (const [code, err] of [
    [4001, null],
    [4001, { code: "AUTH_FAILED", message: "wrong token" }],
    [1006, { code: "AUTH_FAILED", message: "wrong token" }],
  ] as const) {
    const d = diagnoseClose(code, "", err);
    assert.deepEqual([d.state, d.retry.kind], ["auth-failed", "manual"], `close ${code}`);
  }
  assert.match(diagnoseClose(4001, "", { code: "AUTH_FAILED", message: "x" }).detail, /refused the token/);
});

test("AUTH_REQUIRED (no secret was sent: a first visit) is a neutral sign-in, not a refusal", () => {
  for (const code of [4001, 1006]) {
    const d = diagnoseClose(code, "", { code: "AUTH_REQUIRED", message: "needs a token" });
    assert.deepEqual([d.state, d.retry.kind], ["sign-in", "manual"], `close ${code}`);
    assert.match(d.detail, /needs a token or password/);
    assert.doesNotMatch(d.detail, /refused|failed|wrong/i);
  }
});

test("every close code reads as its own sentence; the number is only a footnote", () => {
  const known = [1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 4002, 4005, 4008];
  const words = new Map<string, number>();
  for (const code of [...known, 3000, 4999]) {
    const { detail } = diagnoseClose(code, "", null);
    const withoutNumber = detail.replace(/\(close code \d+\)/, "").trim();
    assert.doesNotMatch(withoutNumber, /\d{4}/, `close ${code}: "${detail}" has a bare code in its words`);
    assert.ok(withoutNumber.split(/\s+/).length >= 5, `close ${code} is explained in words: "${detail}"`);
    assert.match(detail, new RegExp(`\\(close code ${code}\\)\\.?$`), `close ${code} keeps its number as a footnote`);
    if (known.includes(code)) {
      assert.ok(!words.has(withoutNumber), `close ${code} has its own sentence, not that of ${words.get(withoutNumber)}: "${detail}"`);
      words.set(withoutNumber, code);
    }
  }
  assert.match(diagnoseClose(1006, "", null).detail, /without a closing handshake/);
  assert.equal(
    diagnoseClose(4999, "maintenance window", null).detail,
    "The connection closed for a reason this console does not know: maintenance window. (close code 4999)",
  );
});

test("a shutdown (1001), a slow-consumer cut (4008) and a plain drop (1006) are reconnecting with backoff", () => {
  for (const code of [1001, 4008, 1006, 4002]) {
    const d = diagnoseClose(code, "", null);
    assert.deepEqual([d.state, d.retry.kind], ["reconnecting", "backoff"], `close ${code}`);
  }
});
