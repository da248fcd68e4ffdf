/**
 * The contract every model provider passes, run against each wire format in the registry through
 * the fake model server (real HTTP and SSE on 127.0.0.1). Sleeps are recorded, not slept.
 */
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { providerKinds, type ProviderKindName, type ProviderOptions } from "../../src/agent/providers/registry.ts";
import type { ChatTurn, CompletionRequest } from "../../src/agent/provider.ts";
import { failureDetails } from "../../src/agent/failure.ts";
import { OnebrainError } from "../../src/shared/errors.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { proxyCases } from "./contract-proxy.ts";
import { toolCases } from "./contract-tools.ts";

/** How each wire format carries what the contract checks. */
interface Wire {
  baseUrl(fake: FakeModelServer): string;
  system(body: any): string | undefined;
  turns(body: any): ChatTurn[];
  key(headers: http.IncomingHttpHeaders): string | undefined;
  endTurn: string;
  cut: string;
  /** The stop reason of a model that declines (Anthropic) or whose content filter stopped it (OpenAI). */
  refusal: string;
  /** The status an account out of credit is answered with. */
  noCredit: number;
  /** The body field that carried the token limit. */
  limit(body: any): { field: string; value: unknown };
  /** A model of this API that refuses `max_tokens` (OpenAI's reasoning models), if the API has such models. */
  reasoningModel?: string;
}

const limitOf = (body: any) => {
  const fields = ["max_tokens", "max_completion_tokens"].filter((f) => f in body);
  assert.equal(fields.length, 1, `exactly one token-limit field, got ${fields.join(", ")}`);
  return { field: fields[0]!, value: body[fields[0]!] };
};

const wires: Record<ProviderKindName, Wire> = {
  anthropic: {
    baseUrl: (f) => f.anthropicUrl,
    system: (b) => b.system,
    turns: (b) => b.messages,
    key: (h) => h["x-api-key"] as string | undefined,
    endTurn: "end_turn",
    cut: "max_tokens",
    refusal: "refusal",
    noCredit: 402,
    limit: limitOf,
  },
  openai: {
    baseUrl: (f) => f.openaiUrl,
    system: (b) => (b.messages[0]?.role === "system" ? b.messages[0].content : undefined),
    turns: (b) => b.messages.filter((m: any) => m.role !== "system"),
    key: (h) => h.authorization?.replace(/^Bearer /, ""),
    endTurn: "stop",
    cut: "length",
    refusal: "content_filter",
    noCredit: 429,
    limit: limitOf,
    reasoningModel: "o4-mini",
  },
};

const KEY = "sk-test-0123456789abcdef";
const HISTORY: ChatTurn[] = [
  { role: "user", content: "hi" },
  { role: "assistant", content: "hello" },
  { role: "user", content: "say something nice" },
];

async function rejection(p: Promise<unknown>): Promise<OnebrainError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OnebrainError, `expected an OnebrainError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

function providerContract(kind: ProviderKindName, wire: Wire): void {
  describe(`the ${kind} provider`, () => {
    const fake = new FakeModelServer();
    let sleeps: number[] = [];
    before(() => fake.start());
    after(() => fake.close());
    beforeEach(() => {
      fake.reset();
      sleeps = [];
    });

    const make = (over: Partial<ProviderOptions> = {}) =>
      providerKinds[kind].create({
        name: `my-${kind}`,
        model: "model-x",
        baseUrl: wire.baseUrl(fake),
        apiKey: KEY,
        retry: { retries: 2, requestTimeoutMs: 2_000, ...over.retry },
        clock: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, now: () => 1_000_000 },
        ...over,
      });
    const request = (over: Partial<CompletionRequest> = {}): CompletionRequest & { deltas: string[] } => {
      const deltas: string[] = [];
      return {
        system: "You are terse.",
        messages: HISTORY,
        maxTokens: 100,
        signal: new AbortController().signal,
        onDelta: (t) => deltas.push(t),
        deltas,
        ...over,
      };
    };

    test("streams deltas that concatenate to the final text, with usage and the stop reason", async () => {
      const req = request();
      const result = await make().complete(req);
      assert.equal(result.text, "echo: say something nice");
      assert.deepEqual(req.deltas, ["echo: ", "say ", "something ", "nice"]);
      assert.equal(req.deltas.join(""), result.text);
      assert.deepEqual(result.usage, { inputTokens: 3 + 1 + 1 + 3, outputTokens: 4 });
      assert.equal(result.stopReason, wire.endTurn);
      assert.equal(result.cut, false);
      assert.deepEqual([result.provider, result.model, result.attempts], [`my-${kind}`, "model-x", 1]);
    });

    test("sends the model the system prompt, the whole history, max tokens and the key", async () => {
      await make().complete(request());
      const [sent] = fake.requests;
      assert.equal(wire.system(sent!.body), "You are terse.");
      assert.deepEqual(wire.turns(sent!.body), HISTORY);
      assert.equal(sent!.body.model, "model-x");
      assert.deepEqual(wire.limit(sent!.body), { field: "max_tokens", value: 100 });
      assert.equal(sent!.body.stream, true);
      assert.equal(wire.key(sent!.headers), KEY);
    });

    test("sends no key header at all when no key is configured (local servers)", async () => {
      await make({ apiKey: undefined }).complete(request());
      assert.equal(wire.key(fake.requests[0]!.headers), undefined);
    });

    test("reports the model's own stop reason when max tokens cut the reply, and that it was cut", async () => {
      const result = await make().complete(request({ maxTokens: 2 }));
      assert.equal(result.text, "echo: say ");
      assert.equal(result.stopReason, wire.cut);
      assert.equal(result.cut, true);
    });

    test("says when the model declined or its content filter stopped the reply, with what it wrote before", async () => {
      fake.queue({ kind: "refusal", afterChunks: 0 }, { kind: "refusal", afterChunks: 2 });
      const silent = await make().complete(request());
      assert.deepEqual([silent.text, silent.stopReason, silent.refused, silent.cut], ["", wire.refusal, true, false]);
      const partial = await make().complete(request());
      assert.deepEqual([partial.text, partial.refused], ["echo: say ", true]);
      const normal = await make().complete(request());
      assert.equal(normal.refused, false);
    });

    test("an account out of credit is final at once (not retried as a rate limit), with the API's own type", async () => {
      fake.behaviour = { kind: "out-of-credit" };
      const err = await rejection(make().complete(request()));
      assert.deepEqual(pick(failureDetails(err)), { kind: "http", httpStatus: wire.noCredit, attempts: 1, retryable: false });
      assert.equal(failureDetails(err)!.apiType, kind === "openai" ? "insufficient_quota" : "billing_error");
      assert.equal(fake.requests.length, 1);
      assert.deepEqual(sleeps, []);
    });

    for (const [status, apiCode] of [
      [400, undefined],
      [401, "invalid_api_key"],
      [403, undefined],
      [404, "model_not_found"],
    ] as const) {
      test(`does not retry a ${status} in the API's own error body, and keeps the server's words`, async () => {
        if (status === 404) fake.models = ["some-other-model"];
        else fake.behaviour = { kind: "status", status };
        const err = await rejection(make().complete(request()));
        assert.deepEqual(pick(failureDetails(err)), { kind: "http", httpStatus: status, attempts: 1, retryable: false });
        assert.equal(fake.requests.length, 1);
        if (status === 404) assert.match(err.message, /model-x/);
        if (kind === "openai") assert.equal(failureDetails(err)!.apiCode, apiCode);
      });
    }

    test("a reasoning model refusing max_tokens with a 400 gets max_completion_tokens at once, and from then on", { skip: !wire.reasoningModel }, async () => {
      const provider = make({ model: wire.reasoningModel! });
      const first = await provider.complete(request({ maxTokens: 3 }));
      assert.equal(first.text, "echo: say something ");
      assert.equal(first.attempts, 1, "the switch is not a retry");
      await provider.complete(request());
      assert.deepEqual(
        fake.requests.map((r) => wire.limit(r.body)),
        [
          { field: "max_tokens", value: 3 },
          { field: "max_completion_tokens", value: 3 },
          { field: "max_completion_tokens", value: 100 },
        ],
      );
      assert.deepEqual(sleeps, []);
    });

    test("switches the token-limit field only once: a server refusing both gets its 400 reported", { skip: !wire.reasoningModel }, async () => {
      fake.queue(
        { kind: "status", status: 400, message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." },
        { kind: "status", status: 400, message: "Unsupported parameter: 'max_completion_tokens' is not supported with this model. Use 'max_tokens' instead." },
      );
      const err = await rejection(make().complete(request()));
      assert.deepEqual(pick(failureDetails(err)), { kind: "http", httpStatus: 400, attempts: 1, retryable: false });
      assert.deepEqual(
        fake.requests.map((r) => wire.limit(r.body).field),
        ["max_tokens", "max_completion_tokens"],
      );
    });

    test("the configured token-limit field is sent as is", { skip: !wire.reasoningModel }, async () => {
      await make({ maxTokensParam: "max_completion_tokens" }).complete(request());
      assert.deepEqual(wire.limit(fake.requests[0]!.body), { field: "max_completion_tokens", value: 100 });
    });

    test("waits out a 429's Retry-After, then succeeds", async () => {
      fake.queue({ kind: "status", status: 429, retryAfter: "7" });
      const result = await make().complete(request());
      assert.equal(result.attempts, 2);
      assert.deepEqual(sleeps, [7_000]);
    });

    test("retries a 500 twice with jittered exponential backoff, then succeeds", async () => {
      fake.queue({ kind: "status", status: 500 }, { kind: "status", status: 500 });
      const result = await make({ retry: { baseDelayMs: 1_000 } }).complete(request());
      assert.equal(result.attempts, 3);
      assert.deepEqual(sleeps, [500, 1_000]);
    });

    test("retries a 529 (overloaded) and an in-stream error event", async () => {
      fake.queue({ kind: "status", status: 529 }, { kind: "stream-error", afterChunks: 0, status: 529 });
      const result = await make().complete(request());
      assert.equal(result.attempts, 3);
      assert.equal(result.text, "echo: say something nice");
    });

    test("gives up after retries + 1 attempts when every request fails", async () => {
      fake.behaviour = { kind: "status", status: 500, message: "boom" };
      const err = await rejection(make().complete(request()));
      assert.equal(err.code, "MODEL_FAILED");
      assert.deepEqual(pick(failureDetails(err)), { kind: "http", httpStatus: 500, attempts: 3, retryable: true });
      assert.match(err.message, new RegExp(`^my-${kind}/model-x: HTTP 500 .*boom.*after 3 attempts`));
      assert.equal(fake.requests.length, 3);
    });

    test("does not retry a 401, and names the status", async () => {
      fake.apiKey = "the-right-key-000000";
      const err = await rejection(make().complete(request()));
      assert.deepEqual(pick(failureDetails(err)), { kind: "http", httpStatus: 401, attempts: 1, retryable: false });
      assert.equal(fake.requests.length, 1);
      assert.match(err.hint ?? "", /API key/);
    });

    test("never repeats the key, even when the server echoes it in an error", async () => {
      fake.behaviour = { kind: "status", status: 400, message: `bad key ${KEY} given` };
      const err = await rejection(make().complete(request()));
      const everything = `${err.message} ${JSON.stringify(err.toJSON())} ${err.stack}`;
      assert.ok(!everything.includes(KEY), everything);
      assert.match(err.message, /bad key sk-…def given/);
    });

    test("aborts a request that hangs past the per-attempt timeout, retries it, then fails as a timeout", async () => {
      fake.behaviour = { kind: "hang" };
      const err = await rejection(make({ retry: { retries: 1, requestTimeoutMs: 150 } }).complete(request()));
      assert.deepEqual(pick(failureDetails(err)), { kind: "timeout", attempts: 2, retryable: true });
      assert.equal(fake.requests.length, 2);
      await waitFor(() => fake.requests.every((r) => r.closedEarly));
    });

    test("fails without a retry when the stream stalls after a delta was streamed", async () => {
      fake.queue({ kind: "stall", afterChunks: 1 });
      const req = request();
      const err = await rejection(make({ retry: { requestTimeoutMs: 150 } }).complete(req));
      assert.deepEqual(pick(failureDetails(err)), { kind: "timeout", attempts: 1, retryable: true });
      assert.equal(failureDetails(err)!.streamed, true);
      assert.match(err.message, /already streamed/);
      assert.deepEqual(req.deltas, ["echo: "]);
      assert.equal(fake.requests.length, 1);
    });

    test("treats unparsable JSON as malformed and does not retry after a delta", async () => {
      fake.queue({ kind: "malformed", afterChunks: 1, how: "bad-json" });
      const err = await rejection(make().complete(request()));
      assert.deepEqual(pick(failureDetails(err)), { kind: "malformed", attempts: 1, retryable: false });
      assert.equal(fake.requests.length, 1);
    });

    test("treats a stream that ends without its terminal event as malformed: retried only if nothing was streamed", async () => {
      fake.queue({ kind: "malformed", afterChunks: 0, how: "truncated" });
      assert.equal((await make().complete(request())).attempts, 2);
      fake.queue({ kind: "malformed", afterChunks: 2, how: "truncated" });
      const err = await rejection(make().complete(request()));
      assert.deepEqual(pick(failureDetails(err)), { kind: "malformed", attempts: 1, retryable: true });
      assert.match(err.message, /stream ended before/);
    });

    test("a connection reset after a delta is a network failure and is not retried", async () => {
      fake.queue({ kind: "malformed", afterChunks: 1, how: "reset" });
      const err = await rejection(make().complete(request()));
      assert.deepEqual(pick(failureDetails(err)), { kind: "network", attempts: 1, retryable: true });
      assert.equal(fake.requests.length, 1);
    });

    test("retries a refused connection, then fails as a network error", async () => {
      const err = await rejection(make({ baseUrl: wire.baseUrl(fake).replace(/:\d+/, `:${await closedPort()}`) }).complete(request()));
      assert.deepEqual(pick(failureDetails(err)), { kind: "network", attempts: 3, retryable: true });
      assert.match(err.message, /ECONNREFUSED/);
    });

    test("stops at once when the run's signal aborts mid-stream, with no retry", async () => {
      fake.behaviour = { kind: "reply", delayMs: 2_000 };
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const started = Date.now();
      const err = await rejection(make().complete(request({ signal: ac.signal })));
      assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
      assert.deepEqual(pick(failureDetails(err)), { kind: "aborted", attempts: 1, retryable: false });
      await waitFor(() => fake.requests[0]?.closedEarly === true);
      assert.equal(fake.requests.length, 1);
    });

    proxyCases({ kind, baseUrl: () => wire.baseUrl(fake), make, request: () => request(), rejection, waitFor });
    toolCases({ kind, fake, make, request, rejection });

    test("surfaces the run's own timeout as TIMEOUT, not as a model failure", async () => {
      fake.behaviour = { kind: "hang" };
      const err = await rejection(make().complete(request({ signal: AbortSignal.timeout(100) })));
      assert.equal(err.code, "TIMEOUT");
      assert.equal(fake.requests.length, 1);
    });
  });
}

for (const kind of Object.keys(providerKinds) as ProviderKindName[]) providerContract(kind, wires[kind]);

function pick(d: ReturnType<typeof failureDetails>) {
  assert.ok(d, "expected MODEL_FAILED details");
  return { kind: d.kind, ...(d.httpStatus !== undefined ? { httpStatus: d.httpStatus } : {}), attempts: d.attempts, retryable: d.retryable };
}

async function waitFor(cond: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A loopback port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
