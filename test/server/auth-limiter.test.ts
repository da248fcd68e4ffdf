/** The failed-auth limiter and the secret comparison, in-process with an injected clock. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthFailureLimiter, checkCredentials, secretMatches, type AuthSettings } from "../../src/server/auth.ts";

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

test("the limiter counts failures per address and refuses only the address that reached the limit", () => {
  const c = clock();
  const limiter = new AuthFailureLimiter({ limit: 3, now: c.now });
  limiter.fail("198.51.100.1");
  limiter.fail("198.51.100.1");
  assert.equal(limiter.retryAfterMs("198.51.100.1"), 0, "two of three failures still allow a try");
  limiter.fail("198.51.100.1");
  assert.equal(limiter.retryAfterMs("198.51.100.1"), 60_000);
  assert.equal(limiter.retryAfterMs("198.51.100.2"), 0);
});

test("the window slides: an address may retry exactly when its oldest counted failure leaves the minute", () => {
  const c = clock();
  const limiter = new AuthFailureLimiter({ limit: 3, now: c.now });
  for (const gap of [0, 10_000, 10_000]) {
    c.advance(gap);
    limiter.fail("a");
  }
  const wait = limiter.retryAfterMs("a");
  assert.equal(wait, 40_000);
  c.advance(wait - 1);
  assert.equal(limiter.retryAfterMs("a"), 1);
  c.advance(1);
  assert.equal(limiter.retryAfterMs("a"), 0);
  limiter.fail("a");
  assert.equal(limiter.retryAfterMs("a"), 10_000, "one more failure refuses again until the next oldest expires");
  c.advance(60_000);
  assert.equal(limiter.retryAfterMs("a"), 0);
  assert.equal(limiter.size, 0, "expired addresses are forgotten");
});

test("the limiter keeps at most maxAddresses and drops the least recently failing first", () => {
  const limiter = new AuthFailureLimiter({ limit: 1, maxAddresses: 3, now: clock().now });
  for (const a of ["a", "b", "c", "a", "d", "e"]) limiter.fail(a);
  assert.equal(limiter.size, 3);
  assert.equal(limiter.retryAfterMs("b"), 0);
  assert.equal(limiter.retryAfterMs("c"), 0);
  for (const a of ["a", "d", "e"]) assert.ok(limiter.retryAfterMs(a) > 0, `${a} is still limited`);
});

test("a successful auth forgets the address's failures", () => {
  const limiter = new AuthFailureLimiter({ limit: 2, now: clock().now });
  limiter.fail("a");
  limiter.succeed("a");
  limiter.fail("a");
  assert.equal(limiter.retryAfterMs("a"), 0, "the failure before the success no longer counts");
  limiter.succeed("a");
  assert.equal(limiter.size, 0);
});

test("a lower limit after a reload applies to failures already counted", () => {
  const limiter = new AuthFailureLimiter({ limit: 5, now: clock().now });
  limiter.fail("a");
  limiter.fail("a");
  limiter.limit = 2;
  assert.ok(limiter.retryAfterMs("a") > 0);
});

test("secretMatches is true only for two equal, non-empty secrets", () => {
  assert.equal(secretMatches("s3cret-token", "s3cret-token"), true);
  assert.equal(secretMatches("s3cret-tokeN", "s3cret-token"), false);
  assert.equal(secretMatches("s3cret", "s3cret-token"), false);
  assert.equal(secretMatches("s3cret-token-and-more", "s3cret-token"), false);
  assert.equal(secretMatches(undefined, "s3cret-token"), false);
  assert.equal(secretMatches("s3cret-token", undefined), false);
  assert.equal(secretMatches(undefined, undefined), false);
  assert.equal(secretMatches("", ""), false);
});

test("checkCredentials wants the token in token mode and the password in password mode", () => {
  const token: AuthSettings = {
    mode: "token",
    token: "t",
    password: "p",
    tokenSource: "config",
    passwordSource: "config",
    modeSource: "file",
    modeFrom: "the config file",
  };
  assert.equal(checkCredentials(token, { token: "t" }), "ok");
  assert.equal(checkCredentials(token, { password: "t" }), "missing");
  assert.equal(checkCredentials(token, { token: "p" }), "wrong");
  const password: AuthSettings = { ...token, mode: "password" };
  assert.equal(checkCredentials(password, { password: "p" }), "ok");
  assert.equal(checkCredentials(password, { token: "p" }), "missing");
  assert.equal(checkCredentials({ ...token, mode: "none" }, {}), "ok");
});
