/**
 * "typing…" in a chat while a run for it is going: sent at once, then every interval (the channel's:
 * Telegram shows it 5 s, Discord ~10 s), until the last run for that chat ends. Runs are counted per chat, so two
 * overlapping runs (several sessions can answer in one chat) keep it on until both end.
 */
export class TypingIndicators {
  private readonly chats = new Map<string, { count: number; timer: NodeJS.Timeout }>();
  private readonly send: (chat: string) => void;
  private readonly intervalMs: number;

  constructor(send: (chat: string) => void, intervalMs: number) {
    this.send = send;
    this.intervalMs = intervalMs;
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
    this.send(chat);
    const timer = setInterval(() => this.send(chat), this.intervalMs);
    timer.unref();
    this.chats.set(chat, { count: 1, timer });
  }

  /** Stops every indicator (the channel is stopping). */
  clear(): void {
    for (const t of this.chats.values()) clearInterval(t.timer);
    this.chats.clear();
  }
}
