import { test } from "node:test";
import assert from "node:assert/strict";
import { setInText, unsetInText } from "../../src/config/json5-edit.ts";

test("a plain JSON file stays plain JSON: quoted keys, commas where JSON wants them", () => {
  const json = '{\n  "gateway": {\n    "port": 1\n  }\n}\n';
  const added = setInText(json, ["gateway", "bind"], "lan")!;
  assert.equal(added, '{\n  "gateway": {\n    "port": 1,\n    "bind": "lan"\n  }\n}\n');
  assert.deepEqual(JSON.parse(unsetInText(added, ["gateway", "bind"])!), { gateway: { port: 1 } });
  assert.deepEqual(JSON.parse(setInText(json, ["logging"], { level: "debug" })!), { gateway: { port: 1 }, logging: { level: "debug" } });
});

test("a value is replaced where it stands, and a one-line object stays on one line", () => {
  assert.equal(setInText("{ gateway: { port: 1 } } // end", ["gateway", "port"], 2), "{ gateway: { port: 2 } } // end");
  assert.equal(setInText("{ gateway: { port: 1 } }", ["gateway", "bind"], "lan"), '{ gateway: { port: 1, bind: "lan" } }');
  assert.equal(setInText("{}", ["gateway", "port"], 5), "{\n  gateway: {\n    port: 5\n  }\n}");
});

test("strings with braces, escaped quotes and comment markers inside do not confuse the editor", () => {
  const text = `{\n  a: "}{ // not a comment",\n  b: 'it\\'s',\n  /* } */ c: 1,\n}\n`;
  assert.equal(setInText(text, ["c"], 2), text.replace("c: 1", "c: 2"));
  assert.equal(unsetInText(text, ["a"]), text.replace('  a: "}{ // not a comment",\n', ""));
});

test("a root that is not an object is left to the whole-file path", () => {
  assert.equal(setInText("null", ["gateway", "port"], 1), null);
  assert.equal(unsetInText("[]", ["gateway"]), null);
});
