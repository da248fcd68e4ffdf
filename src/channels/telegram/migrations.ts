/**
 * Groups upgraded to supergroups. Telegram then refuses sends to the old chat id with a 400
 * carrying `parameters.migrate_to_chat_id` (Bot API, ResponseParameters), and sends a service
 * message with `migrate_to_chat_id` in the old chat. Either teaches the channel where the
 * conversation went: the part is sent there next (once: a move that would loop is not followed),
 * later replies go straight there, and a part in doubt is looked for there. Kept in memory: after
 * a restart, the first send to an old id learns it again from Telegram's refusal.
 */
import { GrammyError } from "grammy";

/** The new chat id Telegram's refusal names, or null when `err` is not that refusal. */
export function migratedTo(err: unknown): string | null {
  if (!(err instanceof GrammyError) || err.error_code !== 400) return null;
  const id = err.parameters?.migrate_to_chat_id;
  return typeof id === "number" && Number.isSafeInteger(id) ? String(id) : null;
}

/** Where each moved chat went. */
export class ChatMoves {
  private readonly to = new Map<string, string>();

  /** The chat that sends to `chat` go to now (itself unless it moved). */
  where(chat: string): string {
    let c = chat;
    // A handful of hops at most: a group is upgraded once; the bound only guards against a loop.
    for (let i = 0; i < 8 && this.to.has(c); i++) c = this.to.get(c)!;
    return c;
  }

  /** `from` moved to `to`: true when that is news worth acting on (not known yet, and no loop). */
  note(from: string, to: string): boolean {
    if (from === to || this.to.get(from) === to || this.where(to) === from) return false;
    this.to.set(from, to);
    return true;
  }
}
