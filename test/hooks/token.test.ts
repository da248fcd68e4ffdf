/**
 * The hook token's lifecycle through the real CLI: made and printed once, only its SHA-256 kept
 * (0600), refused when one exists (exit 85, nothing printed that could be it), rotated, read by a
 * long-lived checker at once after a rotation (no restart), overridden by ONEBRAIN_HOOKS_TOKEN,
 * and an unusable file refusing every token with the reason; `hooks status` without a gateway.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { brainEnv, runCli, tmpDir } from "../helpers/gateway.ts";
import { hashHookToken, HookTokens } from "../../src/hooks/token.ts";

const TOKEN = /obh_[A-Za-z0-9_-]{43}/;

async function cli(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = await runCli(["hooks", ...args], env);
  return { ...r, body: args.includes("--json") && r.stdout.trim() ? JSON.parse(r.stdout) : null };
}

test("hooks token prints a token once and keeps only its SHA-256, in a 0600 file", async () => {
  const stateDir = path.join(tmpDir(), "state");
  const env = brainEnv(stateDir);
  const made = await cli(env, "token");
  assert.equal(made.code, 0, made.stderr);
  const token = TOKEN.exec(made.stdout)?.[0];
  assert.ok(token, made.stdout);
  assert.match(made.stdout, /shown only now/);
  const file = path.join(stateDir, "hooks-token.json");
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const text = fs.readFileSync(file, "utf8");
  assert.ok(!text.includes(token) && !text.includes(token.slice(4)), "the file never holds the token");
  const record = JSON.parse(text);
  assert.equal(record.sha256, hashHookToken(token));
  assert.equal(record.version, 1);
  assert.ok(Date.parse(record.createdAt) > Date.now() - 60_000);
  assert.deepEqual(
    fs.readdirSync(stateDir).filter((f) => f.includes("hooks-token")),
    ["hooks-token.json"],
    "no temp file left behind",
  );
});

test("a second hooks token is refused with exit 85 and shows nothing that could be the token; --rotate replaces it", async () => {
  const stateDir = path.join(tmpDir(), "state");
  const env = brainEnv(stateDir);
  const first = (await cli(env, "token", "--json")).body.token as string;
  const again = await cli(env, "token");
  assert.equal(again.code, 85);
  assert.match(again.stderr, /A hook token exists \(made .*\); it cannot be shown again/);
  assert.match(again.stderr, /--rotate/);
  assert.doesNotMatch(again.stdout + again.stderr, TOKEN);
  const json = await cli(env, "token", "--json");
  assert.equal(json.code, 85);
  assert.equal(json.body.error.code, "HOOK_TOKEN_EXISTS");

  const checker = new HookTokens(stateDir, {});
  assert.ok(checker.matches(first));
  const rotated = await cli(env, "token", "--rotate", "--json");
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.equal(rotated.body.rotated, true);
  assert.notEqual(rotated.body.token, first);
  assert.ok(checker.matches(rotated.body.token), "the running checker sees the new token at once");
  assert.ok(!checker.matches(first), "and the old one no longer works");
  assert.equal(fs.statSync(path.join(stateDir, "hooks-token.json")).mode & 0o777, 0o600);
});

test("two first hooks token at once: one prints the token in force, the other is refused", async () => {
  const stateDir = path.join(tmpDir(), "state");
  const env = brainEnv(stateDir);
  const both = await Promise.all([cli(env, "token", "--json"), cli(env, "token", "--json")]);
  assert.deepEqual(
    both.map((r) => r.code).sort((a, b) => (a ?? -1) - (b ?? -1)),
    [0, 85],
  );
  const winner = both.find((r) => r.code === 0)!.body.token as string;
  assert.ok(new HookTokens(stateDir, {}).matches(winner), "the printed token is the one in force");
  assert.deepEqual(
    fs.readdirSync(stateDir).filter((f) => f.includes("hooks-token")),
    ["hooks-token.json"],
  );
});

test("ONEBRAIN_HOOKS_TOKEN overrides the file; an unusable file refuses every token and says why", async () => {
  const stateDir = path.join(tmpDir(), "state");
  const env = brainEnv(stateDir);
  const fileToken = (await cli(env, "token", "--json")).body.token as string;
  const overridden = new HookTokens(stateDir, { ONEBRAIN_HOOKS_TOKEN: "obh_from-the-environment" });
  assert.deepEqual(overridden.state(), { source: "env", createdAt: null, problem: null });
  assert.ok(overridden.matches("obh_from-the-environment"));
  assert.ok(!overridden.matches(fileToken), "the file's token does not work while the env sets one");

  const plain = new HookTokens(stateDir, {});
  assert.equal(plain.state().source, "file");
  fs.writeFileSync(path.join(stateDir, "hooks-token.json"), '{"version": 1, "sha256": "not-a-hash"}');
  assert.ok(!plain.matches(fileToken));
  assert.match(plain.state().problem ?? "", /is unusable: it is not a hook token record/);
  fs.rmSync(path.join(stateDir, "hooks-token.json"));
  assert.deepEqual(plain.state(), { source: null, createdAt: null, problem: null });
  assert.ok(!plain.matches(fileToken));
});

test("hooks status without a gateway reads the token file, the config's mappings and the store", async () => {
  const stateDir = path.join(tmpDir(), "state");
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(
    path.join(stateDir, "onebrain.json"),
    JSON.stringify({ hooks: { mappings: { github: { message: "{{body.action}}", secretEnv: "GH_HOOK_SECRET_UNSET", auth: "signature" } } } }),
  );
  const env = brainEnv(stateDir);
  const none = await cli(env, "status");
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stdout, /token: none/);
  assert.match(none.stdout, /next: onebrain hooks token/);
  await cli(env, "token");
  const s = await cli(env, "status", "--json");
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.body.via, "files");
  assert.equal(s.body.token.source, "file");
  assert.deepEqual(
    s.body.mappings.map((m: { name: string; auth: string; secret: string; session: string }) => [m.name, m.auth, m.secret, m.session]),
    [["github", "signature", "env-missing", "agent:main:hook:github"]],
  );
  assert.deepEqual(s.body.recent, []);
  assert.doesNotMatch(JSON.stringify(s.body), TOKEN);
});
