/**
 * The wire side of the console's handshake (docs/protocol.md, v1): reading a frame, writing the
 * `connect` request, and telling whether the gateway that answered is the one we knew.
 */
import type { WireError } from "./diagnose.ts";

/** A frame as the console reads it: only the fields it looks at, none of them trusted. */
export interface Frame {
  type?: string;
  id?: string;
  ok?: boolean;
  payload?: unknown;
  error?: WireError;
  event?: string;
}

/** The frame in `data`, or null when it is not a JSON object (a broken or hostile frame is ignored). */
export function parseFrame(data: unknown): Frame | null {
  try {
    const frame: unknown = JSON.parse(String(data));
    return frame !== null && typeof frame === "object" && !Array.isArray(frame) ? (frame as Frame) : null;
  } catch {
    return null;
  }
}

/** The `connect` request the console answers a challenge with. */
export function connectFrame(id: string, secret: string | null, client: { version: string; platform: string }): string {
  const params = {
    minProtocol: 1,
    maxProtocol: 1,
    client: { id: "onebrain-console", version: client.version, platform: client.platform, mode: "ui" },
    // The console does not know the gateway's auth mode; the gateway reads the field its mode uses.
    ...(secret ? { auth: { token: secret, password: secret } } : {}),
  };
  return JSON.stringify({ type: "req", id, method: "connect", params });
}

/** What the console knew of the gateway before a reconnect: its instance and its pipeline epoch. */
export interface Known {
  instanceId: string | null;
  epoch: number | null;
}

/** A different gateway answered: another instance, or the same one with a new pipeline epoch. */
export function isReplaced(before: Known, now: Known): boolean {
  if (before.instanceId === null) return false;
  return now.instanceId !== before.instanceId || (now.epoch !== null && before.epoch !== null && now.epoch !== before.epoch);
}

/** The banner's words for a replaced gateway. */
export function replacedDetail(now: Known): string {
  const epoch = now.epoch !== null ? `, epoch ${now.epoch}` : "";
  return (
    `A different gateway answered after the reconnect (instance ${now.instanceId?.slice(0, 8) ?? "?"}${epoch}): ` +
    "it restarted, or another one took over the brain. Every page was reloaded."
  );
}
