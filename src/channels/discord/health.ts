/** Live facts about the Discord Gateway connection for `channels status` (never a secret). */

/** What the channel counts as it runs, and how `health()` reports it. */
export class GatewayFacts {
  resumes = 0;
  identifies = 0;
  /** When the session in use was started (READY) or, after a restart, first RESUMEd by this process; 0: none. */
  sessionSince = 0;
  /** The last heartbeat's round trip. */
  rttMs: number | null = null;

  /** The facts as `channels status` shows them. */
  report(o: {
    sessionHeld: boolean;
    intents: number;
    messageContent: boolean;
    leaseHolder: string | null;
    now?: number;
  }): Record<string, string | number | boolean | null> {
    const now = o.now ?? Date.now();
    return {
      sessionAgeS: o.sessionHeld && this.sessionSince ? Math.round((now - this.sessionSince) / 1000) : null,
      heartbeatRttMs: this.rttMs,
      resumes: this.resumes,
      identifies: this.identifies,
      intents: o.intents,
      messageContent: o.messageContent,
      leaseHolder: o.leaseHolder,
    };
  }
}
