/**
 * Reading a webhook in process: the idempotency key (precedence, bounds), HMAC signatures over the
 * exact bytes, where a token may be presented, secrets in the query, bodies by content type, and
 * what each hook plans (fields named when wrong, targets checked against running channels,
 * sessions that exist, chat commands refused, wake's system line).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { idempotencyKey, parseBody, presentedToken, secretInQuery, signatureVerdict } from "../../src/hooks/request.ts";
import { planAgent, planMapping, planWake, WAKE_PREFIX, type PlanContext } from "../../src/hooks/plan.ts";
import { hasCode } from "../../src/shared/errors.ts";

const NAMES = ["Idempotency-Key", "X-GitHub-Delivery", "Webhook-Id"];

test("the idempotency key is the first configured header present, trimmed", () => {
  assert.deepEqual(idempotencyKey({ "x-github-delivery": "gh-1", "idempotency-key": " ik-1 " }, NAMES), { key: "ik-1", header: "Idempotency-Key" });
  assert.deepEqual(idempotencyKey({ "x-github-delivery": "gh-1", "webhook-id": "w" }, NAMES), { key: "gh-1", header: "X-GitHub-Delivery" });
  assert.equal(idempotencyKey({ "x-request-id": "r" }, NAMES), null);
});

test("an idempotency key that is empty, over 256 characters or not printable ASCII is refused, not cut", () => {
  const refused = (v: string, re: RegExp) =>
    assert.throws(
      () => idempotencyKey({ "idempotency-key": v }, NAMES),
      (err) => hasCode(err, "HOOK_INVALID") && re.test((err as Error).message),
    );
  refused("   ", /empty/);
  refused("k".repeat(257), /257 characters/);
  refused("caf\u00e9", /printable ASCII/);
  assert.equal(idempotencyKey({ "idempotency-key": "k".repeat(256) }, NAMES)?.key.length, 256);
});

test("a signature is sha256=<hex HMAC of the exact bytes>; missing, malformed and other bytes are told apart from ok", () => {
  const raw = Buffer.from('{"a":1}');
  const sign = (b: Buffer, secret = "s3cret") => `sha256=${crypto.createHmac("sha256", secret).update(b).digest("hex")}`;
  assert.equal(signatureVerdict(raw, sign(raw), "s3cret"), "ok");
  assert.equal(signatureVerdict(raw, sign(raw).toUpperCase().replace("SHA256=", "sha256="), "s3cret"), "ok", "hex case does not matter");
  assert.equal(signatureVerdict(raw, undefined, "s3cret"), "missing");
  assert.equal(signatureVerdict(raw, "", "s3cret"), "missing");
  assert.equal(signatureVerdict(raw, sign(Buffer.from('{"a": 1}')), "s3cret"), "wrong", "re-serialised JSON is other bytes");
  assert.equal(signatureVerdict(raw, sign(raw, "other"), "s3cret"), "wrong");
  assert.equal(signatureVerdict(raw, "sha1=abc", "s3cret"), "wrong");
  assert.equal(signatureVerdict(raw, `sha256=${"0".repeat(64)}`, "s3cret"), "wrong");
});

test("the token is read from Bearer or X-Onebrain-Hook-Token; secrets in the query are named", () => {
  assert.equal(presentedToken({ authorization: "Bearer obh_abc" }), "obh_abc");
  assert.equal(presentedToken({ "x-onebrain-hook-token": "obh_xyz", authorization: "Bearer other" }), "obh_xyz");
  assert.equal(presentedToken({ authorization: "Basic dTpw" }), undefined);
  assert.equal(secretInQuery(new URLSearchParams("token=x")), "token");
  assert.equal(secretInQuery(new URLSearchParams("ref=main&access_token=x")), "access_token");
  assert.equal(secretInQuery(new URLSearchParams("ref=main")), null);
});

test("bodies: JSON parsed (bad JSON refused), forms as fields, anything else as text", () => {
  assert.deepEqual(parseBody(Buffer.from('{"a":[1]}'), "application/json; charset=utf-8"), { a: [1] });
  assert.deepEqual(parseBody(Buffer.from('{"a":1}'), "application/vnd.github+json"), { a: 1 });
  assert.throws(
    () => parseBody(Buffer.from("{nope"), "application/json"),
    (err) => hasCode(err, "HOOK_INVALID") && /not JSON/.test((err as Error).message),
  );
  assert.deepEqual(parseBody(Buffer.from("a=1&b=two"), "application/x-www-form-urlencoded"), { a: "1", b: "two" });
  assert.equal(parseBody(Buffer.from("plain"), "text/plain"), "plain");
});

const ctx: PlanContext = {
  agents: { ids: ["main"], defaultId: "main" },
  channels: [
    { id: "webchat", account: "default" },
    { id: "telegram", account: "bot1" },
    { id: "telegram", account: "bot2" },
  ],
  sessionExists: (key) => key === "agent:main:telegram:*:dm:42",
};

const invalid = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (err) => {
    assert.ok(hasCode(err, "HOOK_INVALID"), String(err));
    assert.match((err as Error).message, re);
    return true;
  });

test("/hooks/agent plans its message in its own session, or an existing one, with a checked delivery", () => {
  assert.deepEqual(planAgent({ message: "hi" }, ctx), {
    sessionKey: "agent:main:hook:agent",
    text: "hi",
    sender: "hook:agent",
    reply: null,
    timeoutSeconds: null,
    onInterrupt: "resume",
  });
  const p = planAgent(
    { message: "hi", session: "agent:main:telegram:*:dm:42", deliver: { channel: "telegram", account: "bot2", target: "42" }, name: "ci", timeoutSeconds: 30 },
    ctx,
  );
  assert.deepEqual(
    [p.sessionKey, p.sender, p.reply, p.timeoutSeconds],
    ["agent:main:telegram:*:dm:42", "hook:agent/ci", { channel: "telegram", account: "bot2", target: "42" }, 30],
  );
  assert.deepEqual(planAgent({ message: "hi", deliver: { channel: "webchat", target: "operator" } }, ctx).reply, {
    channel: "webchat",
    account: "default",
    target: "operator",
  });
});

test("/hooks/agent refusals name the field", () => {
  invalid(() => planAgent([1], ctx), /JSON object, not an array/);
  invalid(() => planAgent({}, ctx), /"message" must be a non-empty string/);
  invalid(() => planAgent({ message: 5 }, ctx), /"message"/);
  invalid(() => planAgent({ message: "x", sesion: "typo" }, ctx), /Unknown field "sesion"/);
  invalid(() => planAgent({ message: "x".repeat(70_000) }, ctx), /"message" is 70000 characters/);
  invalid(() => planAgent({ message: "/reset" }, ctx), /chat command/);
  invalid(() => planAgent({ message: "x", session: "agent:other:main" }, ctx), /not a session of agent main/);
  invalid(() => planAgent({ message: "x", session: "agent:main:nobody" }, ctx), /no session "agent:main:nobody"/);
  invalid(
    () => planAgent({ message: "x", deliver: { channel: "slack", target: "C1" } }, ctx),
    /"deliver"\.channel: no channel "slack" runs in this brain \(channels: webchat, telegram\)/,
  );
  invalid(() => planAgent({ message: "x", deliver: { channel: "telegram", target: "42" } }, ctx), /several accounts \(bot1, bot2\)/);
  invalid(() => planAgent({ message: "x", deliver: { channel: "telegram", account: "bot9", target: "42" } }, ctx), /no account "bot9"/);
  invalid(() => planAgent({ message: "x", deliver: { channel: "webchat", target: "" } }, ctx), /"deliver"\.target/);
  invalid(() => planAgent({ message: "x", timeoutSeconds: 0 }, ctx), /"timeoutSeconds"/);
});

test("/hooks/wake puts a system line into the main session by default, and only into one that exists", () => {
  const p = planWake({ text: "disk 91% full" }, ctx);
  assert.equal(p.text, `${WAKE_PREFIX}disk 91% full`);
  assert.equal(p.sessionKey, "agent:main:main");
  assert.equal(p.reply, null);
  assert.equal(planWake({ text: "x", session: "agent:main:telegram:*:dm:42" }, ctx).sessionKey, "agent:main:telegram:*:dm:42");
  invalid(() => planWake({ text: "x", session: "isolated" }, ctx), /existing session/);
  invalid(() => planWake({ text: "x", session: "agent:main:gone" }, ctx), /no session/);
  invalid(() => planWake({ message: "x" }, ctx), /Unknown field "message"/);
});

test("a mapping renders its template in its own session; an empty or command rendering is refused naming the mapping", () => {
  const m = { message: "{{headers.x-github-event}}: {{body.head_commit.message}}", signatureHeader: "X-Hub-Signature-256" } as const;
  const p = planMapping("github", m, { body: { head_commit: { message: "fix" } }, headers: { "x-github-event": "push" }, query: {} }, ctx);
  assert.deepEqual([p.text, p.sessionKey, p.sender], ["push: fix", "agent:main:hook:github", "hook:github"]);
  invalid(() => planMapping("github", { ...m, message: "{{body.x}}" }, { body: {}, headers: {}, query: {} }, ctx), /hooks\.mappings\.github rendered empty/);
  invalid(() => planMapping("github", { ...m, message: "{{body.x}}" }, { body: { x: "/new" }, headers: {}, query: {} }, ctx), /rendered as a chat command/);
  invalid(
    () =>
      planMapping("github", { ...m, deliver: { channel: "discord", target: "1" } }, { body: { head_commit: { message: "fix" } }, headers: {}, query: {} }, ctx),
    /hooks\.mappings\.github\.deliver\.channel/,
  );
  const long = planMapping(
    "github",
    { ...m, message: "{{body.a}}{{body.b}}{{body.c}}{{body.d}}{{body.e}}" },
    { body: Object.fromEntries("abcde".split("").map((k) => [k, "é".repeat(9000)])), headers: {}, query: {} },
    ctx,
  );
  assert.ok(Buffer.byteLength(long.text) <= 64 * 1024, "cut at 64 KiB");
  assert.ok(long.text.endsWith("…") && !long.text.includes("\uFFFD"), "on a character boundary");
});
