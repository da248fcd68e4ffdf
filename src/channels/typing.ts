/**
 * "typing…" in a chat while a run for it is going: sent at once (or after `firstDelayMs`, so a run
 * that answers sooner costs no request), then every interval (the channel's: Telegram shows it 5 s,
 * Discord ~10 s), until the last run for that chat ends. Runs are counted per chat, so two
 * overlapping runs (several sessions can answer in one chat) keep it on until both end.
 */
export class TypingIndicators {
  private readonly chats = new Map<string, { count: number; timer?: NodeJS.Timeout }>();
  private readonly send: (chat: string) => void;
  private readonly intervalMs: number;
  private readonly firstDelayMs: number;

  constructor(send: (chat: string) => void, intervalMs: number, firstDelayMs = 0) {
    this.send = send;
    this.intervalMs = intervalMs;
    this.firstDelayMs = firstDelayMs;
  }

  /** A run for `chat` started (true) or ended (false). */
  set(chat: string, active: boolean): void {
    const t = this.chats.get(chat);
    if (!active) {
      if (!t || --t.count > 0) return;
      clearInterval(t.timer);
      this.chats.delete(chat);
      return;
    }
    if (t) {
      t.count++;
      return;
    }
    const entry: { count: number; timer?: NodeJS.Timeout } = { count: 1 };
    const repeat = () => {
      this.send(chat);
      entry.timer = setInterval(() => this.send(chat), this.intervalMs);
      entry.timer.unref();
    };
    if (this.firstDelayMs > 0) {
      entry.timer = setTimeout(repeat, this.firstDelayMs);
      entry.timer.unref();
    } else repeat();
    this.chats.set(chat, entry);
  }

  /** Stops every indicator (the channel is stopping). */
  clear(): void {
    for (const t of this.chats.values()) clearInterval(t.timer);
    this.chats.clear();
  }
}
