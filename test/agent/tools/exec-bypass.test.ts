/**
 * The oc#61509 family: commands that try to run a program the allowlist does not name (touch or
 * rm, proved by a marker file) through chains, pipes, substitutions, wrappers, env tricks, links
 * and lookalikes. Each is asked about and denied, or refused outright, and the marker never changes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { execTool } from "../../../src/agent/tools/exec/index.ts";
import { execHarness } from "./exec-context.ts";

const BYPASSES = [
  "echo hi; touch X",
  "echo hi && touch X",
  "false || touch X",
  "echo hi | touch X",
  "echo $(touch X)",
  "echo `touch X`",
  "echo hi\ntouch X",
  "sh -c 'touch X'",
  "bash -lc 'touch X'",
  "bash -l -c 'echo ok; touch X'",
  "/bin/sh -c \"sh -c 'touch X'\"",
  "env touch X",
  "env -i PATH=/usr/bin touch X",
  "env -u HOME touch X",
  "nice touch X",
  "nice -n 5 touch X",
  "timeout 5 touch X",
  "echo X | xargs touch",
  "echo X | xargs -I{} sh -c 'touch {}'",
  "echo touch X | xargs env",
  "/usr/bin/env touch X",
  "FOO=1 touch X",
  "echo hi > X",
  "echo hi >> X",
  "echo hi 2>&1 > X",
  "./echo",
  "link/echo X",
  "$0 -c 'touch X'",
  "echo${IFS}hi;touch${IFS}X",
  "eval touch X",
  "eval 'touch X'",
  "exec touch X",
  "command touch X",
  "nohup touch X",
  "stdbuf -o0 touch X",
  "setsid touch X",
  "time touch X",
  "find . -name M -exec touch X \\;",
  "touch X &",
  "(touch X)",
  "{ touch X; }",
  "if true; then touch X; fi",
  "cat <<EOF\nx\nEOF\ntouch X",
  "\u0435cho hi; touch X", // Cyrillic е
  "echo hi\u037e touch X", // Greek question mark, looks like ;
  "echo hi \u202e; touch X",
  "e\\cho hi;touch X",
  "rm M",
  "echo M | xargs rm",
];

function setUp(harness: ReturnType<typeof execHarness>) {
  const ws = harness.workspace;
  fs.writeFileSync(path.join(ws, "M"), "marker\n");
  // A script named echo (realpath differs from /usr/bin/echo) and a link named echo to touch.
  fs.writeFileSync(path.join(ws, "echo"), "#!/bin/sh\ntouch X\n", { mode: 0o755 });
  fs.mkdirSync(path.join(ws, "link"));
  fs.symlinkSync("/usr/bin/touch", path.join(ws, "link", "echo"));
}

function untouched(ws: string): boolean {
  return !fs.existsSync(path.join(ws, "X")) && fs.existsSync(path.join(ws, "M"));
}

for (const allowlist of [["echo"], ["echo", "/bin/sh", "bash", "env", "nice", "timeout", "xargs", "nohup", "stdbuf", "setsid", "time", "find", "false"]]) {
  for (const ask of ["on-miss", "off"] as const) {
    test(`with allowlist [${allowlist.join(", ")}] and ask ${ask}, no bypass runs touch or rm`, async () => {
      for (const command of BYPASSES) {
        const h = execHarness({ exec: { allowlist, ask }, answer: "deny" });
        setUp(h);
        const r = await execTool().run({ command }, h.ctx);
        assert.ok(untouched(h.workspace), `${JSON.stringify(command)} ran touch or rm: ${r.content}`);
        // Some lookalikes only echo a strange word; everything else is refused.
        if (r.isError) assert.match(r.content, /^EXEC_DENIED: /, `${JSON.stringify(command)}: ${r.content}`);
        if (ask === "off") assert.equal(h.asks.length, 0);
      }
    });
  }
}

test("each miss is asked about with the resolved programs, and a denial reaches the model as EXEC_DENIED", async () => {
  const h = execHarness({ exec: { allowlist: ["echo"] }, answer: "deny" });
  setUp(h);
  const r = await execTool().run({ command: "echo hi && link/echo X" }, h.ctx);
  assert.equal(r.isError, true);
  assert.match(r.content, /^EXEC_DENIED: approval ap1 was denied by test: denied by the test/);
  assert.equal(h.asks.length, 1);
  assert.deepEqual(h.asks[0]?.executables, [path.join(h.workspace, "link", "echo")]);
  assert.deepEqual(h.asks[0]?.argv, ["/bin/sh", "-c", `'/usr/bin/echo' 'hi' && '${h.workspace}/link/echo' 'X'`]);
  assert.ok(untouched(h.workspace));
});

test("a command that cannot be read is refused without asking, and the refusal names full as the way", async () => {
  const h = execHarness({ exec: { allowlist: ["echo", "touch"] }, answer: "allow-once" });
  setUp(h);
  const r = await execTool().run({ command: "echo $(touch X)" }, h.ctx);
  assert.equal(r.isError, true);
  assert.match(r.content, /cannot be checked against the allowlist: `\$` expands/);
  assert.match(r.content, /tools\.exec\.security is full/);
  assert.equal(h.asks.length, 0);
  assert.ok(untouched(h.workspace));
});

test("the marker test is sound: with touch allowlisted the same chain does create the file", async () => {
  const h = execHarness({ exec: { allowlist: ["echo", "touch"] } });
  setUp(h);
  const r = await execTool().run({ command: "echo hi; touch X" }, h.ctx);
  assert.equal(r.isError, false, r.content);
  assert.ok(fs.existsSync(path.join(h.workspace, "X")));
});

test("an approved miss runs exactly the checked command line, once", async () => {
  const h = execHarness({ exec: { allowlist: ["echo"] }, answer: "allow-once" });
  setUp(h);
  const r = await execTool().run({ command: "echo 'a  b' ; touch X" }, h.ctx);
  assert.equal(r.isError, false, r.content);
  assert.match(r.content, /^exit code 0 after .*\na {2}b\n$/);
  assert.ok(fs.existsSync(path.join(h.workspace, "X")));
  assert.equal(h.asks.length, 1);
  assert.deepEqual(h.asks[0]?.executables, ["/usr/bin/touch"]);
  assert.deepEqual(h.begun, [{ approvalId: "ap1" }], "the start is marked once, with the approval it uses");
});

test("a denied command never marks a side effect as started", async () => {
  const h = execHarness({ exec: { allowlist: ["echo"] } });
  setUp(h);
  const r = await execTool().run({ command: "echo hi; touch X" }, h.ctx);
  assert.equal(r.isError, true);
  assert.deepEqual(h.begun, []);
});

test("quotes that only spell an allowed name run it, and allowed shells run checked inner commands", async () => {
  const h = execHarness({ exec: { allowlist: ["echo", "/bin/sh"], ask: "off" } });
  const quoted = await execTool().run({ command: "ec''ho hi" }, h.ctx);
  assert.match(quoted.content, /^exit code 0 after .*\nhi\n$/);
  const nested = await execTool().run({ command: `sh -c "sh -c 'echo one; echo \\"it'\\''s\\"'"` }, h.ctx);
  assert.equal(nested.isError, false, nested.content);
  assert.match(nested.content, /\none\nit's\n$/);
});

test("an allow-always answer stored by the brain counts as allowlisted", async () => {
  const h = execHarness({ exec: { allowlist: ["echo"], ask: "off" }, allowlisted: ["/usr/bin/touch"] });
  const r = await execTool().run({ command: "echo hi && touch X" }, h.ctx);
  assert.equal(r.isError, false, r.content);
  assert.ok(fs.existsSync(path.join(h.workspace, "X")));
});

test("ask always asks even when every program is allowlisted; security deny refuses everything", async () => {
  const always = execHarness({ exec: { allowlist: ["echo"], ask: "always" }, answer: "deny" });
  assert.equal((await execTool().run({ command: "echo hi" }, always.ctx)).isError, true);
  assert.equal(always.asks.length, 1);
  // Every program is named, so an askFallback of allowlist can check them all.
  assert.deepEqual(always.asks[0]?.executables, ["/usr/bin/echo"]);
  const off = execHarness({ exec: { security: "deny", allowlist: ["echo"] } });
  const r = await execTool().run({ argv: ["echo", "hi"] }, off.ctx);
  assert.match(r.content, /^EXEC_DENIED: exec is turned off here/);
});

test("argv input is checked like a shell string: wrappers are unwrapped, the program runs by its path", async () => {
  const h = execHarness({ exec: { allowlist: ["echo", "env"], ask: "off" } });
  setUp(h);
  const denied = await execTool().run({ argv: ["env", "touch", "X"] }, h.ctx);
  assert.match(denied.content, /^EXEC_DENIED: not on the allowlist: \/usr\/bin\/touch/);
  const ok = await execTool().run({ argv: ["env", "echo", "$HOME; touch X"] }, h.ctx);
  assert.match(ok.content, /\n\$HOME; touch X\n$/);
  assert.ok(untouched(h.workspace));
});

test("a PATH directory inside the workspace cannot lend an allowlisted name to a file the agent wrote", async () => {
  const h = execHarness({ exec: { allowlist: ["echo"], ask: "off" } });
  setUp(h);
  fs.mkdirSync(path.join(h.workspace, "bin"));
  fs.writeFileSync(path.join(h.workspace, "bin", "echo"), "#!/bin/sh\ntouch X\n", { mode: 0o755 });
  h.ctx.env = { PATH: `${h.workspace}/bin:/usr/bin:/bin`, HOME: h.workspace };
  const r = await execTool().run({ command: "echo hi" }, h.ctx);
  assert.match(r.content, new RegExp(`^EXEC_DENIED: not on the allowlist: ${h.workspace}/bin/echo`));
  assert.ok(untouched(h.workspace));
});

test("a run cancelled while its command waits for approval ends at once, and the command never runs", async () => {
  const ac = new AbortController();
  const h = execHarness({ exec: { allowlist: ["echo"] }, signal: ac.signal });
  setUp(h);
  h.ctx.requestApproval = () => {
    setTimeout(() => ac.abort(), 10);
    return new Promise(() => {}); // nobody answers
  };
  const r = await execTool().run({ command: "touch X" }, h.ctx);
  assert.match(r.content, /^EXEC_ABORTED: the run was cancelled while the command waited for approval/);
  assert.ok(untouched(h.workspace));
});
