/**
 * Docker cannot run on the machines these tests run on, so the Dockerfile and compose.yaml are
 * checked as data (instructions parsed line by line; compose through a YAML parser), and the
 * container's own command is run here, from a copy of what the runtime image holds.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { validateConfig } from "../../src/config/load.ts";
import { portPlan } from "../../src/paths/ports.ts";
import { freePort, httpGet, repoRoot, tmpDir } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";

after(reapAll);

interface Instruction {
  op: string;
  /** The text after the instruction word, continuation lines joined. */
  args: string;
  /** Exec form (`["a", "b"]`) parsed; null for shell form. */
  json: string[] | null;
}

interface Stage {
  image: string;
  name: string | null;
  steps: Instruction[];
}

/** Dockerfile -> stages of instructions. Comments and blank lines dropped; `\` continuations joined. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue; // a comment inside a continued instruction
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = "";
  }
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(l);
    assert.ok(m, `cannot parse Dockerfile line: ${l}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    let json: string[] | null = null;
    const execForm = /^(?:CMD\s+)?(\[.*\])$/.exec(args)?.[1];
    if (execForm) json = JSON.parse(execForm) as string[];
    if (op === "FROM") {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(f, `cannot parse FROM ${args}`);
      stages.push({ image: f[1]!, name: f[2] ?? null, steps: [] });
      continue;
    }
    assert.ok(stages.length, `${op} before any FROM`);
    stages.at(-1)!.steps.push({ op, args, json });
  }
  return stages;
}

const read = (f: string) => fs.readFileSync(path.join(repoRoot, f), "utf8");
const dockerfile = () => parseDockerfile(read("Dockerfile"));
const runtime = () => dockerfile().at(-1)!;
const only = (stage: Stage, op: string) => {
  const found = stage.steps.filter((s) => s.op === op);
  assert.equal(found.length, 1, `expected exactly one ${op} in stage ${stage.name}`);
  return found[0]!;
};

/** ENV lines of a stage (both `ENV A=1 B=2` and `ENV A 1`) as an object. */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of stage.steps.filter((x) => x.op === "ENV")) {
    if (!s.args.includes("=")) {
      const [k, ...v] = s.args.split(/\s+/);
      env[k!] = v.join(" ");
      continue;
    }
    for (const m of s.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"|"$/g, "");
  }
  return env;
}

/** A compose duration ("30s", "1m30s", "500ms") in ms. */
function durationMs(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  assert.ok(m && text !== "", `cannot parse duration ${text}`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000 + Number(m[4] ?? 0);
}

/** True when .dockerignore keeps `rel` (a repo-relative path) out of the build context. */
function ignored(rel: string): boolean {
  const patterns = read(".dockerignore")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  assert.ok(!patterns.some((p) => p.startsWith("!")), "this check does not handle ! exceptions");
  const toRegex = (p: string) => {
    const g = p.replace(/^\//, "");
    let re = "";
    for (let i = 0; i < g.length; i++) {
      const c = g[i]!;
      if (g.startsWith("**/", i)) {
        re += "(?:.*/)?";
        i += 2;
      } else if (g.startsWith("**", i)) {
        re += ".*";
        i += 1;
      } else if (c === "*") re += "[^/]*";
      else if (c === "?") re += "[^/]";
      else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`^${re}$`);
  };
  const parts = rel.split("/");
  // A pattern that matches a parent dir excludes everything under it.
  return patterns.some((p) => parts.some((_, i) => toRegex(p).test(parts.slice(0, i + 1).join("/"))));
}

test("the runtime image is node 24 slim, runs as a non-root user, keeps its state in a volume, starts under tini and has the probe as its healthcheck", () => {
  const rt = runtime();
  assert.match(rt.image, /^node:24(\.\d+)*-(bookworm-|trixie-)?slim$/);
  const user = only(rt, "USER").args;
  assert.doesNotMatch(user, /^(root|0)(:|$)/, "USER must not be root");
  assert.match(user, /^\d+:\d+$/, "a numeric uid:gid, so runAsNonRoot can verify it");
  const env = envOf(rt);
  assert.equal(env.ONEBRAIN_STATE_DIR, "/data");
  const volume = only(rt, "VOLUME");
  assert.deepEqual(volume.json ?? volume.args.split(/\s+/), [env.ONEBRAIN_STATE_DIR]);
  assert.match(
    rt.steps
      .filter((s) => s.op === "RUN")
      .map((s) => s.args)
      .join("\n"),
    /chown 1000:1000 \/data/,
    "the volume's directory belongs to the runtime user",
  );

  const entry = only(rt, "ENTRYPOINT").json;
  assert.ok(entry, "ENTRYPOINT in exec form");
  assert.equal(path.basename(entry[0]!), "tini");
  assert.ok(entry.includes("--"));
  assert.match(
    rt.steps
      .filter((s) => s.op === "RUN")
      .map((s) => s.args)
      .join("\n"),
    /apt-get install[^\n]*\btini\b/,
    "tini is installed",
  );
  assert.equal(only(rt, "STOPSIGNAL").args, "SIGTERM");

  const hc = only(rt, "HEALTHCHECK");
  assert.match(hc.args, /^(--\S+\s+)*CMD \["onebrain", "gateway", "probe", "--timeout", "5000"\]$/);
  const timeout = /--timeout=(\S+)/.exec(hc.args)?.[1];
  assert.ok(timeout && durationMs(timeout) > 5000, "the healthcheck's own timeout is longer than the probe's");
  assert.ok(only(rt, "CMD").json, "CMD in exec form");
  assert.match(only(rt, "CMD").json!.join(" "), /exec onebrain gateway run$/, "the gateway replaces the shell (tini's child is node)");
});

test("the build steps match the repository: what they copy exists, the lockfile goes in, and .dockerignore keeps out nothing the build reads", () => {
  const [build, rt] = dockerfile();
  assert.ok(build && rt && build !== rt, "two stages: build and runtime");
  assert.equal(build.name, "build");
  const runs = build.steps.filter((s) => s.op === "RUN").map((s) => s.args);
  assert.ok(
    runs.some((r) => /^npm ci\b/.test(r)),
    "npm ci (the lockfile decides the versions)",
  );
  assert.ok(
    runs.some((r) => r === "node scripts/build.js"),
    "the build script of package.json",
  );
  assert.equal(JSON.parse(read("package.json")).scripts.build, "node scripts/build.js");

  for (const copy of build.steps.filter((s) => s.op === "COPY")) {
    const sources = copy.args
      .split(/\s+/)
      .filter((a) => !a.startsWith("--"))
      .slice(0, -1);
    for (const src of sources) {
      if (src === ".") continue;
      assert.ok(fs.existsSync(path.join(repoRoot, src)), `COPY ${src}: not in the repository`);
      assert.ok(!ignored(src), `COPY ${src}: excluded by .dockerignore`);
    }
  }
  // What scripts/build.js reads must reach the build context.
  const buildJs = read("scripts/build.js");
  const inputs = [...buildJs.matchAll(/path\.join\(root, "([^"]+)"\)/g)].map((m) => m[1]!);
  assert.ok(inputs.includes("src/cli/main.ts"));
  for (const f of [...inputs, "package.json", "package-lock.json", "scripts/build.js", "bin/onebrain.js", "console/tsconfig.json"]) {
    if (f === "dist" || f.startsWith("dist/")) continue; // the build's output, not an input
    assert.ok(!ignored(f), `${f} is read by the build but excluded by .dockerignore`);
  }
  for (const heavy of [".git", "node_modules", "dist", "test", "gateway.log", "console/.DS_Store"])
    assert.ok(ignored(heavy), `${heavy} should stay out of the build context`);
  for (const kept of ["src/cli/main.ts", "console/src/main.tsx", "scripts/build.js"]) assert.ok(!ignored(kept), `${kept} must reach the build context`);

  // The runtime copies the binary, its bundle and package.json (the version) from the build stage.
  const copied = rt.steps.filter((s) => s.op === "COPY").map((s) => s.args);
  for (const want of ["bin", "dist", "package.json"]) {
    assert.ok(
      copied.some((c) => c.startsWith("--from=build ") && c.includes(`/src/${want} `)),
      `runtime copies ${want} from the build stage`,
    );
  }
  // dist/ bundles everything but playwright-core, which reads its own package files at run time.
  const modules = copied.filter((c) => c.includes("node_modules"));
  assert.deepEqual(modules, ["--from=build /src/node_modules/playwright-core ./node_modules/playwright-core"], "only playwright-core ships as a package");
  const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string> };
  assert.ok(pkg.dependencies["playwright-core"], "playwright-core is a runtime dependency");
  assert.ok(
    pkg.dependencies["playwright-core"] && !("dependencies" in JSON.parse(read("node_modules/playwright-core/package.json"))),
    "and it has no dependencies of its own",
  );
  assert.match(read("bin/onebrain.js"), /import\("\.\.\/dist\/onebrain\.js"\)/, "bin/ loads dist/ beside it");
});

test("compose.yaml: the probe as healthcheck, an init, a required token, the volume at the state dir, a loopback port, a memory limit, tmpfs /tmp and a stop grace above the drain", () => {
  const text = read("compose.yaml");
  const doc = YAML.parse(text);
  const services = Object.values(doc.services) as Array<Record<string, any>>;
  assert.equal(services.length, 1);
  const gw = services[0]!;

  assert.deepEqual(gw.healthcheck.test, ["CMD", "onebrain", "gateway", "probe", "--timeout", "5000"]);
  assert.ok(durationMs(gw.healthcheck.timeout) > 5000, "the healthcheck's timeout is longer than the probe's");
  assert.equal(gw.init, true);
  if (gw.user !== undefined) assert.doesNotMatch(String(gw.user), /^(root|0)(:|$)/);

  // The token must be given: `${VAR:?message}` makes compose refuse to start without it.
  assert.match(gw.environment.ONEBRAIN_GATEWAY_TOKEN, /^\$\{ONEBRAIN_GATEWAY_TOKEN:\?[^}]+\}$/);
  // Compose interpolates every `$` in values (not comments): each must start ${...} or be escaped as $$.
  assert.doesNotMatch(JSON.stringify(doc).replace(/\$\$/g, ""), /\$(?!\{)/, "a bare $ in a compose.yaml value is an interpolation error");

  const stateDir = envOf(runtime()).ONEBRAIN_STATE_DIR;
  const mounts = (gw.volumes as string[]).map((v) => v.split(":"));
  assert.ok(
    mounts.some(([name, target]) => target === stateDir && doc.volumes && name! in doc.volumes),
    "a named volume at the state dir",
  );

  const defaultPort = portPlan({ env: {} }).base;
  for (const p of gw.ports as string[]) {
    const m = /^127\.0\.0\.1:(?:\$\{ONEBRAIN_PORT:-\d+\}|\d+):(\d+)$/.exec(p);
    assert.ok(m, `port ${p} is published on 127.0.0.1 only`);
    assert.equal(Number(m[1]), defaultPort, "the container port is the gateway's default port");
  }

  assert.ok(gw.mem_limit ?? gw.deploy?.resources?.limits?.memory, "a memory limit");
  assert.ok(
    (gw.tmpfs as string[]).some((t) => t === "/tmp" || t.startsWith("/tmp:")),
    "tmpfs at /tmp",
  );
  const drainMs = validateConfig({}, "defaults").gateway.shutdownGraceMs;
  assert.ok(durationMs(gw.stop_grace_period) > drainMs + 1000, `stop_grace_period ${gw.stop_grace_period} must exceed gateway.shutdownGraceMs (${drainMs} ms)`);
  assert.equal(gw.read_only, true, "read-only root: state goes to the volume, scratch to /tmp");
});

test(
  "the container's command, run from a copy of the runtime image's files, binds lan with the token, passes the healthcheck and stops cleanly; without a token it refuses (exit 13)",
  { timeout: 60_000 },
  async () => {
    // The runtime image's /app (bin, dist, package.json; playwright-core is only loaded by a browser) and /usr/local/bin/onebrain.
    const root = tmpDir("onebrain-image-");
    const app = path.join(root, "app");
    for (const part of ["bin", "dist", "package.json"]) fs.cpSync(path.join(repoRoot, part), path.join(app, part), { recursive: true });
    const binDir = path.join(root, "usr-local-bin");
    fs.mkdirSync(binDir);
    fs.symlinkSync(path.join(app, "bin/onebrain.js"), path.join(binDir, "onebrain"));

    const rt = runtime();
    const compose = YAML.parse(read("compose.yaml")).services.gateway;
    const port = await freePort();
    const stateDir = path.join(root, "data");
    fs.mkdirSync(stateDir, { mode: 0o700 });
    const token = "container-test-token-0123456789";
    const baseEnv: NodeJS.ProcessEnv = {
      PATH: `${binDir}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: root,
      ...envOf(rt),
      ONEBRAIN_STATE_DIR: stateDir, // the volume
      ONEBRAIN_GATEWAY_PORT: String(port), // a free port instead of the container's own 18789
    };
    const cmd = only(rt, "CMD").json!;
    const start = (env: NodeJS.ProcessEnv) => {
      const child = spawn(cmd[0]!, cmd.slice(1), { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
      return { child, exited, output: () => out };
    };
    const healthcheck = (env: NodeJS.ProcessEnv) =>
      new Promise<number | null>((resolve) => {
        const [, ...hc] = compose.healthcheck.test as string[];
        spawn(hc[0]!, hc.slice(1), { env, stdio: "ignore" }).on("close", resolve);
      });

    // No token: the gateway refuses the lan bind (and compose would not even start without one).
    const refused = start(baseEnv);
    assert.equal(await refused.exited, 13, refused.output());
    assert.match(refused.output(), /refusing to bind gateway to 0\.0\.0\.0:\d+ without auth/);

    const env = { ...baseEnv, ONEBRAIN_GATEWAY_TOKEN: token };
    const gw = start(env);
    track({ child: gw.child });
    const deadline = Date.now() + 20_000;
    while (!gw.output().includes("gateway listening")) {
      assert.ok(Date.now() < deadline && gw.child.exitCode === null, `the container's command did not start a gateway:\n${gw.output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(await healthcheck(env), 0, "the healthcheck passes");
    assert.notEqual(await healthcheck({ ...env, ONEBRAIN_GATEWAY_TOKEN: "wrong-token-0123456789" }), 0, "the healthcheck really checks");
    const status = await httpGet(port, "/api/status", { authorization: `Bearer ${token}` });
    assert.equal(status.status, 200);
    assert.deepEqual(status.body.bind, { mode: "lan", hosts: ["0.0.0.0"] });
    assert.equal(JSON.parse(fs.readFileSync(path.join(stateDir, "onebrain.json"), "utf8")).gateway.bind, "lan", "written into the volume once");

    const stopAt = Date.now();
    gw.child.kill("SIGTERM");
    assert.equal(await gw.exited, 0, gw.output());
    assert.ok(Date.now() - stopAt < durationMs(compose.stop_grace_period), "stopped within stop_grace_period");
  },
);
