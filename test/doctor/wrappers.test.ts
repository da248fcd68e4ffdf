/**
 * A host with wrappers: a gateway started under `runuser`, `su`, `setpriv`, `nohup`, `env` is one
 * brain (the process holding the lock), not one per wrapper; `gateway status` and `status --deep`
 * say in one line that other brains run here; a start whose port plan overlaps a running brain's
 * warns, naming the clash and the spacing that is enough.
 */
import { spawn } from "node:child_process";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { inspectLock } from "../../src/lock/inspect.ts";
import { binNodeFlags, brainEnv, cliPath, freePort, runCli, spawnCli, startGateway, tmpDir, writeConfig, type Proc } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { check, doctorCli, quietPort } from "./support.ts";

after(reapAll);

const which = (bin: string) => ["/usr/bin", "/usr/sbin", "/bin", "/sbin"].map((d) => path.join(d, bin)).find((f) => fs.existsSync(f));
const me = process.getuid!();
const user = (() => {
  const line = fs
    .readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.split(":")[2] === String(me));
  return line?.split(":")[0] ?? "root";
})();

const node = [process.execPath, ...binNodeFlags, cliPath];
const shellQuote = (words: string[]) => words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(" ");

/** Wrapper chains, as a function of the gateway's own command line; each needs its binaries. */
const CHAINS: Array<{ name: string; needs: string[]; root?: boolean; argv: (gateway: string[]) => string[] }> = [
  { name: "runuser -u", needs: ["runuser"], root: true, argv: (g) => ["runuser", "-u", user, "--", ...g] },
  {
    name: "runuser, nohup, env, setpriv",
    needs: ["runuser", "nohup", "env", "setpriv"],
    root: true,
    argv: (g) => ["runuser", "-u", user, "--", "nohup", "env", "ONEBRAIN_WRAPPED=1", "setpriv", `--reuid=${me}`, "--", ...g],
  },
  { name: "su -c", needs: ["su"], root: true, argv: (g) => ["su", user, "-s", "/bin/sh", "-c", shellQuote(g)] },
  {
    name: "nohup env setpriv",
    needs: ["nohup", "env", "setpriv"],
    argv: (g) => ["nohup", "env", "ONEBRAIN_WRAPPED=1", "setpriv", `--reuid=${me}`, "--", ...g],
  },
];

/** Spawns `argv` (a wrapper chain ending in `onebrain gateway`) and waits until the gateway listens. */
async function wrapped(argv: string[], stateDir: string): Promise<Proc> {
  const child = spawn(argv[0]!, argv.slice(1), { env: brainEnv(stateDir), stdio: ["ignore", "pipe", "pipe"] });
  track({ child });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((r) =>
    child.once("close", (code, signal) => r({ code, signal, stdout: out, stderr: out })),
  );
  const deadline = Date.now() + 20_000;
  while (!out.includes("gateway listening")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${argv.slice(0, 3).join(" ")}: no gateway listening:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, pid: child.pid!, stdout: () => out, stderr: () => out, exited, waitFor: async () => {}, kill: (s = "SIGTERM") => void child.kill(s) };
}

/** The pid that holds the brain's lock: the gateway itself, below its wrappers. */
function holder(stateDir: string): number {
  const lock = inspectLock(path.join(stateDir, "brain.lock"), path.join(stateDir, "brain.owner.json"));
  assert.equal(lock.status, "held");
  return lock.holderPid!;
}

/** Stops a wrapped gateway: SIGTERM to the gateway (the wrapper then exits with it). */
async function stopWrapped(p: Proc, stateDir: string): Promise<void> {
  try {
    process.kill(holder(stateDir), "SIGTERM");
  } catch {
    p.kill("SIGKILL");
  }
  await p.exited;
}

for (const chain of CHAINS) {
  const missing = chain.needs.filter((b) => !which(b));
  const skip = missing.length ? `${missing.join(", ")} not installed on this host` : chain.root && me !== 0 ? "needs root" : false;
  test(
    `a gateway started under ${chain.name} is one brain in doctor --json: the process holding the lock, not its wrappers`,
    { ...bounded, skip },
    async () => {
      const stateDir = path.join(tmpDir(), "state");
      const port = await freePort();
      writeConfig(stateDir, { gateway: { port } });
      const gw = await wrapped(chain.argv([...node, "gateway"]), stateDir);
      try {
        const gatewayPid = holder(stateDir);
        const { report } = await doctorCli([], brainEnv(stateDir));
        const brains = (check(report, "brains").details as { brains: Array<{ pid: number; stateDir: string | null; holdsLock: boolean }> }).brains;
        const ours = brains.filter((b) => b.stateDir === stateDir || b.pid === gw.pid);
        assert.deepEqual(
          ours.map((b) => [b.pid, b.holdsLock]),
          [[gatewayPid, true]],
          `wrapper pid ${gw.pid}, gateway pid ${gatewayPid}: ${JSON.stringify(ours)}`,
        );
        // Other tests' gateways on this host may clash with ours (their derived ports can overlap):
        // that is a true finding. What must never appear is the wrapper as a brain of its own. A chain
        // that only execs (nohup env setpriv) leaves the wrapper pid to the gateway, so there is nothing to check.
        const clashes = (check(report, "brains").details as { clashes: Array<{ text: string }> }).clashes;
        if (gw.pid !== gatewayPid) assert.ok(!clashes.some((c) => c.text.includes(`pid ${gw.pid} `)), JSON.stringify(clashes));
      } finally {
        await stopWrapped(gw, stateDir);
      }
    },
  );
}

test(
  "gateway status and status --deep say in one line that another brain runs here, counting a wrapped one once, and point to doctor",
  { ...bounded, skip: which("runuser") && me === 0 ? false : "runuser needs root and must be installed" },
  async () => {
    const aDir = path.join(tmpDir(), "state");
    const aPort = await freePort();
    writeConfig(aDir, { gateway: { port: aPort } });
    const a = await wrapped(["runuser", "-u", user, "--", ...node, "gateway"], aDir);
    const bPort = await freePort();
    const b = track(await startGateway({ port: bPort, config: { gateway: { port: bPort } } }));
    try {
      const aPid = holder(aDir);
      const json = await runCli(["gateway", "status", "--json"], b.env);
      const other = JSON.parse(json.stdout).otherBrains as { brains: Array<{ pid: number; stateDir: string }>; line: string };
      assert.deepEqual(
        other.brains.filter((x) => x.stateDir === aDir).map((x) => x.pid),
        [aPid],
        "the wrapped brain counts once, as its gateway",
      );
      assert.ok(!other.brains.some((x) => x.stateDir === b.stateDir), "this brain is not another brain");
      assert.match(other.line, /^\d+ other brains? runs? on this host: .*see `onebrain doctor`$/);

      const text = await runCli(["gateway", "status"], b.env);
      const lines = text.stdout.split("\n").filter((l) => l.includes("other brain"));
      assert.equal(lines.length, 1, text.stdout);
      assert.match(lines[0]!, /^\d+ other brains? runs? on this host: .*see `onebrain doctor`$/);

      const deep = await runCli(["status", "--deep", "--json"], b.env);
      assert.ok(
        (JSON.parse(deep.stdout).gateway.otherBrains.brains as Array<{ pid: number }>).some((x) => x.pid === aPid),
        deep.stdout,
      );
      const deepText = await runCli(["status", "--deep"], b.env);
      assert.equal(deepText.stdout.split("\n").filter((l) => /other brains? runs? on this host: .*onebrain doctor/.test(l)).length, 1, deepText.stdout);
    } finally {
      await Promise.all([stopWrapped(a, aDir), b.stop()]);
    }
  },
);

test(
  "a gateway whose port plan overlaps a running brain's warns at start-up, on stderr and in its log, with the ranges and the spacing that is enough",
  bounded,
  async () => {
    const port = await quietPort();
    const a = track(await startGateway({ port, config: { gateway: { port } } }));
    // 20 ports up: the bases differ, but each CDP range (base+11..base+110) covers the other's ports.
    const bDir = path.join(tmpDir(), "state");
    writeConfig(bDir, { gateway: { port: port + 20 } });
    const b = track(spawnCli(["gateway"], brainEnv(bDir)));
    try {
      await b.waitFor(new RegExp(`overlaps onebrain ${a.stateDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(pid ${a.pid}`));
      const warning = b
        .stderr()
        .split("\n")
        .find((l) => l.includes(`overlaps onebrain ${a.stateDir}`))!;
      assert.match(warning, new RegExp(`port plan \\(${port + 20}-${port + 130}\\)`));
      assert.match(warning, new RegExp(`gateway ${port + 20} \\(its CDP\\)`));
      assert.match(warning, new RegExp(`CDP ${port + 31}-${port + 110} \\(its CDP\\)`));
      assert.match(warning, /at least 111 apart/);
      // The same line goes to the log file; the gateway writes stderr first, so give the file a moment.
      const logged = () =>
        fs
          .readFileSync(path.join(bDir, "logs", "gateway.log"), "utf8")
          .split("\n")
          .some((l) => l.includes('"level":40') && l.includes(`overlaps onebrain ${a.stateDir}`));
      for (let i = 0; i < 100 && !logged(); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(logged(), fs.readFileSync(path.join(bDir, "logs", "gateway.log"), "utf8"));
    } finally {
      await Promise.all([a.stop(), (b.kill("SIGTERM"), b.exited)]);
    }
  },
);
