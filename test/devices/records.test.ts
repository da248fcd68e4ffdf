/**
 * The brain's devices on a real SQLite store (docs/devices.md): one request per device that a
 * repeated ask refreshes and a different ask replaces, the 5-minute lapse, approval and
 * revocation, ids as a person types them, and device tokens kept only as their hash.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { approveRequest, DeviceIdError, listDevices, rejectPending, revokeDevice } from "../../src/devices/admin.ts";
import { findDevice, matchDevice, matchRequest, pendingRequests, REQUEST_TTL_MS, requestApproval, type DeviceClaim } from "../../src/devices/records.ts";
import { checkToken, issueToken } from "../../src/devices/tokens.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { tmpDir } from "../helpers/gateway.ts";

const T0 = 1_800_000_000_000;
const MIN = 60_000;

function freshStore(): Store {
  return openStore(path.join(tmpDir("onebrain-devices-"), "brain.db"));
}

/** A device's claim; the id is made up (records trust what admit.ts verified). */
function claim(deviceId: string, extra: Partial<DeviceClaim> = {}): DeviceClaim {
  return {
    deviceId,
    publicKey: `key-of-${deviceId.slice(0, 8)}`,
    displayName: "kitchen-pi",
    platform: "linux",
    deviceFamily: "Linux",
    clientId: "node-host",
    clientMode: "node",
    role: "node",
    scopes: [],
    remoteIp: "192.0.2.7",
    ...extra,
  };
}

const hex = (prefix: string) => prefix.padEnd(64, "0");

/** The DeviceIdError `fn` throws. */
function idError(fn: () => unknown): DeviceIdError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DeviceIdError) return err;
    throw err;
  }
  assert.fail("expected a DeviceIdError");
}

test("a device asking again the same way keeps its request id; a different ask replaces it with a new id asking for both", () => {
  const store = freshStore();
  const op = claim(hex("aa11"), { clientId: "cli", clientMode: "cli", role: "operator", scopes: ["operator.read"] });
  const first = requestApproval(store, op, "not-paired", T0);
  assert.equal(first.isNew, true);
  const again = requestApproval(store, op, "not-paired", T0 + MIN);
  assert.equal(again.isNew, false, "the same ask is not news");
  assert.equal(again.request.requestId, first.request.requestId);
  assert.equal(again.request.refreshedAt, T0 + MIN);
  // Asking for less than the request already holds is the same request too.
  assert.equal(requestApproval(store, { ...op, scopes: [] }, "not-paired", T0 + 2 * MIN).request.requestId, first.request.requestId);

  const more = requestApproval(store, { ...op, scopes: ["operator.pairing"] }, "not-paired", T0 + 3 * MIN);
  assert.equal(more.isNew, true);
  assert.notEqual(more.request.requestId, first.request.requestId);
  assert.deepEqual(more.request.scopes, ["operator.pairing", "operator.read"], "the new request asks for both");
  assert.deepEqual(
    pendingRequests(store, T0 + 3 * MIN).map((r) => r.requestId),
    [more.request.requestId],
    "a device has one request",
  );
  store.close();
});

test("a request lapses 5 minutes after the device last asked, not after it first asked", () => {
  const store = freshStore();
  const c = claim(hex("bb22"));
  const { request } = requestApproval(store, c, "not-paired", T0);
  requestApproval(store, c, "not-paired", T0 + 4 * MIN);
  assert.equal(pendingRequests(store, T0 + 4 * MIN + REQUEST_TTL_MS).length, 1, "refreshed at 4 min: still waiting at 9 min");
  assert.deepEqual(pendingRequests(store, T0 + 4 * MIN + REQUEST_TTL_MS + 1), [], "lapsed just after");
  assert.equal(idError(() => approveRequest(store, request.requestId, T0 + 10 * MIN)).kind, "unknown");
  const next = requestApproval(store, c, "not-paired", T0 + 11 * MIN);
  assert.equal(next.isNew, true, "asking after the lapse is a new request");
  assert.notEqual(next.request.requestId, request.requestId);
  store.close();
});

test("approving records the device with the role and scopes it asked for; revoking forgets its approval, tokens and requests", () => {
  const store = freshStore();
  const c = claim(hex("cc33"), { clientId: "cli", clientMode: "cli", role: "operator", scopes: ["operator.write"] });
  const { request } = requestApproval(store, c, "not-paired", T0);
  const { device } = approveRequest(store, request.requestId.slice(0, 8), T0 + MIN);
  assert.equal(device.deviceId, c.deviceId);
  assert.deepEqual(device.roles, ["operator"]);
  assert.deepEqual(device.scopes, ["operator.read", "operator.write"], "stored with what write implies");
  assert.equal(device.approvedVia, "owner");
  assert.equal(device.approvedAt, T0 + MIN);
  assert.deepEqual(listDevices(store, T0 + MIN).pending, [], "the request is answered");

  const { token } = issueToken(store, c.deviceId, "operator", device.scopes, T0 + 2 * MIN);
  assert.equal(checkToken(store, c.deviceId, "operator", token, ["operator.read"], T0 + 3 * MIN).ok, true);
  requestApproval(store, { ...c, scopes: ["operator.admin"] }, "scope-upgrade", T0 + 4 * MIN);

  const revoked = revokeDevice(store, c.deviceId.slice(0, 10));
  assert.equal(revoked.deviceId, c.deviceId);
  assert.equal(findDevice(store, c.deviceId), null);
  assert.deepEqual(listDevices(store, T0 + 5 * MIN), { pending: [], approved: [] }, "its pending upgrade went with it");
  assert.deepEqual(checkToken(store, c.deviceId, "operator", token, [], T0 + 5 * MIN), { ok: false, why: "mismatch" });
  assert.equal(Number((store.prepare("SELECT count(*) AS n FROM device_tokens").get() as { n: number }).n), 0);
  store.close();
});

test("a rejected request is dropped and nothing is approved", () => {
  const store = freshStore();
  const { request } = requestApproval(store, claim(hex("dd44")), "not-paired", T0);
  assert.equal(rejectPending(store, request.deviceId, T0).requestId, request.requestId, "named by its device id");
  assert.deepEqual(listDevices(store, T0), { pending: [], approved: [] });
  assert.equal(idError(() => rejectPending(store, request.requestId, T0)).kind, "unknown");
  store.close();
});

test("ids are whole ids or unique prefixes of 6 or more characters, in any case; a prefix shared by two is refused as ambiguous", () => {
  const store = freshStore();
  const a = claim(hex("abcdef01"));
  const b = claim(hex("abcdef02"));
  const ra = requestApproval(store, a, "not-paired", T0).request;
  requestApproval(store, b, "not-paired", T0);

  assert.equal(matchRequest(store, "abcdef", T0), "ambiguous");
  const amb = idError(() => approveRequest(store, "abcdef", T0));
  assert.equal(amb.kind, "ambiguous");
  assert.match(amb.message, /"abcdef" starts more than one pending device request's id: give more of it/);
  const found = matchRequest(store, "ABCDEF01", T0);
  assert.equal(typeof found === "object" && found?.deviceId, a.deviceId, "a longer prefix, upper case");
  assert.equal(matchRequest(store, ` ${ra.requestId} `, T0) !== null, true, "a whole request id, spaces trimmed");
  assert.equal(matchRequest(store, ra.requestId.slice(0, 5), T0), null, "5 characters are too few");

  approveRequest(store, "abcdef01", T0);
  approveRequest(store, "abcdef02", T0);
  assert.equal(matchDevice(store, "abcdef"), "ambiguous");
  assert.equal((matchDevice(store, a.deviceId) as { deviceId: string }).deviceId, a.deviceId);
  const unknown = idError(() => revokeDevice(store, "ffffff"));
  assert.equal(unknown.kind, "unknown");
  assert.match(unknown.message, /No approved device has the id "ffffff"/);
  store.close();
});

test("a device token is stored only as its SHA-256: the token itself is nowhere in the database files", () => {
  const dir = tmpDir("onebrain-devices-");
  const file = path.join(dir, "brain.db");
  const store = openStore(file);
  const c = claim(hex("ee55"));
  approveRequest(store, requestApproval(store, c, "not-paired", T0).request.requestId, T0);
  const { token } = issueToken(store, c.deviceId, "node", [], T0);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/, "32 random bytes, base64url");
  const bytes = () =>
    Buffer.concat(
      fs
        .readdirSync(dir)
        .filter((f) => f.startsWith("brain.db"))
        .map((f) => fs.readFileSync(path.join(dir, f))),
    );
  const seen = bytes();
  assert.equal(seen.includes(Buffer.from(token)), false, "not in brain.db or its WAL while open");
  const row = store.prepare("SELECT token_hash FROM device_tokens WHERE device_id = ?").get(c.deviceId) as { token_hash: string };
  assert.equal(row.token_hash.length, 64);
  assert.equal(seen.includes(Buffer.from(row.token_hash)), true, "the hash is what is stored");
  store.close();
  assert.equal(bytes().includes(Buffer.from(token)), false, "nor after the checkpoint at close");
});

test("a token lets in only its own device and role, and an operator only for scopes it covers", () => {
  const store = freshStore();
  const op = claim(hex("ff66"), { clientId: "cli", clientMode: "cli", role: "operator", scopes: ["operator.write"] });
  approveRequest(store, requestApproval(store, op, "not-paired", T0).request.requestId, T0);
  const { token, issuedAt } = issueToken(store, op.deviceId, "operator", ["operator.read", "operator.write"], T0);

  assert.deepEqual(checkToken(store, op.deviceId, "operator", token, ["operator.read", "operator.sessions.write"], T0), {
    ok: true,
    scopes: ["operator.read", "operator.write"],
    issuedAt,
  });
  assert.deepEqual(checkToken(store, op.deviceId, "operator", token, ["operator.admin"], T0), { ok: false, why: "scope" });
  assert.deepEqual(checkToken(store, op.deviceId, "operator", token, ["operator.pairing"], T0), { ok: false, why: "scope" });
  assert.deepEqual(checkToken(store, op.deviceId, "operator", `${token}x`, [], T0), { ok: false, why: "mismatch" });
  assert.deepEqual(checkToken(store, op.deviceId, "node", token, [], T0), { ok: false, why: "mismatch" }, "another role's token");
  assert.deepEqual(checkToken(store, hex("ff67"), "operator", token, [], T0), { ok: false, why: "mismatch" }, "another device");

  // A fresh token for the same device and role replaces the old one.
  const fresh = issueToken(store, op.deviceId, "operator", ["operator.read"], T0 + MIN).token;
  assert.deepEqual(checkToken(store, op.deviceId, "operator", token, [], T0 + MIN), { ok: false, why: "mismatch" });
  assert.equal(checkToken(store, op.deviceId, "operator", fresh, ["operator.read"], T0 + MIN).ok, true);
  store.close();
});
