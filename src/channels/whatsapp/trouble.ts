/**
 * What a closed WhatsApp connection means and what follows, by Baileys' DisconnectReason (the Boom
 * status of `lastDisconnect.error`). Pure, so each case is tested on its own. Never a tight loop,
 * never a gateway restart: the channel reconnects with backoff, waits long on a conflict, and stops
 * (with the next step in words) where only the operator can help.
 */
import { backoffMs } from "../../shared/backoff.ts";
import type { ChannelState } from "../channel.ts";
import { DISCONNECT } from "./baileys.ts";

export const RELINK = "onebrain channels login whatsapp";

export type AfterClose =
  | { kind: "reconnect"; delayMs: number; state: ChannelState; counts: boolean }
  | { kind: "stop"; state: Extract<ChannelState, { state: "failed" }>; code: "WHATSAPP_LOGGED_OUT" | "WHATSAPP_REFUSED"; forget: boolean }
  | { kind: "conflict"; delayMs: number; state: Extract<ChannelState, { state: "conflict" }> };

/** The wait after a session was replaced by another one (each replacement doubles it, up to an hour). */
export function replacedDelayMs(times: number): number {
  return Math.min(3_600_000, 60_000 * 2 ** Math.max(0, times - 1));
}

/** Decides after a close with `status` (undefined: no status, a network error). `attempt`: failures in a row before this one. */
export function afterClose(
  status: number | undefined,
  o: { attempt: number; replaced: number; message: string; now: number; random: () => number },
): AfterClose {
  switch (status) {
    case DISCONNECT.loggedOut:
      return {
        kind: "stop",
        code: "WHATSAPP_LOGGED_OUT",
        forget: true,
        state: { state: "failed", reason: `logged out: the device was unlinked on the phone (or expired), so its keys are void. Link it again: ${RELINK}` },
      };
    case DISCONNECT.forbidden:
      return {
        kind: "stop",
        code: "WHATSAPP_REFUSED",
        forget: false,
        state: { state: "failed", reason: `WhatsApp refused this number (403: banned or restricted); see the WhatsApp app, then ${RELINK}` },
      };
    case DISCONNECT.multideviceMismatch:
    case DISCONNECT.badSession:
      return {
        kind: "stop",
        code: "WHATSAPP_LOGGED_OUT",
        forget: true,
        state: { state: "failed", reason: `the linked session is no longer valid (${status}): link the device again: ${RELINK}` },
      };
    case DISCONNECT.connectionReplaced: {
      const delayMs = replacedDelayMs(o.replaced);
      return {
        kind: "conflict",
        delayMs,
        state: {
          state: "conflict",
          detail: `connection replaced: another program logged in with this device's keys (a copied state dir?); trying again in ${Math.round(delayMs / 1000)} s`,
        },
      };
    }
    case DISCONNECT.restartRequired:
      // WhatsApp asks for a fresh connection (always right after linking): at once, not a failure.
      return { kind: "reconnect", delayMs: 0, counts: false, state: { state: "starting" } };
    default: {
      const attempt = o.attempt + 1;
      const delayMs = backoffMs(attempt, { baseMs: 1_000, maxMs: 60_000, random: o.random });
      const lastError = status === undefined ? o.message : `${status} ${o.message}`;
      return { kind: "reconnect", delayMs, counts: true, state: { state: "reconnecting", attempt, nextAttemptAt: o.now + delayMs, lastError } };
    }
  }
}
