/**
 * Snowflakes and nonces. A snowflake is 64 bits (ms since 2015-01-01 << 22 | worker | increment):
 * more than a double holds, so ids are compared as BigInt and the core's floors (JS numbers) are
 * the timestamps in ms they carry.
 */
import { createHash } from "node:crypto";

/** Discord's epoch (2015-01-01T00:00:00Z) in Unix ms. */
export const DISCORD_EPOCH = 1_420_070_400_000;

/** The creation time (Unix ms) a snowflake carries; null when `id` is not one. */
export function snowflakeTime(id: string | null | undefined): number | null {
  if (!id || !/^\d{1,20}$/.test(id)) return null;
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

/** The smallest snowflake of the millisecond `ms` (Unix ms): `after=` it includes everything made then or later. */
export function snowflakeAt(ms: number): bigint {
  return BigInt(Math.max(0, Math.floor(ms) - DISCORD_EPOCH)) << 22n;
}

/** The larger of two snowflakes (as strings), either may be absent. */
export function newerId(a: string | undefined, b: string): string {
  return a !== undefined && BigInt(a) >= BigInt(b) ? a : b;
}

/** A floor taken from the local clock (nothing known in a conversation) goes back this far: Discord's clock may be behind ours. */
export const CLOCK_MARGIN_MS = 30_000;

/** Discord's cap on a message nonce's length. */
export const NONCE_MAX = 25;

/**
 * The nonce of part `part` of the reply `idempotencyKey`: stable across attempts (so Discord,
 * with enforce_nonce, returns the message already made for a retry within its window instead of a
 * second one), distinct per part, 25 base64url characters (150 bits of a SHA-256).
 */
export function partNonce(idempotencyKey: string, part: number): string {
  return createHash("sha256").update(`${idempotencyKey}\u0000${part}`).digest("base64url").slice(0, NONCE_MAX);
}
