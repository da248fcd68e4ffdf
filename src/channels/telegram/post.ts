/**
 * Bot API calls for sends, over node:http(s) with keep-alive: the request is written the moment
 * `postMethod` is called. Telegram's sendMessage has no idempotency key, so the core commits "a
 * send started" just before calling deliver and, after a crash, takes such a reply as sent
 * (brain/outbox.ts). Every microsecond between that commit and the request's first byte is a
 * window in which a crash loses the reply; grammY's client spends milliseconds there (several
 * awaits, then node-fetch), this one spends none: `req.end()` runs synchronously in the call,
 * and with a free pooled socket the bytes leave on the next tick. Polling and the other calls
 * stay on grammY. Failures are GrammyErrors, so failures.ts classifies both paths alike.
 */
import http from "node:http";
import https from "node:https";
import { GrammyError } from "grammy";

const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 8 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

/** A network failure of a send (no answer from the Bot API), with the token kept out of its message. */
export class SendNetworkError extends Error {
  readonly code: string | undefined;
  constructor(method: string, cause: NodeJS.ErrnoException | Error) {
    super(`network error calling ${method}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`);
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

/**
 * Makes sure a kept-alive connection to the Bot API is open and idle, so that the next
 * `postMethod` writes at once instead of waiting for a connect (a crash during that wait would
 * lose a send already recorded as started). Costs a `getMe` only when no idle connection exists.
 */
export async function warmConnection(apiRoot: string, token: string, signal: AbortSignal): Promise<void> {
  const protocol = new URL(apiRoot).protocol === "https:" ? "https:" : "http:";
  const idle = Object.values(agents[protocol].freeSockets).some((list) => (list?.length ?? 0) > 0);
  if (!idle) await postMethod(apiRoot, token, "getMe", {}, signal);
}

/** Calls `method` with a JSON `payload`; resolves with its `result`, rejects with a GrammyError or a SendNetworkError. */
export function postMethod<T>(apiRoot: string, token: string, method: string, payload: Record<string, unknown>, signal: AbortSignal): Promise<T> {
  const url = new URL(`${apiRoot.replace(/\/+$/, "")}/bot${token}/${method}`);
  const protocol = url.protocol === "https:" ? "https:" : "http:";
  const body = JSON.stringify(payload);
  return new Promise<T>((resolve, reject) => {
    const req = (protocol === "https:" ? https : http).request(
      url,
      { method: "POST", agent: agents[protocol], signal, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("error", (err) => reject(new SendNetworkError(method, err)));
        res.on("end", () => {
          let answer: { ok?: boolean; result?: T; error_code?: number; description?: string; parameters?: Record<string, unknown> };
          try {
            answer = JSON.parse(text) as typeof answer;
          } catch {
            answer = { ok: false, error_code: res.statusCode ?? 0, description: `not a Bot API answer (HTTP ${res.statusCode})` };
          }
          if (answer.ok === true) return resolve(answer.result as T);
          const err = { ok: false as const, error_code: answer.error_code ?? res.statusCode ?? 0, description: answer.description ?? `HTTP ${res.statusCode}`, parameters: answer.parameters ?? {} };
          reject(new GrammyError(`Call to '${method}' failed! (${err.error_code}: ${err.description})`, err, method, payload));
        });
      },
    );
    req.on("error", (err) => reject(new SendNetworkError(method, err)));
    req.end(body);
  });
}
