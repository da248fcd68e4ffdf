/** What a live probe of a channel credential found (`channels status --probe`, doctor): shared by every platform. */

/** Who the bot is and how long the platform took to say so, or why it could not. Telegram ids are numbers; Discord ids strings (they do not fit one). */
export type ProbeResult =
  | { ok: true; latencyMs: number; identity: { id: number | string; username: string | null; name: string } }
  | { ok: false; latencyMs: number; error: string; status?: number };

/** Removes every occurrence of `secret` from `text` (error messages may quote request URLs). */
export function scrub(text: string, secret: string): string {
  return secret.length > 0 ? text.split(secret).join("<token>") : text;
}

/** An answer as a JSON object of unknown fields, or null when it is not one. */
export function jsonObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
