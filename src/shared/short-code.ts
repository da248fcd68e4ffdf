/**
 * Short codes people type: pairing codes and approval ids. 8 characters from an alphabet without
 * look-alikes (no 0/O, 1/I/L), so a code read off a phone can be typed without doubt; case,
 * spaces and dashes do not matter when it is typed back.
 */
import crypto from "node:crypto";

export const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const CODE_LENGTH = 8;

/** A fresh random code (rejection sampling, so every character is equally likely). */
export function newShortCode(random: (n: number) => Buffer = crypto.randomBytes): string {
  let code = "";
  while (code.length < CODE_LENGTH) {
    for (const b of random(CODE_LENGTH * 2)) {
      if (b < 256 - (256 % CODE_ALPHABET.length)) code += CODE_ALPHABET[b % CODE_ALPHABET.length];
      if (code.length === CODE_LENGTH) break;
    }
  }
  return code;
}

/** How a person may type a code: case and spaces or dashes do not matter. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}
