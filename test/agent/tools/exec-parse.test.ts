/**
 * Reading shell strings and wrappers: what is read as segments, what is refused as unparseable
 * (and why), and that the rebuilt text gives sh exactly the words that were checked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { parseShell, renderList } from "../../../src/agent/tools/exec/parse.ts";
import { planArgv, planShell } from "../../../src/agent/tools/exec/plan.ts";
import { decide } from "../../../src/agent/tools/exec/policy.ts";
import { allowlistIdentities, resolveCommand } from "../../../src/agent/tools/exec/resolve.ts";

const env = { searchPath: "/usr/bin:/bin", cwd: "/", allowedEnv: new Set(["MODE"]) };

test("a command line is read into segments joined by |, &&, || and ;, a newline being ;", () => {
  const r = parseShell("a 'b c' | d && e || f; g\nh \"i j\" # a comment\n\nk &&\n l;");
  assert.ok(r.ok);
  assert.deepEqual(r.list.segments, [["a", "b c"], ["d"], ["e"], ["f"], ["g"], ["h", "i j"], ["k"], ["l"]]);
  assert.deepEqual(r.list.operators, ["|", "&&", "||", ";", ";", ";", "&&"]);
});

test("everything sh would expand, redirect or background is unparseable, with the reason named", () => {
  const cases: [string, RegExp][] = [
    ["echo $HOME", /`\$` expands/],
    ['echo "$(id)"', /inside double quotes/],
    ["echo `id`", /backticks/],
    ["ls *.ts", /glob/],
    ["ls [ab]", /glob/],
    ["ls ~/x", /home directory/],
    ["echo {a,b}", /brace expansion/],
    ["echo hi > f", /redirection `>`/],
    ["cat < f", /redirection `<`/],
    ["echo hi 2>&1", /redirection `>&`/],
    ["sleep 1 &", /background/],
    ["(ls)", /subshell/],
    ["cat <<EOF", /here-document/],
    ["diff <(ls) x", /process substitution/],
    ["echo a#b", /`#` inside a word/],
    ["echo 'open", /single quote is not closed/],
    ["echo a\\\nb", /backslash-newline/],
    ["echo a\u00a0b", /U\+A0 is not a word break/],
    ["echo \u200bhi", /invisible or control character U\+200B/],
    ["echo \u001b[31m", /control character U\+001B/],
    ["ls &&", /`&&` has no command after it/],
    ["; ls", /`;` has no command before it/],
    ["   ", /empty/],
  ];
  for (const [text, reason] of cases) {
    const r = parseShell(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.reason, reason, text);
  }
});

test("the rebuilt text gives sh exactly the words read, whatever they contain", () => {
  const words = ["it's", "a b", "$HOME", "`id`", "*", "\\n", '"q"', "", "-e", ";", "~", "é 🙂"];
  const text = renderList({ segments: [["printf", "[%s]", ...words]], operators: [] });
  const out = execFileSync("/bin/sh", ["-c", text], { encoding: "utf8" });
  assert.equal(out, words.map((w) => `[${w}]`).join(""));
});

test("wrappers are read by their own option grammars and the inner program is checked too", () => {
  const programs = (text: string) => {
    const p = planShell(text, env);
    assert.ok(p.ok, text);
    return p.ok ? p.programs.map((x) => x.identity) : [];
  };
  assert.deepEqual(programs("env -i -u X MODE=1 nice -n 5 timeout -s KILL 5 xargs -0 -n 1 ls"), [
    "/usr/bin/env",
    "/usr/bin/nice",
    "/usr/bin/timeout",
    "/usr/bin/xargs",
    "/usr/bin/ls",
  ]);
  assert.deepEqual(programs("bash -e -o pipefail -lc 'ls | wc -l'"), ["/usr/bin/bash", "/usr/bin/ls", "/usr/bin/wc"]);
  assert.deepEqual(programs("find . -name x -exec rm {} + -o -execdir cat {} \\;"), ["/usr/bin/find", "/usr/bin/rm", "/usr/bin/cat"]);
  assert.deepEqual(programs("xargs"), ["/usr/bin/xargs", "/usr/bin/echo"]);
  assert.deepEqual(programs("command -v ls"), []);
});

test("wrapper uses that cannot be read exactly are unparseable", () => {
  const cases: [string, RegExp][] = [
    ["env -S 'touch x'", /option `-S` is not one the allowlist knows/],
    ["env LD_PRELOAD=/tmp/x.so ls", /sets LD_PRELOAD, which is not in tools.exec.env/],
    ["bash script.sh", /without `-c` runs a script/],
    ["bash -i -c ls", /`-i`/],
    ["sh -c", /has no command/],
    ["timeout ls", /needs a duration/],
    ["xargs sh -c", /has no command/],
    ["xargs nice", /xargs appends its input to the arguments of `nice`/],
    ["xargs find .", /xargs appends its input/],
    ["xargs -I% % x", /into the program name/],
    ["find . -exec rm {}", /no closing/],
    ["busybox rm x", /multi-call|runs the program named by its first argument/],
    ["cd /tmp", /shell builtin/],
    ["X=1 ls", /sets a variable/],
    ["while true; do ls; done", /shell syntax/],
    ['sh -c \'sh -c "sh -c \\"ls \\$x\\""\'', /inside a shell's -c command/],
  ];
  for (const [text, reason] of cases) {
    const p = planShell(text, env);
    assert.equal(p.ok, false, text);
    if (!p.ok) assert.match(p.reason, reason, text);
  }
});

test("programs resolve to their real path; a renamed link keeps its name so each applet is its own program", () => {
  assert.equal(resolveCommand("ls", "/usr/bin", "/")?.identity, "/usr/bin/ls");
  assert.equal(resolveCommand("sh", "/bin", "/")?.identity, "/usr/bin/sh");
  assert.equal(resolveCommand("/bin/sh", "", "/")?.real, "/usr/bin/dash");
  assert.equal(resolveCommand("no-such-program-here", "/usr/bin", "/"), null);
  assert.equal(resolveCommand("ls", ".:bin", "/usr"), null, "relative PATH entries are skipped");
  assert.deepEqual(
    [...allowlistIdentities(["sh", "/bin/sh", "ls", "./ls", "nope"], "/usr/bin", "/tmp")].sort((a, b) => a.localeCompare(b)),
    ["/usr/bin/ls", "/usr/bin/sh"],
  );
});

test("the policy: deny refuses, full runs unchecked, the allowlist runs hits and asks or refuses misses", () => {
  const plan = planArgv(["ls", "-l"], env);
  const allowed = (id: string) => id === "/usr/bin/ls";
  assert.deepEqual(decide(plan, { security: "deny", ask: "on-miss" }, allowed).action, "deny");
  assert.deepEqual(decide(null, { security: "full", ask: "on-miss" }, allowed), { action: "run" });
  assert.deepEqual(decide(null, { security: "full", ask: "always" }, allowed), { action: "ask", misses: [] });
  assert.deepEqual(decide(plan, { security: "allowlist", ask: "on-miss" }, allowed), { action: "run" });
  assert.deepEqual(decide(plan, { security: "allowlist", ask: "always" }, allowed), { action: "ask", misses: [] });
  const miss = decide(plan, { security: "allowlist", ask: "on-miss" }, () => false);
  assert.equal(miss.action, "ask");
  const off = decide(plan, { security: "allowlist", ask: "off" }, () => false);
  assert.ok(off.action === "deny" && /not on the allowlist: \/usr\/bin\/ls/.test(off.reason));
});
