/**
 * The canvas capability: the secret path segment of `/__canvas__/c/<cap>/...` that lets an
 * iframe, an `<img>` or a browser tab (none of which can send an Authorization header) in. It is
 * an HMAC-SHA256 keyed by a random per-brain key (`<stateDir>/canvas.key`, 0600, made on first
 * need) over a fixed label and the gateway's secret in force. So it differs per brain, it
 * reveals nothing of the gateway's secret, rotating that secret revokes every capability URL
 * handed out, and deleting the key file (then restarting) revokes them without a new secret.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../shared/fs-atomic.ts";

/** The key file's name in the state dir. */
export const CANVAS_KEY_FILE = "canvas.key";

/** Characters of the capability: 32 base64url characters, 192 bits. */
const CAP_LENGTH = 32;

/** A capability as it may appear in a URL (checked before any HMAC is computed). */
export const CAPABILITY_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/** The brain's canvas key: read from the state dir, or made (32 random bytes, hex, 0600) when missing or unreadable as one. */
export function loadCanvasKey(stateDir: string): Buffer {
  const file = path.join(stateDir, CANVAS_KEY_FILE);
  try {
    const text = fs.readFileSync(file, "utf8").trim();
    if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, "hex");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const key = crypto.randomBytes(32);
  writeFileAtomic(file, `${key.toString("hex")}\n`, { mode: 0o600, forceMode: true });
  return key;
}

/** The capability for `secret` (the auth mode and its secret, e.g. `token:abc`; `none:` without auth) under `key`. */
export function canvasCapability(key: Buffer, secret: string): string {
  return crypto.createHmac("sha256", key).update(`onebrain canvas capability v1\n${secret}`, "utf8").digest("base64url").slice(0, CAP_LENGTH);
}
