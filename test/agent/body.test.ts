import { test } from "node:test";
import assert from "node:assert/strict";
import { jsonCache, stringifyBody } from "../../src/agent/providers/http.ts";

test("a value serialized once is spliced into the body as valid JSON, equal to stringifying it in place", () => {
  const cache = jsonCache();
  const tools = [{ name: "read", description: 'a "quoted" \u2028 line', schema: { type: "object" } }];
  const body = { model: "m", messages: [{ role: "user", content: "hi" }], tools: cache(tools, () => tools), stream: true };
  const text = stringifyBody(body);
  assert.deepEqual(JSON.parse(text), { model: "m", messages: [{ role: "user", content: "hi" }], tools, stream: true });
  assert.equal(stringifyBody({ tools: cache(tools, () => tools) }), JSON.stringify({ tools }), "a body of only spliced values");
  assert.equal(stringifyBody({ a: 1 }), '{"a":1}');
});

test("the cache makes each key's JSON once, and two caches (two wire formats) never share an entry", () => {
  const key = [{ name: "x" }];
  let made = 0;
  const a = jsonCache();
  const b = jsonCache();
  const first = a(key, () => (made++, { shape: "a" }));
  assert.equal(
    a(key, () => (made++, { shape: "a2" })),
    first,
  );
  assert.equal(made, 1);
  assert.equal(b(key, () => ({ shape: "b" })).json, '{"shape":"b"}');
});
