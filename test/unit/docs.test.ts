import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { errorCatalog } from "../../src/shared/errors.ts";
import { closeCodes, wireErrorCodes } from "../../src/protocol/codes.ts";
import { METHODS, EVENTS } from "../../src/protocol/methods.ts";
import { allKeyPaths } from "../../src/config/schema-walk.ts";
import { repoRoot } from "../helpers/gateway.ts";

const read = (f: string) => fs.readFileSync(path.join(repoRoot, f), "utf8");

test("every error code is documented in docs/errors.md with its exit code", () => {
  const doc = read("docs/errors.md");
  for (const [code, spec] of Object.entries(errorCatalog)) {
    const row = new RegExp(`^\\|\\s*${spec.exitCode}\\s*\\|\\s*\`${code}\`\\s*\\|`, "m");
    assert.match(doc, row, `${code} (exit ${spec.exitCode}) is missing from docs/errors.md`);
  }
});

test("exit codes are unique across error codes", () => {
  const seen = new Map<number, string>();
  for (const [code, spec] of Object.entries(errorCatalog)) {
    assert.ok(!seen.has(spec.exitCode), `${code} and ${seen.get(spec.exitCode)} share exit ${spec.exitCode}`);
    seen.set(spec.exitCode, code);
  }
});

test("every wire error code, close code, method and event is documented in docs/protocol.md", () => {
  const doc = read("docs/protocol.md");
  for (const code of Object.keys(wireErrorCodes)) assert.ok(doc.includes(`\`${code}\``), `wire code ${code} missing`);
  for (const [name, code] of Object.entries(closeCodes)) assert.match(doc, new RegExp(`^\\| ${code} \\|`, "m"), `close code ${name} (${code}) missing`);
  for (const m of METHODS) assert.ok(doc.includes(`\`${m}\``), `method ${m} missing`);
  for (const e of EVENTS) assert.ok(doc.includes(`\`${e}\``), `event ${e} missing`);
});

test("every config key is documented in docs/config.md", () => {
  const doc = read("docs/config.md");
  for (const key of allKeyPaths().filter((k) => k !== "$schema")) assert.ok(doc.includes(`\`${key}\``), `config key ${key} missing`);
});

test("the README opens with the install-and-start and install-and-test commands that .ci/run relies on", () => {
  const lines = read("README.md").split("\n").slice(0, 4);
  assert.ok(lines.some((l) => l.endsWith("# install and start a loopback gateway (no config needed)")));
  assert.ok(lines.some((l) => l.endsWith("# install and run the whole test suite")));
  assert.ok(read(".ci/run").includes("# install and run the whole test suite"));
});

test("every file in the architecture key-files table exists", () => {
  const doc = read("docs/ARCHITECTURE.md");
  const files = [...doc.matchAll(/^\| `(src\/[^`]+)` \|/gm)].map((m) => m[1]!);
  assert.ok(files.length > 20);
  for (const f of files) assert.ok(fs.existsSync(path.join(repoRoot, f)), `${f} is listed but does not exist`);
});
