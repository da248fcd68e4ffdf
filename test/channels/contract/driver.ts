/**
 * What the channel contract suite (suite.ts) needs from a platform's fake to run the same
 * exactly-once, crash and reconnect tests on every channel: a way to make a user speak, to count
 * the bot's answers to each message, and to break the platform the way the real one breaks.
 * Each platform's driver speaks to its own fake (test/helpers/fake-<platform>*.ts), which speaks
 * the platform's real wire format.
 */

/** A message a user sent, as the driver can find it again. */
export interface Said {
  /** The sender's user id. */
  user: string;
  /** The id the core stores it under (inbound.message_id). */
  key: string;
}

export interface PlatformDriver {
  /** The channel id ("telegram", "discord"). */
  readonly id: string;
  start(): Promise<void>;
  close(): Promise<void>;
  /** `n` new user ids, allowed to talk to the bot in direct messages; each test calls it once, first. */
  users(n: number): string[];
  /** The `channels.<id>` config section of a gateway that serves these users. */
  channelConfig(users: readonly string[]): Record<string, unknown>;
  /** Environment for the gateway (e.g. the platform's token variable unset, so the config's counts). */
  env(): Record<string, string | undefined>;
  /** `user` writes `text` to the bot in a direct message. */
  userSays(user: string, text: string): Said | Promise<Said>;
  /** The bot messages that answer `said` (threaded to it), as the platform holds them. */
  repliesTo(said: Said): number;
  /** How many bot messages the platform holds in all (for "the kills landed mid-flow"). */
  botMessages(): number;
  /** True when the platform has nothing the gateway still has to take (all received and, where the platform asks, confirmed). */
  settled(): boolean;
  /** Breaks the receiving connection once (a reset socket, a dropped Gateway session): the channel must reconnect and miss nothing. */
  disrupt(): void;
  /** The next `n` sends are carried out, but their answers never reach the gateway. */
  loseSendAnswers(n: number): void;
  /** The next `n` sends are refused with a rate limit asking to wait `retryAfterS` seconds. */
  rateLimitSends(n: number, retryAfterS: number): void;
  /** What the fake knows about a message, for a failure report. */
  describe(said: Said): unknown;
  /**
   * Resolves once the gateway on `stateDir` can be spoken to without loss whatever happens next. For
   * a platform that keeps no mailbox (Discord), that is once its session is stored: a kill between
   * the session's start and that commit loses what the platform sent to the session, on the real
   * platform as here. Absent: at once.
   */
  ready?(stateDir: string): Promise<void>;
  /**
   * Prepares a state dir before its gateway first starts: for a platform whose credential is a
   * device linked into the state dir (WhatsApp), the linked device. Two state dirs prepared alike
   * hold one credential (a copied state dir). Absent: nothing to prepare.
   */
  prepare?(stateDir: string): void;
  /** Platform-specific checks of a brain after the kill test (e.g. Telegram: the committed offset covers the last update). */
  checkBrain?(stateDir: string, said: readonly Said[]): void;
}
