/**
 * Hostile input: a secret of every kind in every wrong type is never printed back. Each value
 * carries a distinctive marker; every output of the real CLI (gateway, config validate [--json],
 * status --json, config set) and a running gateway's console and log file after a hot reload are
 * searched for it.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { validateConfig } from "../../src/config/load.ts";
import { secretKeyPaths } from "../../src/config/schema-walk.ts";
import { isSecretKey } from "../../src/shared/redact.ts";
import { brainEnv, freePort, runCli, startGateway, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";

after(reapAll);

/** The schema's secret key paths, with a provider name where the schema has a record. */
const SECRET_PATHS = secretKeyPaths().map((p) => p.replace("*", "p"));

interface WrongType {
  name: string;
  /** The wrong value for the secret path number `i`, holding that path's marker. */
  value(marker: string): unknown;
  /** How `config set` is given it on the command line. */
  cli(marker: string): string;
  /** False when the type cannot carry a marker (true, null): only the error itself is checked. */
  carries: boolean;
}

const WRONG_TYPES: WrongType[] = [
  { name: "number", value: (m) => Number(m), cli: (m) => m, carries: true },
  { name: "list", value: (m) => [m], cli: (m) => JSON.stringify([m]), carries: true },
  { name: "object", value: (m) => ({ value: m }), cli: (m) => JSON.stringify({ value: m }), carries: true },
  { name: "list of objects", value: (m) => [{ k: m }], cli: (m) => JSON.stringify([{ k: m }]), carries: true },
  { name: "boolean", value: () => true, cli: () => "true", carries: false },
  { name: "null inside a list", value: () => [null], cli: () => "[null]", carries: false },
  { name: "over-long string", value: (m) => `${m}${"x".repeat(5000)}`, cli: (m) => `${m}${"x".repeat(5000)}`, carries: true },
  { name: "string with a newline", value: (m) => `${m}\nsecond line`, cli: (m) => `${m}\nsecond line`, carries: true },
  { name: "string with a control character", value: (m) => `${m}\u0007`, cli: (m) => `${m}\u0007`, carries: true },
];

/** A marker per (type, path): digits only, so that it fits in a number too. */
function marker(typeIndex: number, pathIndex: number): string {
  return `97${typeIndex}${pathIndex}31415926`;
}

function setAt(root: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let node = root;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

/** A config with the wrong type at every secret path at once, and the markers in it. */
function brokenConfig(t: number): { config: Record<string, unknown>; markers: string[] } {
  const config: Record<string, unknown> = {};
  const markers = SECRET_PATHS.map((p, i) => {
    const m = marker(t, i);
    setAt(config, p, WRONG_TYPES[t]!.value(m));
    return m;
  });
  return { config, markers: WRONG_TYPES[t]!.carries ? markers : [] };
}

function assertNoMarker(where: string, text: string, markers: readonly string[]): void {
  for (const m of markers) assert.ok(!text.includes(m), `${where} printed the secret ${m}:\n${text.slice(0, 2000)}`);
}

test("the schema's secret key paths cover every token, password, API key and bot token", () => {
  for (const p of ["gateway.auth.token", "gateway.auth.password", "models.providers.*.apiKey", "channels.telegram.botToken"]) {
    assert.ok(secretKeyPaths().includes(p), `${p} is not among the secret paths: ${secretKeyPaths().join(", ")}`);
  }
  for (const p of secretKeyPaths()) assert.ok(p.split(".").some(isSecretKey), p);
});

test("a config error never shows a value at a secret path, whatever its type, and names the path and what was expected", () => {
  for (const [t, type] of WRONG_TYPES.entries()) {
    for (const [i, p] of SECRET_PATHS.entries()) {
      const config: Record<string, unknown> = {};
      setAt(config, p, type.value(marker(t, i)));
      let err: { message: string; details: unknown } | undefined;
      try {
        validateConfig(config, "onebrain.json");
      } catch (e) {
        err = e as typeof err;
      }
      if (p.endsWith("apiKeyEnv") && !err) continue; // the name of a variable: some wrong types are refused only by its own rule
      assert.ok(err, `${type.name} at ${p} was accepted`);
      const shown = `${err.message}\n${JSON.stringify(err.details)}`;
      assert.ok(err.message.includes(`${p}: expected`), `${type.name} at ${p}: ${err.message}`);
      if (type.carries) assertNoMarker(`${type.name} at ${p}`, shown, [marker(t, i)]);
    }
  }
});

test("a secret section given as a bare string is not shown either", () => {
  for (const p of ["gateway.auth", "models.providers.p", "channels.telegram", "gateway"]) {
    const config: Record<string, unknown> = {};
    setAt(config, p, "SEKRIT-SECTION-31415926");
    assert.throws(
      () => validateConfig(config, "onebrain.json"),
      (e: Error) => e.message.includes(`${p}: expected`) && !e.message.includes("SEKRIT") && !e.message.includes("Invalid input"),
    );
  }
});

// About 80 short CLI runs: generous for a loaded machine.
test("the CLI never prints a secret of a wrong type: gateway, config validate, status --json, config set", { timeout: 240_000 }, async () => {
  for (const [t, type] of WRONG_TYPES.entries()) {
    const stateDir = path.join(tmpDir(), "state");
    const { config, markers } = brokenConfig(t);
    writeConfig(stateDir, config);
    const env = brainEnv(stateDir);
    const port = String(await freePort());
    const runs: Array<[string, string[]]> = [
      ["gateway", ["gateway", "--port", port]],
      ["config validate", ["config", "validate"]],
      ["config validate --json", ["config", "validate", "--json"]],
      ["status --json", ["status", "--json"]],
      ["config set gateway.port", ["config", "set", "gateway.port", port]],
      ["config get gateway.auth", ["config", "get", "gateway.auth", "--json"]],
    ];
    for (const [label, args] of runs) {
      const r = await runCli(args, env);
      assertNoMarker(`${type.name}: onebrain ${label}`, r.stdout + r.stderr, markers);
      if (label.startsWith("config validate") || label === "gateway")
        assert.equal(r.code, 20, `${type.name}: ${label} exited ${r.code}\n${r.stderr}${r.stdout}`);
      if (label === "config validate")
        for (const p of SECRET_PATHS.filter((x) => !x.endsWith("apiKeyEnv")))
          assert.ok(r.stderr.includes(`${p}: expected`), `${type.name}: ${p} not reported:\n${r.stderr}`);
    }
    // Setting a secret to the wrong value on a clean file is refused without echoing it (true and
    // null carry no marker; a number is stored as its text, a valid secret, shown masked).
    if (!type.carries || type.name === "number") continue;
    const clean = path.join(tmpDir(), "state");
    for (const [i, p] of SECRET_PATHS.entries()) {
      const m = marker(t, i);
      const r = await runCli(["config", "set", p, type.cli(m)], brainEnv(clean));
      for (const [label, text] of [
        ["stdout", r.stdout],
        ["stderr", r.stderr],
      ] as const) {
        // A string that is valid as a secret is stored and shown masked by its ends, so the marker never appears whole.
        assertNoMarker(`${type.name}: config set ${p} (${label})`, text, type.carries ? [m] : []);
      }
    }
  }
});

test("a hot reload of secrets of every wrong type keeps them out of the console and gateway.log", bounded, async () => {
  const port = await freePort();
  const token = "tok-reload-secrets-0123456789";
  const gw = track(await startGateway({ port, config: { gateway: { port, auth: { token } } } }));
  const logFile = path.join(gw.stateDir, "logs", "gateway.log");
  const failures = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("config reload failed").length - 1 : 0);
  const all: string[] = [];
  try {
    for (const t of WRONG_TYPES.keys()) {
      const { config, markers } = brokenConfig(t);
      all.push(...markers);
      setAt(config, "gateway.port", port);
      const before = failures();
      writeConfig(gw.stateDir, config);
      process.kill(gw.pid, "SIGHUP");
      for (let i = 0; i < 800 && failures() === before; i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(
        failures() > before,
        `no reload failure logged for ${WRONG_TYPES[t]!.name}:\n${fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-3000) : "no log"}\n${gw.stderr().slice(-2000)}`,
      );
    }
    const s = await runCli(["status", "--json"], gw.env);
    assertNoMarker("status --json of the running gateway", s.stdout + s.stderr, all);
  } finally {
    await gw.stop();
  }
  assertNoMarker("gateway.log", fs.readFileSync(logFile, "utf8"), all);
  assertNoMarker("the gateway's console", gw.stdout() + gw.stderr(), all);
});
