/**
 * Where Telegram message ids come from, and the newest one this channel knows in each place.
 * A bot's private chats and basic groups share one counter (the bot account's message box);
 * each supergroup and channel (ids "-100…") has its own. Every message the bot receives or sends
 * there takes the next id, so ids order messages in time within one counter.
 *
 * The box's newest id is kept in the channel's cursor (committed with each batch of updates), so
 * a restart knows every id that was handed out before it; supergroups are not: their ids are
 * dense, and a scan finds their end (doubt.ts).
 */

/** The counter a chat's message ids come from: "box" (private chats, basic groups) or the supergroup's own id. */
export function idSpace(chatId: string | number): string {
  const id = String(chatId);
  return id.startsWith("-100") ? id : "box";
}

/** A message id kept as text (a reply's `replyTo`), or 0 when there is none. */
export function messageIdOf(text: string | null | undefined): number {
  return text && /^\d+$/.test(text) ? Number(text) : 0;
}

/** The newest message id seen per counter. */
export class KnownIds {
  private readonly newest = new Map<string, number>();

  /** Notes a message id seen in `chatId` (received, sent, or found). */
  note(chatId: string | number, messageId: number): void {
    if (!Number.isSafeInteger(messageId) || messageId <= 0) return;
    const space = idSpace(chatId);
    if (messageId > (this.newest.get(space) ?? 0)) this.newest.set(space, messageId);
  }

  /** The newest id known in the counter of `chatId` (0: none). */
  newestIn(chatId: string | number): number {
    return this.newest.get(idSpace(chatId)) ?? 0;
  }

  /** The committed cursor: the next update_id, and the box's newest id when known ("<offset>" or "<offset>/<box>"). */
  cursor(offset: number): string {
    const box = this.newest.get("box");
    return box ? `${offset}/${box}` : String(offset);
  }

  /** Reads a committed cursor back: the offset (null: none or unreadable), noting the box's newest id. */
  restore(cursor: string | null): number | null {
    const m = cursor === null ? null : /^(\d+)(?:\/(\d+))?$/.exec(cursor);
    if (!m) return null;
    if (m[2]) this.note("box", Number(m[2]));
    return Number(m[1]);
  }
}
