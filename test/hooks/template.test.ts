/**
 * Mapping templates: placeholders looked up, never evaluated; a sender's `{{...}}` stays text;
 * missing values are empty, others JSON; values cut; prototype keys and secret headers unreachable;
 * a bad template is a config error naming the mapping's key.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseTemplate, renderTemplate, templateProblem, type TemplateData } from "../../src/shared/template.ts";
import { validateConfig } from "../../src/config/load.ts";
import { hasCode } from "../../src/shared/errors.ts";

const data = (body: unknown, headers: Record<string, string> = {}, query: Record<string, string> = {}): TemplateData => ({ body, headers, query });
const render = (t: string, d: TemplateData) => renderTemplate(parseTemplate(t), d);

test("placeholders read the body by key and index, one header and one query parameter", () => {
  const d = data({ repo: { name: "onebrain" }, commits: [{ id: "a1" }, { id: "b2" }] }, { "x-github-event": "push" }, { ref: "main" });
  assert.equal(render("{{headers.X-GitHub-Event}} to {{ body.repo.name }}@{{query.ref}}: {{body.commits.1.id}}", d), "push to onebrain@main: b2");
});

test("missing values render empty; numbers, booleans, null and objects as JSON; {{body}} is the whole body", () => {
  const d = data({ n: 3, ok: true, z: null, o: { a: [1, "x"] } });
  assert.equal(render("[{{body.nope}}][{{body.n.deeper}}][{{query.x}}][{{headers.x-none}}]", d), "[][][][]");
  assert.equal(render("{{body.n}} {{body.ok}} {{body.z}} {{body.o}}", d), '3 true null {"a":[1,"x"]}');
  assert.equal(render("{{body}}", data("raw text body")), "raw text body");
  assert.equal(render("{{body}}", data({ a: 1 })), '{"a":1}');
});

test("a sender's value that looks like a placeholder stays text: nothing is rendered twice or evaluated", () => {
  const d = data({ title: "{{headers.authorization}} ${process.exit(1)} {{body}}", code: "`rm -rf /`" }, { authorization: "Bearer obh_secret" });
  const out = render("T: {{body.title}} {{body.code}}", d);
  assert.equal(out, "T: {{headers.authorization}} ${process.exit(1)} {{body}} `rm -rf /`");
  assert.ok(!out.includes("obh_secret"));
});

test("prototype keys read nothing, and array indexes only digits", () => {
  const d = data({ list: ["a"] });
  assert.equal(render("[{{body.__proto__}}][{{body.constructor}}][{{body.list.length}}][{{body.toString}}]", d), "[][][][]");
});

test("values are cut at 16 KiB with an ellipsis", () => {
  const out = render("{{body.big}}", data({ big: "x".repeat(40_000) }));
  assert.equal(out.length, 16 * 1024 + 1);
  assert.ok(out.endsWith("…"));
});

test("templates are refused for unknown roots, secret headers, stray braces and bad keys, each named", () => {
  assert.match(templateProblem("{{env.HOME}}") ?? "", /Unknown placeholder \{\{env.HOME\}\}/);
  assert.match(templateProblem("{{headers.authorization}}") ?? "", /carries a secret/);
  assert.match(templateProblem("{{headers.X-Onebrain-Hook-Token}}") ?? "", /carries a secret/);
  assert.match(templateProblem("{{headers.cookie}}") ?? "", /carries a secret/);
  assert.match(templateProblem("{{headers}}") ?? "", /must name one header/);
  assert.match(templateProblem("{{query.a.b}}") ?? "", /must name one query parameter/);
  assert.match(templateProblem("hello {{ world") ?? "", /not part of a placeholder/);
  assert.match(templateProblem("{{body.a b}}") ?? "", /has a key "a b"/);
  assert.equal(templateProblem("plain text, no placeholders"), null);
});

test("the config refuses a bad mapping with its key path: template, reserved name, signature without secret, both secrets", () => {
  const bad = (mappings: unknown, re: RegExp) => {
    try {
      validateConfig({ hooks: { mappings } }, "/x/onebrain.json");
      assert.fail("accepted");
    } catch (err) {
      assert.ok(hasCode(err, "CONFIG_INVALID"), String(err));
      assert.match((err as Error).message, re);
    }
  };
  bad({ gh: { message: "{{env.SECRET}}" } }, /hooks\.mappings\.gh\.message/);
  bad({ agent: { message: "x" } }, /hooks\.mappings/);
  bad({ gh: { message: "x", auth: "signature" } }, /secret or secretEnv/);
  bad({ gh: { message: "x", secret: "s3cret-value", secretEnv: "GH_SECRET" } }, /not both/);
  bad({ "Bad Name": { message: "x" } }, /hooks\.mappings/);
  const ok = validateConfig({ hooks: { mappings: { gh: { message: "{{body.action}}", secretEnv: "GH_SECRET", auth: "signature" } } } }, "/x/onebrain.json");
  assert.equal(ok.hooks.mappings.gh!.signatureHeader, "X-Hub-Signature-256");
  assert.deepEqual(ok.hooks.idempotencyHeaders, ["Idempotency-Key", "X-GitHub-Delivery", "Webhook-Id"]);
  assert.equal(ok.hooks.maxBodyBytes, 256 * 1024);
});
