/**
 * The interactive form, driven in a real pseudo-terminal: tmux runs `onebrain onboard` in a
 * detached session on its own socket; the test waits for each prompt on the screen
 * (capture-pane) and types the answer (send-keys).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { binNodeFlags, brainEnv, cliPath, tmpDir } from "../helpers/gateway.ts";

const TMUX = "/usr/bin/tmux";
const haveTmux = fs.existsSync(TMUX);
const bounded = { timeout: 90_000, skip: haveTmux ? false : "tmux is not installed" };

const sockets: string[] = [];
after(() => {
  for (const s of sockets) spawnSync(TMUX, ["-L", s, "kill-server"], { stdio: "ignore" });
});

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A tmux session running `onebrain onboard ...args` for the brain at `stateDir`; the shell prints EXIT=<code> after it. */
function terminal(stateDir: string, args: string[] = []) {
  const socket = `onebrain-onboard-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  sockets.push(socket);
  const env = brainEnv(stateDir, { TMUX: undefined, TERM: "xterm-256color" });
  const cmd = [process.execPath, ...binNodeFlags, cliPath, "onboard", ...args].map(sh).join(" ");
  const tmux = (...a: string[]) => {
    const r = spawnSync(TMUX, ["-L", socket, ...a], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tmux ${a.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  tmux("new-session", "-d", "-s", "onboard", "-x", "160", "-y", "50", `${cmd}; echo "EXIT=$?"; sleep 600`);
  const screen = () => tmux("capture-pane", "-p", "-J", "-S", "-500", "-t", "onboard");
  return {
    screen,
    /** Waits until the screen matches, polling; fails with the screen in the message. */
    async waitFor(re: RegExp, ms = 20_000): Promise<string> {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = screen();
        if (re.test(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} on the screen:\n${s}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** Types text (literally), then Enter unless `enter` is false. */
    type(text: string, enter = true): void {
      if (text) tmux("send-keys", "-t", "onboard", "-l", text);
      if (enter) tmux("send-keys", "-t", "onboard", "Enter");
    },
    keys(...k: string[]): void {
      tmux("send-keys", "-t", "onboard", ...k);
    },
  };
}

test("onboard asks step by step in a terminal, hides the key as it is typed, and writes what was answered", bounded, async () => {
  const stateDir = path.join(tmpDir("onebrain-onboard-tty-"), "state");
  const t = terminal(stateDir);
  await t.waitFor(/\[1\/6\] State dir and config[\s\S]*Created the brain at/);
  await t.waitFor(/Which model provider answers\?[\s\S]*3\) An OpenAI-compatible server[\s\S]*Choose 1-4 \[1\]: ?$/m);
  t.type("3");
  await t.waitFor(/Name for this provider .*\[local\]: ?$/m);
  t.type("");
  await t.waitFor(/Base URL of its OpenAI-compatible API \[http:\/\/127\.0\.0\.1:11434\/v1\]: ?$/m);
  t.type("http://127.0.0.1:9/v1");
  await t.waitFor(/^Model: ?$/m);
  t.type(""); // required: asked again
  await t.waitFor(/An answer is needed here\.\nModel: ?$/m);
  t.type("llama3.2");
  await t.waitFor(/API key for local \(input hidden; Enter if the server needs none\): ?$/m);
  t.type("sk-typed-secret-77", false);
  const typed = await t.waitFor(/API key for local .*: \*{18}$/m);
  assert.ok(!typed.includes("sk-typed-secret-77"), "the key is not echoed");
  t.keys("BSpace", "BSpace");
  t.type("99");
  await t.waitFor(/Key: sk-…-99 \(stored in/);
  await t.waitFor(/\[3\/6\] Channels\nWebChat is built in/);
  await t.waitFor(/Who may connect to the gateway\?[\s\S]*Choose 1-3 \[1\]: ?$/m);
  t.type("lan");
  await t.waitFor(/Bind: lan; auth: token \(token \S+…\S+;/);
  await t.waitFor(/Install the gateway as a service, so that it starts by itself\? \[y\/N\]: ?$/m);
  t.type("maybe");
  await t.waitFor(/Please answer y or n\.\nInstall the gateway as a service.*\[y\/N\]: ?$/m);
  t.type("n");
  await t.waitFor(/\[6\/6\] Checks/);
  const end = await t.waitFor(/^EXIT=\d+$/m, 30_000);
  assert.match(end, /^EXIT=0$/m, end);
  assert.match(end, /onboard: done\nnext: start the gateway: onebrain gateway/);
  assert.ok(!end.includes("sk-typed-secret-"), "the key never appears on the screen");

  const config = JSON.parse(fs.readFileSync(path.join(stateDir, "onebrain.json"), "utf8"));
  assert.deepEqual(config.models, {
    providers: { local: { kind: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-typed-secret-99" } },
    primary: "local/llama3.2",
  });
  assert.equal(config.gateway.bind, "lan");
  assert.equal(config.gateway.auth.mode, "token");
  assert.equal(fs.statSync(path.join(stateDir, "onebrain.json")).mode & 0o777, 0o600);
});

test("flags answer their questions in the terminal too; Ctrl-C at a prompt stops with exit 57 and keeps the steps done", bounded, async () => {
  const stateDir = path.join(tmpDir("onebrain-onboard-tty-"), "state");
  const t = terminal(stateDir, ["--provider", "skip"]);
  await t.waitFor(/Which model provider answers\?: skip \(from --provider\)/);
  await t.waitFor(/Who may connect to the gateway\?[\s\S]*Choose 1-3 \[1\]: ?$/m);
  t.keys("C-c");
  const end = await t.waitFor(/^EXIT=\d+$/m);
  assert.match(end, /^EXIT=57$/m, end);
  assert.match(end, /onebrain: Onboarding cancelled\n {2}next: Steps already done are kept/);
  assert.ok(fs.existsSync(path.join(stateDir, "onebrain.json")), "setup's config is kept");
});
