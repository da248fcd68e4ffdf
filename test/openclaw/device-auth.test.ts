import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { deviceIdOf, deviceProofPayload, publicKeyText, rawPublicKey, verifyDeviceProof, verifySignature } from "../../src/protocol/openclaw/device-auth.ts";

// Made and verified with OpenClaw 2026.9.6's own buildDeviceAuthPayload[V3], signDevicePayload and its gateway's verifier.
const vectors = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "../fixtures/openclaw-device-vectors.json"), "utf8"));

test("builds the same v2 and v3 payloads as OpenClaw and verifies its signatures", () => {
  const raw = rawPublicKey(vectors.key.publicKeyRawBase64Url)!;
  assert.equal(raw.toString("hex"), vectors.key.publicKeyRawHex);
  assert.equal(deviceIdOf(raw), vectors.key.deviceId);
  for (const c of vectors.cases) {
    const i = c.inputs;
    const payload = deviceProofPayload(c.version, { ...i, token: i.token ?? "" });
    assert.equal(payload, c.payload, c.name);
    assert.ok(verifySignature(raw, payload, c.signature), c.name);
  }
});

test("accepts the signatures a real OpenClaw node host sent, with the nonce and time of its socket", () => {
  for (const cap of vectors.capturedFromLiveNodeHost) {
    const d = cap.device;
    const r = verifyDeviceProof(
      d,
      {
        clientId: cap.client.id,
        clientMode: cap.client.mode,
        role: cap.role,
        scopes: cap.scopes,
        token: cap.tokenUsedInPayload ?? "",
        platform: cap.client.platform,
        deviceFamily: cap.client.deviceFamily,
      },
      d.nonce,
      d.signedAt + 5_000,
    );
    assert.deepEqual(r, { ok: true, deviceId: d.id, publicKey: d.publicKey, version: "v3" }, cap.file);
  }
});

test("reads a key given as PEM, padded base64 or base64url as the same key", () => {
  const raw = Buffer.from(vectors.key.publicKeyRawHex, "hex");
  assert.deepEqual(rawPublicKey(vectors.key.publicKeyPem), raw);
  assert.deepEqual(rawPublicKey(raw.toString("base64")), raw);
  assert.equal(publicKeyText(raw), vectors.key.publicKeyRawBase64Url);
  assert.equal(rawPublicKey("not a key!"), null);
  assert.equal(rawPublicKey(Buffer.alloc(31).toString("base64url")), null);
  const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "pem", type: "spki" }).toString();
  assert.equal(rawPublicKey(rsa), null);
});

test("refuses each bad proof with OpenClaw's detail code", () => {
  const c = vectors.cases[0];
  const i = c.inputs;
  const meta = {
    clientId: i.clientId,
    clientMode: i.clientMode,
    role: i.role,
    scopes: i.scopes,
    token: i.token,
    platform: i.platform,
    deviceFamily: i.deviceFamily,
  };
  const dev = c.connectDevice;
  const check = (d: typeof dev, m = meta, nonce = dev.nonce, now = dev.signedAt) => {
    const r = verifyDeviceProof(d, m, nonce, now);
    return r.ok ? "ok" : r.code;
  };
  assert.equal(check(dev), "ok");
  assert.equal(check({ ...dev, publicKey: "%%%" }), "DEVICE_AUTH_PUBLIC_KEY_INVALID");
  assert.equal(check({ ...dev, id: "0".repeat(64) }), "DEVICE_AUTH_DEVICE_ID_MISMATCH");
  assert.equal(check(dev, meta, dev.nonce, dev.signedAt + 121_000), "DEVICE_AUTH_SIGNATURE_EXPIRED");
  assert.equal(check(dev, meta, dev.nonce, dev.signedAt - 119_000), "ok");
  assert.equal(check({ ...dev, nonce: " " }, meta, " "), "DEVICE_AUTH_NONCE_REQUIRED");
  assert.equal(check(dev, meta, "another-socket's-nonce"), "DEVICE_AUTH_NONCE_MISMATCH");
  // Signed without the token it sent, or for other scopes: not this connect's proof.
  assert.equal(check(dev, { ...meta, token: "" }), "DEVICE_AUTH_SIGNATURE_INVALID");
  assert.equal(check(dev, { ...meta, scopes: ["operator.admin"] }), "DEVICE_AUTH_SIGNATURE_INVALID");
  assert.equal(check({ ...dev, signature: "AAAA" }), "DEVICE_AUTH_SIGNATURE_INVALID");
});
