/**
 * One POST of an alert to a webhook target: JSON, signed when the target has a key
 * (`X-Onebrain-Signature-256: sha256=<hex HMAC of the body>`), with an Idempotency-Key that is the
 * same on every try of one send, so a receiver can drop a repeat (a try whose answer was lost is
 * sent again). 2xx is sent; 408, 425, 429, 5xx and network errors are tried again (Retry-After
 * honoured); any other answer is a refusal, not retried.
 */
import crypto from "node:crypto";
import { nodeFetch } from "../shared/node-fetch.ts";

export type PostOutcome = { ok: true; status: number } | { ok: false; retry: boolean; error: string; retryAfterMs?: number };

const RETRIED = new Set([408, 425, 429]);

/** Seconds or an HTTP date in Retry-After, as milliseconds from `now` (capped at an hour); undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 3_600_000) : undefined;
}

/** POSTs `body` to `url` within `timeoutMs`. Never throws; never puts the URL in an error (it may hold a secret). */
export async function postAlert(
  url: string,
  body: Record<string, unknown>,
  o: { secret: string | null; idempotencyKey: string; userAgent: string; timeoutMs: number; env: NodeJS.ProcessEnv; now?: () => number },
): Promise<PostOutcome> {
  const json = JSON.stringify(body);
  const headers: Record<string, string> = { "content-type": "application/json", "idempotency-key": o.idempotencyKey, "user-agent": o.userAgent };
  if (o.secret) headers["x-onebrain-signature-256"] = `sha256=${crypto.createHmac("sha256", o.secret).update(json).digest("hex")}`;
  const fetch = nodeFetch({ env: o.env, service: "the alert webhook", maxAnswerBytes: 64 * 1024 });
  const signal = AbortSignal.timeout(o.timeoutMs);
  try {
    const res = await fetch(url, { method: "POST", headers, body: json, signal });
    // The answer's body is not needed, but is read (bounded) so the connection can be reused.
    await res.text().catch(() => "");
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    const retry = RETRIED.has(res.status) || res.status >= 500;
    const after = retryAfterMs(res.headers.get("retry-after"), (o.now ?? Date.now)());
    return { ok: false, retry, error: `HTTP ${res.status}`, ...(after === undefined ? {} : { retryAfterMs: after }) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const error = signal.aborted ? `no answer within ${o.timeoutMs} ms` : (e.code ?? e.name ?? "network error");
    return { ok: false, retry: true, error };
  }
}
