/**
 * Random ids for connection attempts and chat idempotency keys. Built on getRandomValues, not
 * randomUUID: the latter exists only in secure contexts, and a console opened over plain HTTP on
 * a LAN address is not one.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A random id of `length` characters from [A-Za-z0-9_-] (what `/ws?attempt=` accepts). */
export function randomId(length = 22, bytes: (n: number) => Uint8Array = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n))): string {
  let out = "";
  // 64 symbols: the low 6 bits of each byte pick one without bias.
  for (const b of bytes(length)) out += ALPHABET[b & 63];
  return out;
}
