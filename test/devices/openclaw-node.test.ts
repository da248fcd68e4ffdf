/**
 * The real OpenClaw node host (`openclaw node run`, 2026.9.6) against a onebrain gateway that asks
 * a person about every new device: it is told pairing is required and waits; OpenClaw's own CLI
 * sees the request; `onebrain devices approve` lets it in once it is restarted; a revoke sends it
 * back to asking, and `openclaw devices approve` answers that. Skipped when the openclaw CLI is not
 * installed at ~/.cache/onebrain-test-tools/openclaw. Each start of the node host takes 30-60 s here.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { runCli, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { eventually } from "../server/raw-ws.ts";

const OPENCLAW = path.join(os.homedir(), ".cache/onebrain-test-tools/openclaw/node_modules/.bin/openclaw");
const skip = fs.existsSync(OPENCLAW) ? false : `the openclaw CLI is not installed at ${OPENCLAW}`;
const SLOW = 150_000;

const token = "tok_devices_openclaw_".padEnd(40, "o");
let gw: RunningGateway;
const nodeHome = tmpDir("onebrain-ocnode-");
const cliHome = tmpDir("onebrain-occli-");
let node: { child: ChildProcess; log: () => string; exited: Promise<void> } | null = null;

/** The environment of an OpenClaw process: its own HOME and state, this gateway's token. */
const ocEnv = (home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
  HOME: home,
  OPENCLAW_STATE_DIR: path.join(home, "state"),
  OPENCLAW_GATEWAY_TOKEN: token,
  NO_COLOR: "1",
  ...extra,
});

/** Starts `openclaw node run` against the gateway (in its own process group, so it goes whole). */
function startNode(): NonNullable<typeof node> {
  const child = spawn(OPENCLAW, ["node", "run", "--host", "127.0.0.1", "--port", String(gw.port), "--display-name", "onebrain-test-node"], {
    env: ocEnv(nodeHome),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return { child, log: () => out, exited };
}

async function stopNode(): Promise<void> {
  if (!node) return;
  const n = node;
  node = null;
  if (n.child.exitCode !== null || n.child.signalCode !== null) return;
  process.kill(-n.child.pid!, "SIGTERM");
  const kill = setTimeout(() => process.kill(-n.child.pid!, "SIGKILL"), 10_000);
  await n.exited;
  clearTimeout(kill);
}

async function devices(): Promise<{ via: string; pending: any[]; approved: any[] }> {
  const r = await runCli(["devices", "list", "--json"], gw.env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Runs OpenClaw's own CLI against the gateway (its loopback default, the gateway's port and token). */
async function openclaw(args: string[]): Promise<any> {
  const child = spawn(OPENCLAW, [...args, "--json"], { env: ocEnv(cliHome, { OPENCLAW_GATEWAY_PORT: String(gw.port) }), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const code = await new Promise<number | null>((r) => child.once("close", r));
  clearTimeout(timer);
  assert.equal(code, 0, `openclaw ${args.join(" ")}: ${err}`);
  return JSON.parse(out.slice(out.indexOf("{")));
}

after(async () => {
  await stopNode();
  await gw?.stop();
  reapAll();
});

let requestId = "";

test("a real OpenClaw node host is told pairing is required and waits; OpenClaw's own CLI sees its request", { skip, timeout: SLOW + 60_000 }, async () => {
  gw = track(await startGateway({ config: { gateway: { auth: { token }, devices: { autoApproveLocal: false } } } }));
  node = startNode();
  const n = node;
  await eventually(
    () => /reconnect paused after close \(1008\).*detail=PAIRING_REQUIRED; waiting for operator action/.test(n.log()),
    "the node host pauses on PAIRING_REQUIRED",
    SLOW,
  );
  const list = await devices();
  assert.equal(list.pending.length, 1);
  const p = list.pending[0];
  assert.deepEqual([p.clientId, p.clientMode, p.role, p.displayName], ["node-host", "node", "node", "onebrain-test-node"]);
  requestId = p.requestId;
  assert.ok(n.log().includes(requestId), "the node host names the request it made");

  const seen = await openclaw(["devices", "list"]);
  assert.deepEqual(
    seen.pending.map((r: { requestId: string }) => r.requestId),
    [requestId],
  );
});

test("`onebrain devices approve` lets it in: restarted, the node host connects and holds its socket", { skip, timeout: SLOW + 60_000 }, async () => {
  const r = await runCli(["devices", "approve", requestId.slice(0, 8)], gw.env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /devices: approved .*node-host\/node "onebrain-test-node", role node/);
  await stopNode();
  node = startNode();
  const n = node;
  await eventually(() => n.log().includes(`node host gateway connected: ws://127.0.0.1:${gw.port}`), "the restarted node host connects", SLOW);
  const list = await devices();
  assert.deepEqual(
    list.approved.map((d) => [d.clientId, d.approvedVia, d.connected]),
    [["node-host", "owner", true]],
  );
});

test(
  "a revoke closes the node host's socket and it is told pairing is required again; `openclaw devices approve` approves it",
  { skip, timeout: SLOW },
  async () => {
    const deviceId = (await devices()).approved[0].deviceId as string;
    const r = await runCli(["devices", "revoke", deviceId.slice(0, 12), "--json"], gw.env);
    assert.equal(JSON.parse(r.stdout).disconnected, 1);
    const n = node!;
    await eventually(async () => (await devices()).pending.length === 1, "the node host reconnects and asks again", 60_000);
    const again = (await devices()).pending[0];
    assert.equal(again.deviceId, deviceId);
    assert.notEqual(again.requestId, requestId);
    await eventually(() => n.log().includes(again.requestId), "the node host is told of the new request", 30_000);

    const approved = await openclaw(["devices", "approve", again.requestId]);
    assert.equal(approved.requestId, again.requestId);
    assert.equal(approved.device.deviceId, deviceId);
    const list = await devices();
    assert.deepEqual(
      list.approved.map((d) => [d.deviceId, d.approvedVia]),
      [[deviceId, "owner"]],
    );
  },
);

test("`openclaw devices remove` disconnects the node host, and `openclaw devices reject` turns down its new request", { skip, timeout: SLOW * 2 }, async () => {
  // A node host that paused for approval waits for its operator to restart it (as against OpenClaw).
  await stopNode();
  node = startNode();
  const restarted = node;
  await eventually(() => (restarted.log().match(/node host gateway connected/g) ?? []).length === 1, "the approved node host connects", SLOW);
  await eventually(async () => (await devices()).approved[0]?.connected === true, "and shows as connected", 30_000);
  const deviceId = (await devices()).approved[0].deviceId as string;
  const removed = await openclaw(["devices", "remove", deviceId]);
  assert.ok(JSON.stringify(removed).includes(deviceId), JSON.stringify(removed));
  assert.deepEqual((await devices()).approved, [], "removed from the brain");
  const n = node!;
  await eventually(async () => (await devices()).pending.length === 1, "the node host reconnects and asks again", 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${n.log().slice(-3000)}`);
  });
  const asked = (await devices()).pending[0];
  assert.equal(asked.deviceId, deviceId);
  await eventually(() => n.log().includes(asked.requestId), "the node host is told of the new request", 30_000);

  const rejected = await openclaw(["devices", "reject", asked.requestId]);
  assert.ok(JSON.stringify(rejected).includes(asked.requestId), JSON.stringify(rejected));
  const after = await devices();
  assert.ok(!after.pending.some((p) => p.requestId === asked.requestId), "the rejected request is gone");
  assert.deepEqual(after.approved, [], "and nothing was approved");
});
