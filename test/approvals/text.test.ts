/** How an approval's command reads: exact (a shell given the line runs the same argv) and readable. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { displayArgv } from "../../src/approvals/text.ts";

/** What /bin/sh makes of `line` as the arguments of printf: the argv a shell would run. */
const argvOf = (line: string): string[] =>
  execFileSync("/bin/sh", ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8" })
    .split("\0")
    .slice(0, -1);

test("the checked script of sh -c reads without nested quote escapes", () => {
  const argv = ["/bin/sh", "-c", "'/usr/bin/echo' 'hi' | '/usr/bin/tee' '-a' 'out.log'"];
  assert.equal(displayArgv(argv), `/bin/sh -c "'/usr/bin/echo' 'hi' | '/usr/bin/tee' '-a' 'out.log'"`);
  assert.equal(displayArgv(["/usr/bin/ls", "-la", "my dir"]), "/usr/bin/ls -la 'my dir'");
});

test("every argument reads back exactly as a shell would run it, quotes, $, backticks, ! and newlines included", () => {
  const args = ["plain", "", "my dir", "it's", "'$HOME' and `id`", `say "hi" \\ back`, "wow!' there", "two\nlines 'x'", "'/usr/bin/echo' 'a $b'"];
  for (const arg of args) assert.deepEqual(argvOf(displayArgv([arg])), [arg], JSON.stringify(arg));
  assert.deepEqual(argvOf(displayArgv(args)), args);
});
