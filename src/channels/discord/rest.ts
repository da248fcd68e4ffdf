/**
 * The REST client of the Discord channel: @discordjs/rest (buckets, headers, 429 bookkeeping),
 * set up so that onebrain's delivery keeps control:
 *   - `retries: 0`: the lib would resend a POST whose answer was lost (ECONNRESET, timeout), a
 *     blind resend that can post a reply twice; the core's in-doubt path decides instead;
 *   - `rejectOnRateLimit` for waits over REJECT_WAIT_MS: a long wait comes back as the lib's
 *     RateLimitError (retryAfter in ms) and the core waits, instead of a delivery pass blocked here;
 *     a short one is waited out by the lib (a 429 was not carried out, so its retry is safe);
 *   - requests go through src/shared/http-client.ts's agents, so HTTPS_PROXY / NO_PROXY apply as
 *     for every other platform call.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { RateLimitData, ResponseLike } from "@discordjs/rest";
import { nodeFetch, type RequestLike } from "../../shared/node-fetch.ts";

/**
 * @discordjs/rest's own "web" build: the same classes as its Node build, without the Node build's
 * import of the undici package, which only its default transport uses (~17 MiB of RSS a gateway
 * would carry for nothing: requests go through makeRequestVia below). Every value of the lib is
 * taken from here, so `instanceof` on its errors holds.
 */
const lib = (await import(
  pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve("@discordjs/rest")), "web.mjs")).href
)) as typeof import("@discordjs/rest");
export const { REST, DiscordAPIError, HTTPError, RateLimitError } = lib;
export type REST = import("@discordjs/rest").REST;
export type DiscordAPIError = import("@discordjs/rest").DiscordAPIError;
export type HTTPError = import("@discordjs/rest").HTTPError;
export type RateLimitError = import("@discordjs/rest").RateLimitError;

/** A rate limit wait longer than this is handed back to the core rather than waited out in the lib. */
export const REJECT_WAIT_MS = 3_000;

/** A request without an answer in this time is aborted (in doubt for a POST). */
export const REQUEST_TIMEOUT_MS = 15_000;

/** Discord's answers are small; a larger one (a broken proxy, a hostile server) is refused, not held in memory. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** The lib's `makeRequest` over node:http with our proxy-aware agents (src/shared/node-fetch.ts). */
export function makeRequestVia(env: NodeJS.ProcessEnv): (url: string, init: RequestLike) => Promise<ResponseLike> {
  const f = nodeFetch({ env, service: "Discord", maxAnswerBytes: MAX_ANSWER_BYTES });
  return (url, init) => f(url, init) as unknown as Promise<ResponseLike>;
}

/** A REST client for the bot `token` at `apiRoot` (the lib adds `/v10`), through `env`'s proxy. */
export function createRest(o: { token: string; apiRoot: string; env: NodeJS.ProcessEnv }): REST {
  return new REST({
    api: o.apiRoot.replace(/\/+$/, ""),
    version: "10",
    retries: 0,
    timeout: REQUEST_TIMEOUT_MS,
    rejectOnRateLimit: (r: RateLimitData) => r.retryAfter > REJECT_WAIT_MS || r.timeToReset > REJECT_WAIT_MS,
    makeRequest: makeRequestVia(o.env),
    userAgentAppendix: "onebrain",
  }).setToken(o.token);
}
