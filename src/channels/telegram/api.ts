/** grammY's `Api` for one token, and the one place where a standard AbortSignal meets grammY's types. */
import { Api } from "grammy";
import { agentFor } from "../../shared/http-client.ts";

/** grammY declares its signals with the `abort-controller` polyfill's type; at run time it takes any standard AbortSignal. */
export type GrammySignal = NonNullable<Parameters<Api["getMe"]>[0]>;

/** A standard AbortSignal as grammY's parameter type. */
export function sig(signal: AbortSignal): GrammySignal {
  return signal as unknown as GrammySignal;
}

/**
 * grammY's fetch options with the shared HTTP client's agents: its calls (getUpdates included)
 * take the outbound proxy HTTPS_PROXY names, and share the keep-alive pool with the sends.
 */
export function fetchConfig(env: NodeJS.ProcessEnv = process.env): NonNullable<ConstructorParameters<typeof Api>[1]>["baseFetchConfig"] {
  // node-fetch calls it with the parsed request URL; grammY's types only know an Agent object.
  return { agent: ((url: { href: string }) => agentFor(url, env)) as never };
}

/** The Bot API client; `timeoutSeconds` is a backstop, every call also has its own deadline. */
export function createApi(token: string, o: { apiRoot: string; timeoutSeconds: number }): Api {
  return new Api(token, { apiRoot: o.apiRoot.replace(/\/+$/, ""), timeoutSeconds: o.timeoutSeconds, baseFetchConfig: fetchConfig() });
}
