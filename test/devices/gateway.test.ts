/**
 * Devices against a real gateway process (docs/devices.md): an OpenClaw device written here (an
 * Ed25519 key signing OpenClaw's v3 payload) asks to be let in, an operator hears of it, the CLI
 * approves it, it gets a device token that outlives a restart, and a revoke closes its socket and
 * sends it back to asking. With the default `gateway.devices.autoApproveLocal` a loopback device
 * that proves the gateway's token is approved at once; a bad proof is refused in OpenClaw's words.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { deviceProofPayload } from "../../src/protocol/openclaw/device-auth.ts";
import { repoRoot, runCli, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { openRaw, type RawClient } from "../server/raw-ws.ts";
import { detailsOf, deviceKey, ocConnect, sign, type OcAttempt } from "./oc-device.ts";

const token = "tok_devices_gateway_".padEnd(40, "d");
const key = deviceKey();
const sockets: RawClient[] = [];
let gw: RunningGateway;
let other: RunningGateway | undefined;

/** A gateway that asks a person about every new device (on `from`'s state dir and port, to restart it). */
async function askingGateway(from?: RunningGateway): Promise<RunningGateway> {
  return track(
    await startGateway(
      from ? { stateDir: from.stateDir, port: from.port } : { config: { gateway: { auth: { token }, devices: { autoApproveLocal: false } } } },
    ),
  );
}

/** Connects and remembers the socket, so that `after` closes it. */
async function connect(port: number, o: Parameters<typeof ocConnect>[1]): Promise<OcAttempt> {
  const a = await ocConnect(port, o);
  sockets.push(a.client);
  return a;
}

/** A protocol v1 client (like the console), connected with the gateway's token. */
async function onebrainClient(port: number): Promise<RawClient> {
  const c = await openRaw(port);
  sockets.push(c);
  assert.equal((await c.connect({ token })).ok, true);
  return c;
}

async function cli(args: string[]) {
  const r = await runCli(["devices", ...args], gw.env);
  return { ...r, json: args.includes("--json") && r.stdout.trim().startsWith("{") ? JSON.parse(r.stdout) : null };
}

after(async () => {
  for (const s of sockets) s.ws.terminate();
  await gw?.stop();
  await other?.stop();
  reapAll();
});

let operator: RawClient;
let console1: RawClient;
let requestId = "";
let deviceToken = "";
let held: OcAttempt;

test("the test's device signs exactly as OpenClaw's own functions do (the shared vectors)", () => {
  const vectors = JSON.parse(fs.readFileSync(path.join(repoRoot, "test/fixtures/openclaw-device-vectors.json"), "utf8"));
  const fixed = deviceKey(vectors.key.privateKeySeedHex);
  assert.equal(fixed.deviceId, vectors.key.deviceId);
  assert.equal(fixed.publicKey, vectors.key.publicKeyRawBase64Url);
  for (const c of vectors.cases) assert.equal(sign(fixed, deviceProofPayload(c.version, { ...c.inputs, token: c.inputs.token ?? "" })), c.signature, c.name);
});

test(
  "an unknown device gets PAIRING_REQUIRED with a request id and close 1008; operators and the console hear of its request",
  { timeout: 60_000 },
  async () => {
    gw = await askingGateway();
    const op = await connect(gw.port, { client: { id: "cli", mode: "cli" }, role: "operator", scopes: ["operator.pairing"], auth: { token } });
    assert.equal(op.res.ok, true, JSON.stringify(op.res.error));
    operator = op.client;
    console1 = await onebrainClient(gw.port);

    const node = await connect(gw.port, { key, auth: { token } });
    assert.equal(node.res.ok, false);
    assert.equal(node.res.error?.code, "NOT_PAIRED");
    assert.equal(node.res.error?.message, "pairing required: device is not approved yet");
    const d = detailsOf(node.res);
    assert.equal(d.code, "PAIRING_REQUIRED");
    assert.equal(d.reason, "not-paired");
    assert.equal(d.deviceId, key.deviceId);
    assert.equal(d.requestedRole, "node");
    assert.match(d.requestId, /^[0-9a-f-]{36}$/);
    requestId = d.requestId;
    const closed = await node.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /^pairing required: device is not approved yet \(requestId: /);

    const heard = await operator.waitFrame((f) => f.event === "device.pair.requested");
    assert.equal(heard.payload.requestId, requestId);
    assert.equal(heard.payload.deviceId, key.deviceId);
    assert.equal(heard.payload.clientId, "node-host");
    assert.equal(heard.payload.role, "node");
    const told = await console1.waitFrame((f) => f.event === "device");
    assert.deepEqual(told.payload, { type: "requested", requestId, deviceId: key.deviceId, clientId: "node-host", role: "node" });
  },
);

test(
  "`devices list --json` shows the request; `devices approve PREFIX` approves it and the device gets in with a device token",
  { timeout: 60_000 },
  async () => {
    const list = await cli(["list", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.json.via, "gateway");
    assert.equal(list.json.pending.length, 1);
    const p = list.json.pending[0];
    assert.equal(p.requestId, requestId);
    assert.equal(p.deviceId, key.deviceId);
    assert.deepEqual([p.clientId, p.clientMode, p.role, p.displayName, p.platform], ["node-host", "node", "node", "test-node", "linux"]);
    assert.ok(p.expiresAt > Date.now() && p.expiresAt <= Date.now() + 5 * 60_000);
    assert.deepEqual(list.json.approved, []);

    const text = await cli(["list"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /devices: 1 pending, 0 approved \(from the running gateway\)/);
    assert.match(text.stdout, new RegExp(`${requestId.slice(0, 8)}\\s+${key.deviceId.slice(0, 12)}\\s+node-host/node\\s+node\\s`));
    assert.match(text.stdout, new RegExp(`next: onebrain devices approve ${requestId.slice(0, 8)}`));

    const approved = await cli(["approve", requestId.slice(0, 8)]);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`devices: approved ${key.deviceId.slice(0, 12)} \\(node-host/node "test-node", role node\\)`));
    assert.match(approved.stdout, /it may connect now/);
    assert.match(approved.stdout, /paused on "pairing required" does not retry by itself: restart it/);
    const resolved = await operator.waitFrame((f) => f.event === "device.pair.resolved");
    assert.deepEqual([resolved.payload.requestId, resolved.payload.decision], [requestId, "approved"]);
    await console1.waitFrame((f) => f.event === "device" && f.payload.type === "approved");

    held = await connect(gw.port, { key, auth: { token } });
    assert.equal(held.res.ok, true, JSON.stringify(held.res.error));
    const auth = held.res.payload.auth;
    assert.equal(auth.role, "node");
    assert.equal(auth.method, "token");
    assert.match(auth.deviceToken, /^[A-Za-z0-9_-]{43}$/);
    deviceToken = auth.deviceToken;

    const after = await cli(["list", "--json"]);
    assert.deepEqual(after.json.pending, []);
    assert.equal(after.json.approved.length, 1);
    const dev = after.json.approved[0];
    assert.deepEqual([dev.deviceId, dev.approvedVia, dev.connected], [key.deviceId, "owner", true]);
    assert.deepEqual(dev.roles, ["node"]);
    assert.ok(!after.stdout.includes(deviceToken), "the list never shows a token");
    held.client.ws.close();
    await held.closed;
  },
);

test("after a restart the device gets in with only its device token: the approval and token are remembered", { timeout: 60_000 }, async () => {
  await gw.stop();
  gw = await askingGateway(gw);
  held = await connect(gw.port, { key, auth: { deviceToken } });
  assert.equal(held.res.ok, true, JSON.stringify(held.res.error));
  assert.equal(held.res.payload.auth.method, "device-token");
  assert.equal(held.res.payload.auth.deviceToken, deviceToken, "a device that came with its token keeps it");
});

test('`devices revoke` closes the device\'s open socket with 4001 "device removed", and its next connect asks again', { timeout: 60_000 }, async () => {
  const revoked = await cli(["revoke", key.deviceId.slice(0, 12), "--json"]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(revoked.json.via, "gateway");
  assert.equal(revoked.json.device.deviceId, key.deviceId);
  assert.equal(revoked.json.disconnected, 1);
  assert.deepEqual(await held.closed, { code: 4001, reason: "device removed" });

  const withToken = await connect(gw.port, { key, auth: { deviceToken } });
  assert.equal(detailsOf(withToken.res).code, "AUTH_DEVICE_TOKEN_MISMATCH", "its token went with the approval");
  const again = await connect(gw.port, { key, auth: { token } });
  assert.equal(again.res.error?.code, "NOT_PAIRED");
  assert.equal(detailsOf(again.res).code, "PAIRING_REQUIRED");
  assert.notEqual(detailsOf(again.res).requestId, requestId, "a new request");
  requestId = detailsOf(again.res).requestId;
  assert.equal((await again.closed).code, 1008);
});

test("an id that names nothing is a usage error (exit 2) that says so", { timeout: 60_000 }, async () => {
  const r = await cli(["approve", "zzzzzz"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /No pending device request has the id "zzzzzz"/);
  assert.match(r.stderr, /next: Copy the id from `onebrain devices list`/);
  const j = await cli(["revoke", "zzzzzz", "--json"]);
  assert.equal(j.code, 2);
  assert.equal(JSON.parse(j.stdout).error.code, "USAGE");
});

test("`devices approve` while no gateway runs approves on the store; the device gets in at the gateway's next start", { timeout: 60_000 }, async () => {
  await gw.stop();
  const approved = await cli(["approve", requestId.slice(0, 8), "--json"]);
  assert.equal(approved.code, 0, approved.stderr);
  assert.equal(approved.json.via, "store");
  assert.equal(approved.json.device.deviceId, key.deviceId);
  const list = await cli(["list", "--json"]);
  assert.equal(list.json.via, "store");
  assert.deepEqual(
    list.json.approved.map((d: { deviceId: string; connected: boolean }) => [d.deviceId, d.connected]),
    [[key.deviceId, false]],
  );
  const text = await cli(["list"]);
  assert.match(text.stdout, /devices: 0 pending, 1 approved \(from the store; the gateway is not running\)/);

  gw = await askingGateway(gw);
  const node = await connect(gw.port, { key, auth: { token } });
  assert.equal(node.res.ok, true, JSON.stringify(node.res.error));
  assert.match(node.res.payload.auth.deviceToken, /^[A-Za-z0-9_-]{43}$/);
});

test("with autoApproveLocal on (the default), a loopback device that proves the gateway's token is approved at once", { timeout: 60_000 }, async () => {
  other = track(await startGateway({ config: { gateway: { auth: { token } } } }));
  const fresh = deviceKey();
  const node = await connect(other.port, { key: fresh, auth: { token } });
  assert.equal(node.res.ok, true, JSON.stringify(node.res.error));
  assert.match(node.res.payload.auth.deviceToken, /^[A-Za-z0-9_-]{43}$/);
  const list = await runCli(["devices", "list", "--json"], other.env);
  const approved = JSON.parse(list.stdout).approved;
  assert.deepEqual(
    approved.map((d: { deviceId: string; approvedVia: string }) => [d.deviceId, d.approvedVia]),
    [[fresh.deviceId, "local"]],
  );
});

test("a signature by another key is refused as DEVICE_AUTH_SIGNATURE_INVALID, closed 1008", { timeout: 60_000 }, async () => {
  const bad = await connect(other!.port, { key: deviceKey(), auth: { token }, tamper: "signature" });
  assert.equal(bad.res.error?.code, "INVALID_REQUEST");
  assert.equal(bad.res.error?.message, "device signature invalid");
  assert.deepEqual(detailsOf(bad.res), { code: "DEVICE_AUTH_SIGNATURE_INVALID", reason: "device-signature" });
  assert.deepEqual(await bad.closed, { code: 1008, reason: "device signature invalid" });
});

test("a proof over a nonce that is not this socket's is refused as DEVICE_AUTH_NONCE_MISMATCH", { timeout: 60_000 }, async () => {
  const bad = await connect(other!.port, { key: deviceKey(), auth: { token }, tamper: "nonce" });
  assert.equal(bad.res.error?.message, "device nonce mismatch");
  assert.deepEqual(detailsOf(bad.res), { code: "DEVICE_AUTH_NONCE_MISMATCH", reason: "device-nonce-mismatch" });
  assert.equal((await bad.closed).code, 1008);
  const list = JSON.parse((await runCli(["devices", "list", "--json"], other!.env)).stdout);
  assert.equal(list.approved.length, 1, "neither bad proof was approved");
  assert.deepEqual(list.pending, []);
});
