/** grammY's `Api` for one token, and the one place where a standard AbortSignal meets grammY's types. */
import { Api } from "grammy";

/** grammY declares its signals with the `abort-controller` polyfill's type; at run time it takes any standard AbortSignal. */
export type GrammySignal = NonNullable<Parameters<Api["getMe"]>[0]>;

/** A standard AbortSignal as grammY's parameter type. */
export function sig(signal: AbortSignal): GrammySignal {
  return signal as unknown as GrammySignal;
}

/** The Bot API client; `timeoutSeconds` is a backstop, every call also has its own deadline. */
export function createApi(token: string, o: { apiRoot: string; timeoutSeconds: number }): Api {
  return new Api(token, { apiRoot: o.apiRoot.replace(/\/+$/, ""), timeoutSeconds: o.timeoutSeconds });
}
