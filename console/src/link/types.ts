/** The shapes the console's connection shares with its callers and tests. */
import type { HelloOk } from "../../../src/protocol/frames.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { BannerState } from "./diagnose.ts";

/** The part of the standard WebSocket used here. Handlers take `any` events so the DOM's and Node's WebSocket both fit. */
export interface SocketLike {
  onopen: ((ev: any) => unknown) | null;
  onmessage: ((ev: any) => unknown) | null;
  onclose: ((ev: any) => unknown) | null;
  onerror: ((ev: any) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** The outside world, passed in: browsers give their globals, tests give Node's or fakes. */
export interface LinkDeps {
  WebSocket: new (url: string) => SocketLike;
  fetch: (url: string) => Promise<{ status: number; text(): Promise<string> }>;
  /** The page's own location: only its protocol and host are read. */
  location: { protocol: string; host: string };
  now?: () => number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  schedule?: (ms: number, fn: () => void) => () => void;
  random?: () => number;
  /** Removes the stored token or password: the gateway refused it, so a reload must ask again rather than send it anew. */
  forgetSecret?: () => void;
}

/** Timeouts and identity; every field has a default. */
export interface LinkOptions {
  clientVersion?: string;
  platform?: string;
  /** How long the browser may take to open the socket before the attempt counts as failed. */
  openTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  requestTimeoutMs?: number;
  checkTimeoutMs?: number;
  backoff?: BackoffOptions;
}

/** The defaults of every option. */
export const DEFAULT_LINK_OPTIONS: Required<LinkOptions> = {
  clientVersion: "0.0.0",
  platform: "browser",
  openTimeoutMs: 15_000,
  handshakeTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  checkTimeoutMs: 5_000,
  backoff: {},
};

/** Everything the banner and the pages need to know about the link. */
export interface LinkSnapshot {
  state: BannerState;
  /** One sentence on why the link is in this state ("" when connected). */
  detail: string;
  /** The number of the next (or running) reconnect attempt since the last good connection. */
  attempt: number;
  /** When the next attempt starts (epoch ms); null when none is scheduled. */
  nextRetryAt: number | null;
  /** True when nothing will happen until the operator acts (new token, retry button). */
  manual: boolean;
  httpStatus: number | null;
  hello: HelloOk | null;
  /** The fencing epoch (`status.pipeline.epoch`) of the connected gateway, when it reports one. */
  epoch: number | null;
  /** Bumped on every successful (re)connect: pages reload their state when it changes. */
  generation: number;
}

/** One server event as listeners get it. */
export interface LinkEvent {
  event: string;
  payload: unknown;
}
