/** The text of a WebSocket message as `ws` hands it over (one Buffer, fragments, or an ArrayBuffer). */

import type { RawData } from "ws";

/** Decodes a text frame's payload as UTF-8, whichever of ws's binary types carries it. */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}
