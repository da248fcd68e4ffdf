/**
 * The pure parts of Discord's sending side: splitting at 2000 characters, allowed mentions, part
 * nonces, snowflake times, and what each failure of a send means for the core.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiscordAPIError, HTTPError, RateLimitError } from "../../src/channels/discord/rest.ts";
import { splitText } from "../../src/channels/split.ts";
import { allowedMentions } from "../../src/channels/discord/mentions.ts";
import { NONCE_MAX, partNonce, snowflakeAt, snowflakeTime, newerId } from "../../src/channels/discord/ids.ts";
import { classifySend } from "../../src/channels/discord/failures.ts";

test("a long reply splits into parts of at most 2000 characters on paragraph, then line, then word boundaries", () => {
  const para = "word ".repeat(300).trim(); // 1499 characters
  const parts = splitText(`${para}\n\n${para}\n\n${para}`, 2000);
  assert.equal(parts.length, 3);
  for (const p of parts) assert.ok(p.length <= 2000 && p === para);
  const words = splitText("abc ".repeat(1000), 2000);
  for (const p of words) assert.ok(p.length <= 2000 && !p.startsWith(" ") && !p.endsWith("ab"), JSON.stringify(p.slice(-10)));
  assert.equal(words.join(" ").split(/\s+/).length, 1000);
});

test("a code fence cut by a split is closed at the end of a part and reopened with its language in the next", () => {
  const code = Array.from({ length: 200 }, (_, i) => `  line(${i}); // some code here`).join("\n");
  const parts = splitText(`Here:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nDone.`, 2000);
  assert.ok(parts.length >= 3);
  for (const p of parts) {
    assert.ok(p.length <= 2000);
    assert.equal((p.match(/^```/gm) ?? []).length % 2, 0, `fences balanced in ${JSON.stringify(p.slice(0, 40))}`);
  }
  assert.ok(parts[1]!.startsWith("```ts\n  line("), "reopened with the info string and the indentation kept");
});

test("a split never cuts inside a surrogate pair, and emoji-only text keeps every character", () => {
  const text = "😀".repeat(1500); // 3000 UTF-16 units, no spaces
  const parts = splitText(text, 2000);
  for (const p of parts) {
    assert.ok(p.length <= 2000);
    assert.ok(!/[\ud800-\udbff]$/.test(p) && !/^[\udc00-\udfff]/.test(p));
  }
  assert.equal(parts.join(""), text);
});

test("only the allowed kinds of mentions ping; users by default, and the replied-to person with them", () => {
  assert.deepEqual(allowedMentions(["users"]), { parse: ["users"], replied_user: true });
  assert.deepEqual(allowedMentions([]), { parse: [], replied_user: false });
  assert.deepEqual(allowedMentions(["roles", "everyone", "roles"]), { parse: ["roles", "everyone"], replied_user: false });
});

test("a part's nonce is stable across attempts, distinct per part and per reply, and at most 25 characters", () => {
  const a0 = partNonce("reply-1", 0);
  assert.equal(partNonce("reply-1", 0), a0);
  assert.ok(a0.length <= NONCE_MAX && /^[A-Za-z0-9_-]+$/.test(a0));
  const all = new Set([a0, partNonce("reply-1", 1), partNonce("reply-2", 0), partNonce("reply-1", 10), partNonce("reply-11", 0)]);
  assert.equal(all.size, 5);
});

test("a snowflake's time comes from its top bits, exact beyond a double's 53 bits, and ids compare as BigInt", () => {
  const id = "1172155373532631110"; // > 2^53
  const ms = snowflakeTime(id)!;
  assert.equal(ms, Number(BigInt(id) >> 22n) + 1420070400000);
  assert.ok(snowflakeAt(ms) <= BigInt(id) && BigInt(id) < snowflakeAt(ms + 1));
  assert.equal(snowflakeTime("not-an-id"), null);
  assert.equal(newerId("1172155373532631111", "1172155373532631110"), "1172155373532631111");
  assert.equal(newerId(undefined, "5"), "5");
});

function apiError(status: number, code: number, message: string, extra: object = {}): DiscordAPIError {
  return new DiscordAPIError({ code, message, ...extra }, code, status, "POST", "https://discord.com/api/v10/channels/1/messages", { body: {} });
}

test("a refused conversation is permanent, a long rate limit waits, a lost answer is in doubt, a refused connection is not", () => {
  for (const [status, code] of [
    [403, 50001],
    [403, 50013],
    [404, 10003],
    [403, 50007],
  ] as const) {
    const f = classifySend(apiError(status, code, "Missing Access"));
    assert.equal(f.kind, "permanent", `${status} ${code}`);
  }
  const rl = new RateLimitError({
    global: false,
    method: "POST",
    url: "u",
    route: "/channels/:id/messages",
    majorParameter: "1",
    hash: "h",
    limit: 5,
    timeToReset: 7000,
    retryAfter: 7050,
    sublimitTimeout: 0,
    scope: "user",
  });
  assert.deepEqual({ ...classifySend(rl), detail: "" }, { kind: "rateLimited", retryAfterMs: 7050, detail: "" });
  const r429 = classifySend(apiError(429, 0, "You are being rate limited.", { retry_after: 1.5, global: false }));
  assert.equal(r429.kind === "rateLimited" && r429.retryAfterMs, 1500);
  assert.deepEqual(pick(classifySend(Object.assign(new Error("socket hang up"), { code: "ECONNRESET", written: true }))), ["retry", true]);
  assert.deepEqual(pick(classifySend(Object.assign(new Error("This operation was aborted"), { name: "AbortError", written: true }))), ["retry", true]);
  assert.deepEqual(pick(classifySend(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED", written: false }))), ["retry", false]);
  assert.deepEqual(pick(classifySend(new HTTPError(502, "Bad Gateway", "POST", "u", { body: {} }))), ["retry", true]);
  assert.deepEqual(pick(classifySend(new HTTPError(503, "Service Unavailable", "POST", "u", { body: {} }))), ["retry", false]);
  assert.deepEqual(pick(classifySend(apiError(400, 50035, "Invalid Form Body"))), ["retry", false]);
});

function pick(f: ReturnType<typeof classifySend>): [string, boolean | undefined] {
  return [f.kind, f.kind === "retry" ? f.inDoubt : undefined];
}
