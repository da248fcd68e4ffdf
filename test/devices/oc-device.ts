/**
 * An OpenClaw device as the tests play it: an Ed25519 key (its id the hex SHA-256 of the raw
 * public key), and a `connect` in OpenClaw's protocol 4 that signs the v3 payload over this
 * socket's challenge nonce, as OpenClaw's clients do (`deviceProofPayload` is the builder the
 * vectors in test/fixtures/openclaw-device-vectors.json check against OpenClaw's own).
 */
import crypto from "node:crypto";
import { deviceIdOf, deviceProofPayload } from "../../src/protocol/openclaw/device-auth.ts";
import { openRaw, type Frame, type RawClient } from "../server/raw-ws.ts";

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export interface DeviceKey {
  privateKey: crypto.KeyObject;
  /** The raw 32-byte public key, base64url without padding (the wire form). */
  publicKey: string;
  deviceId: string;
}

/** A key made from a 32-byte seed (hex), or a fresh random one. */
export function deviceKey(seedHex?: string): DeviceKey {
  const privateKey = seedHex
    ? crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seedHex, "hex")]), format: "der", type: "pkcs8" })
    : crypto.generateKeyPairSync("ed25519").privateKey;
  const raw = crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(-32);
  return { privateKey, publicKey: raw.toString("base64url"), deviceId: deviceIdOf(raw) };
}

/** The Ed25519 signature of a payload, base64url without padding (OpenClaw's `signDevicePayload`). */
export function sign(key: DeviceKey, payload: string): string {
  return crypto.sign(null, Buffer.from(payload, "utf8"), key.privateKey).toString("base64url");
}

export interface ConnectOptions {
  key?: DeviceKey;
  client?: { id: string; mode: string; platform?: string; deviceFamily?: string; displayName?: string };
  role?: string;
  scopes?: string[];
  auth?: { token?: string; deviceToken?: string };
  /** A broken proof: a signature by another key, or one over a nonce that is not this socket's. */
  tamper?: "signature" | "nonce";
}

export interface OcAttempt {
  client: RawClient;
  /** The answer to `connect`. */
  res: Frame;
  closed: Promise<{ code: number; reason: string }>;
}

/** A node host's client block, as `openclaw node run` sends it. */
export const NODE_HOST = { id: "node-host", mode: "node", platform: "linux", deviceFamily: "Linux", displayName: "test-node" };

/** Opens a socket to the gateway and connects in OpenClaw's protocol, signing with `key` when given. */
export async function ocConnect(port: number, o: ConnectOptions = {}): Promise<OcAttempt> {
  const client = await openRaw(port);
  const challenge = await client.waitFrame((f) => f.type === "event" && f.event === "connect.challenge");
  const nonce = String(challenge.payload.nonce);
  const c = o.client ?? NODE_HOST;
  const role = o.role ?? "node";
  const scopes = o.scopes ?? [];
  const params: Record<string, unknown> = {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: c.id, version: "2026.9.6", platform: c.platform ?? "linux", mode: c.mode, ...(c.deviceFamily ? { deviceFamily: c.deviceFamily } : {}) },
    role,
    scopes,
    ...(o.auth ? { auth: o.auth } : {}),
  };
  if (c.displayName) (params.client as Record<string, unknown>).displayName = c.displayName;
  if (o.key) {
    const signedAt = Number(challenge.payload.ts);
    const signedNonce = o.tamper === "nonce" ? crypto.randomUUID() : nonce;
    const payload = deviceProofPayload("v3", {
      deviceId: o.key.deviceId,
      clientId: c.id,
      clientMode: c.mode,
      role,
      scopes,
      signedAtMs: signedAt,
      token: o.auth?.token ?? o.auth?.deviceToken ?? "",
      nonce: signedNonce,
      platform: c.platform ?? "linux",
      deviceFamily: c.deviceFamily,
    });
    const signature = sign(o.tamper === "signature" ? deviceKey() : o.key, payload);
    params.device = { id: o.key.deviceId, publicKey: o.key.publicKey, signature, signedAt, nonce: signedNonce };
  }
  const res = await client.request("connect", params);
  return { client, res, closed: client.closed };
}

/** The `details` of a refused connect. */
export const detailsOf = (f: Frame): Record<string, any> => (f.error?.details ?? {}) as Record<string, any>;
