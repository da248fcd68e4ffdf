import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { brainEnv, freePort, runCli, startGateway, tmpDir } from "../helpers/gateway.ts";
import { bounded, foreignHttpServer, reapAll, snapshotFiles, track } from "./support.ts";

after(reapAll);

/** Runs a CLI command that prints JSON and returns the parsed document with the exit code. */
async function cliJson(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: any; stderr: string }> {
  const r = await runCli(args, env);
  let out: unknown;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    assert.fail(`\`onebrain ${args.join(" ")}\` printed no JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return { code: r.code, out, stderr: r.stderr };
}

test("status of a brain that was never started says stopped, exits 0 and creates nothing", bounded, async () => {
  const home = tmpDir();
  const stateDir = path.join(home, "state");
  const env = brainEnv(stateDir);
  const port = String(await freePort());
  const s = await cliJson(["gateway", "status", "--json", "--port", port], env);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.out.verdict, "stopped", s.out.problems?.join("; "));
  assert.equal(s.out.lock.status, "free");
  assert.equal(s.out.rpc, null);

  const strict = await runCli(["gateway", "status", "--json", "--require-rpc", "--port", port], env);
  assert.ok(strict.code === 4 || strict.code === 3, `--require-rpc exited ${strict.code}`);
  assert.equal(fs.existsSync(stateDir), false, "status created the state dir");
  assert.deepEqual(fs.readdirSync(home), [], "status created files in HOME");
});

test("status of a running gateway says running, with the lock owner, this brain's listener and a working RPC", bounded, async () => {
  const port = await freePort();
  const gw = track(await startGateway({ port, config: { gateway: { port } } }));
  try {
    const s = await cliJson(["gateway", "status", "--json"], gw.env);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.out.verdict, "running", s.out.problems.join("; "));
    assert.deepEqual(s.out.problems, []);
    assert.equal(s.out.rpc.ok, true);
    assert.equal(s.out.rpc.status.pid, gw.pid);
    assert.equal(s.out.lock.holderPid, gw.pid);
    assert.equal(s.out.lock.ownerIsHolder, true);
    assert.ok(s.out.listeners.length > 0);
    for (const l of s.out.listeners) {
      assert.equal(l.pid, gw.pid);
      assert.equal(l.isThisBrain, true);
      assert.equal(l.gatewayStateDir, gw.stateDir);
    }
    assert.equal((await runCli(["gateway", "status", "--require-rpc"], gw.env)).code, 0);

    const summary = await cliJson(["status", "--json"], gw.env);
    assert.equal(summary.code, 0, summary.stderr);
    assert.equal(summary.out.gateway.verdict, "running");
    const deep = await cliJson(["status", "--deep", "--json"], gw.env);
    assert.equal(deep.code, 0, JSON.stringify(deep.out.checks));
    assert.equal(deep.out.gateway.verdict, "running");
    assert.ok(Array.isArray(deep.out.checks) && deep.out.checks.length > 0);
    const health = await cliJson(["health", "--json"], gw.env);
    assert.equal(health.code, 0, health.stderr);
    assert.equal(health.out.ok, true);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test("status calls change no file of a running brain", bounded, async () => {
  const port = await freePort();
  const gw = track(await startGateway({ port, config: { gateway: { port } } }));
  try {
    const before = snapshotFiles(gw.stateDir, ["logs"]);
    for (const args of [
      ["gateway", "status", "--json"],
      ["status", "--json"],
      ["status", "--deep", "--json"],
    ]) {
      assert.equal((await runCli(args, gw.env)).code, 0, args.join(" "));
    }
    assert.deepEqual(snapshotFiles(gw.stateDir, ["logs"]), before);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test("status on a port held by a foreign process names both the lock holder and the port holder", bounded, async () => {
  const gw = track(await startGateway());
  const otherPort = await freePort();
  const foreign = await foreignHttpServer(otherPort);
  try {
    const s = await cliJson(["gateway", "status", "--json", "--port", String(otherPort)], gw.env);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.out.verdict, "conflict", s.out.problems.join("; "));
    const both = (s.out.problems as string[]).find((p) => new RegExp(`pid ${gw.pid}\\b`).test(p) && new RegExp(`pid ${foreign.pid}\\b`).test(p));
    assert.ok(both, `no problem names both pid ${gw.pid} and pid ${foreign.pid}:\n${s.out.problems.join("\n")}`);
  } finally {
    await foreign.stop();
    assert.equal((await gw.stop()).code, 0);
  }
});

test("gateway probe exits 0 on a healthy gateway, 4 when nothing listens and 5 for a wrong token", bounded, async () => {
  const open = track(await startGateway());
  const token = "tok-probe-0123456789-abcdef";
  const locked = track(await startGateway({ config: { gateway: { auth: { token } } } }));
  try {
    const ok = await runCli(["gateway", "probe", "--url", `ws://127.0.0.1:${open.port}`], open.env);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /healthy/);

    const nobody = await runCli(["gateway", "probe", "--url", `ws://127.0.0.1:${await freePort()}`, "--timeout", "2000"], open.env);
    assert.equal(nobody.code, 4, nobody.stdout + nobody.stderr);

    const right = await runCli(["gateway", "probe", "--url", `ws://127.0.0.1:${locked.port}`], locked.env);
    assert.equal(right.code, 0, `the token from the config is used by default: ${right.stdout}${right.stderr}`);
    const wrong = await runCli(["gateway", "probe", "--url", `ws://127.0.0.1:${locked.port}`, "--token", "wrong"], locked.env);
    assert.equal(wrong.code, 5, wrong.stdout + wrong.stderr);
  } finally {
    assert.equal((await open.stop()).code, 0);
    assert.equal((await locked.stop()).code, 0);
  }
});

test("status --url shows another brain's gateway over RPC alone: its state dir, pipeline and clients; a wrong token exits 5", bounded, async () => {
  const token = "tok-status-url-0123456789-abc";
  const gw = track(await startGateway({ config: { gateway: { auth: { token } } } }));
  const elsewhere = brainEnv(path.join(tmpDir(), "state"));
  try {
    const url = `ws://127.0.0.1:${gw.port}`;
    const s = await cliJson(["status", "--url", url, "--token", token, "--json"], elsewhere);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual([s.out.gateway.kind, s.out.gateway.protocol], ["onebrain", 1]);
    assert.equal(s.out.status.stateDir, gw.stateDir);
    assert.equal(s.out.status.pid, gw.pid);
    const text = await runCli(["status", "--url", url, "--token", token], elsewhere);
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`brain +${gw.stateDir}, pid ${gw.pid}`));
    assert.match(text.stdout, /pipeline +epoch \d+, 0 run\(s\)/);
    assert.ok(!text.stdout.includes(token));
    const wrong = await runCli(["status", "--url", url, "--token", "wrong-token-xyz-0123"], elsewhere);
    assert.equal(wrong.code, 5, wrong.stdout + wrong.stderr);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test("setup makes a private brain with a token, keeps it on a rerun, replaces it with --force, and never prints the token", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  const env = brainEnv(stateDir);
  const configPath = path.join(stateDir, "onebrain.json");
  const readToken = () => JSON.parse(fs.readFileSync(configPath, "utf8")).gateway.auth.token as string;
  const printed: string[] = [];
  const setup = async (...extra: string[]) => {
    const r = await runCli(["setup", ...extra], env);
    assert.equal(r.code, 0, r.stderr);
    printed.push(r.stdout + r.stderr);
    return r;
  };

  await setup();
  assert.equal(fs.statSync(stateDir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(configPath).mode & 0o777, 0o600);
  assert.ok(fs.statSync(path.join(stateDir, "workspace")).isDirectory());
  const token = readToken();
  assert.ok(token.length >= 32, `a short token: ${token.length} chars`);

  const rerun = await setup();
  assert.match(rerun.stdout, /config kept/);
  assert.equal(readToken(), token);

  await setup("--force", "--json");
  const replaced = readToken();
  assert.notEqual(replaced, token);
  assert.equal(JSON.parse(fs.readFileSync(`${configPath}.bak`, "utf8")).gateway.auth.token, token);
  assert.equal(fs.statSync(configPath).mode & 0o777, 0o600);
  for (const out of printed) {
    assert.ok(!out.includes(token) && !out.includes(replaced), `setup printed a whole token:\n${out}`);
  }

  const masked = await runCli(["config", "get", "gateway.auth.token"], env);
  assert.equal(masked.code, 0, masked.stderr);
  assert.equal(masked.stdout.trim(), `${replaced.slice(0, 3)}…${replaced.slice(-3)}`);
  const revealed = await runCli(["config", "get", "gateway.auth.token", "--reveal"], env);
  assert.equal(revealed.stdout.trim(), replaced);
});

test("config set validates before writing: a good port is stored, a bad one exits 20 and leaves the file byte-identical", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  const env = brainEnv(stateDir);
  const configPath = path.join(stateDir, "onebrain.json");
  const set = await runCli(["config", "set", "gateway.port", "19999"], env);
  assert.equal(set.code, 0, set.stderr);
  const get = await cliJson(["config", "get", "gateway.port", "--json"], env);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(get.out.value, 19999);
  assert.equal(get.out.source, "file");

  const before = fs.readFileSync(configPath);
  const bad = await runCli(["config", "set", "gateway.port", "abc"], env);
  assert.equal(bad.code, 20, bad.stderr);
  assert.match(bad.stderr, /gateway\.port: expected an integer 1-65535, got "abc"/);
  assert.deepEqual(fs.readFileSync(configPath), before);
});
