/**
 * Asks `/api/ws-check?attempt=ID` what the gateway saw of a WebSocket attempt. Whatever comes
 * back (or does not) is evidence: a network error, a proxy's HTML page, or the gateway's JSON.
 */
import type { CheckAnswer } from "./diagnose.ts";
import type { LinkDeps } from "./types.ts";

/** Fetches `url` within `timeoutMs` and sorts the outcome into a CheckAnswer; never throws. */
export async function askWsCheck(
  fetch: LinkDeps["fetch"],
  url: string,
  timeoutMs: number,
  schedule: (ms: number, fn: () => void) => () => void,
): Promise<CheckAnswer> {
  const within = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const cancel = schedule(timeoutMs, () => reject(new Error(`no answer within ${timeoutMs} ms`)));
      p.then(
        (v) => (cancel(), resolve(v)),
        (e: unknown) => (cancel(), reject(e)),
      );
    });
  try {
    const res = await within(fetch(url));
    const text = await within(res.text());
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { kind: "http", status: res.status, body };
  } catch (err) {
    return { kind: "network-error", message: String(err) };
  }
}
