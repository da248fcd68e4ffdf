/**
 * Reading a webhook request: its idempotency key, its body by content type, and a mapping's HMAC
 * signature. Pure functions of the request's parts; the HTTP side (src/server/hooks/) reads the
 * body under its cap and answers.
 */
import crypto from "node:crypto";
import { OnebrainError } from "../shared/errors.ts";
import { isSecretKey } from "../shared/redact.ts";

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The longest idempotency key taken. */
export const MAX_KEY_LENGTH = 256;

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(", ") : v);

/**
 * The idempotency key: the first of `names` (in order) the request carries. At most 256
 * characters of printable ASCII, else refused: a key cut or mangled would match the wrong delivery.
 */
export function idempotencyKey(headers: Headers, names: readonly string[]): { key: string; header: string } | null {
  for (const name of names) {
    const raw = one(headers[name.toLowerCase()]);
    if (raw === undefined) continue;
    const key = raw.trim();
    if (key === "")
      throw new OnebrainError("HOOK_INVALID", `The ${name} header is empty: send a key of 1-${MAX_KEY_LENGTH} printable characters, or leave it out`);
    if (key.length > MAX_KEY_LENGTH)
      throw new OnebrainError("HOOK_INVALID", `The ${name} header is ${key.length} characters: an idempotency key has at most ${MAX_KEY_LENGTH}`);
    if (!/^[\x20-\x7e]+$/.test(key))
      throw new OnebrainError("HOOK_INVALID", `The ${name} header has characters outside printable ASCII: an idempotency key is printable ASCII`);
    return { key, header: name };
  }
  return null;
}

/** Query parameters that name a secret (`token`, `access_token`, `secret`, ...): tokens never go in URLs. */
export function secretInQuery(query: URLSearchParams): string | null {
  for (const k of query.keys()) if (isSecretKey(k)) return k;
  return null;
}

/** True for `application/json` and `application/*+json`. */
export function isJsonType(contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** The body as a mapping's template reads it: JSON parsed, a form as its fields, anything else as UTF-8 text. */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const text = raw.toString("utf8");
  if (isJsonType(contentType)) {
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new OnebrainError("HOOK_INVALID", `The body is not JSON: ${(err as Error).message}`, {
        hint: "Send a JSON body with Content-Type: application/json.",
      });
    }
  }
  if (type === "application/x-www-form-urlencoded") return Object.fromEntries(new URLSearchParams(text));
  return text;
}

/** Whether a body is signed with `secret`: `sha256=<hex HMAC-SHA256 of the exact bytes>`, compared in constant time. */
export function signatureVerdict(raw: Buffer, presented: string | undefined, secret: string): "ok" | "missing" | "wrong" {
  if (presented === undefined || presented.trim() === "") return "missing";
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(presented.trim());
  const expected = crypto.createHmac("sha256", secret).update(raw).digest();
  // A malformed value is compared against zeros, so it takes the same time as a wrong one.
  const got = m ? Buffer.from(m[1]!, "hex") : Buffer.alloc(32);
  return crypto.timingSafeEqual(expected, got) && m !== null ? "ok" : "wrong";
}

/** The token a request presents: `Authorization: Bearer <token>` or `X-Onebrain-Hook-Token: <token>`. */
export function presentedToken(headers: Headers): string | undefined {
  const own = one(headers["x-onebrain-hook-token"])?.trim();
  if (own) return own;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(one(headers.authorization) ?? "");
  return bearer?.[1];
}
