/**
 * What the fake Discord holds (fake-discord.ts): snowflakes, users, guilds, channels, threads, DM
 * channels and messages, shaped as Discord's v10 JSON. Private to the fake Discord.
 */

/** Discord's epoch (2015-01-01); a snowflake is (ms since it) << 22 plus worker and increment bits. */
export const DISCORD_EPOCH = 1420070400000n;

/** A user as Discord sends it. */
export interface DUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
}

/** A channel as Discord sends it (type 0 guild text, 1 DM, 11 public thread). */
export interface DChannel {
  id: string;
  type: number;
  guild_id?: string;
  name?: string;
  parent_id?: string;
  recipients?: DUser[];
  last_message_id: string | null;
}

/** A message as Discord sends it (APIMessage); `nonce` only in the create answer and MESSAGE_CREATE. */
export interface DMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: DUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: DUser[];
  mention_roles: string[];
  attachments: unknown[];
  embeds: unknown[];
  pinned: boolean;
  type: number;
  flags: number;
  nonce?: string | number;
  member?: { roles: string[]; joined_at: string; deaf: boolean; mute: boolean; flags: number };
  message_reference?: { type: number; message_id: string; channel_id: string; guild_id?: string };
  referenced_message?: DMessage | null;
  interaction_metadata?: { id: string; type: number; user: DUser };
}

/** Makes increasing snowflakes from the clock (never two equal, never decreasing). */
export class Snowflakes {
  #last = 0n;
  /** The next id, as Discord writes it (a decimal string). */
  next(now = Date.now()): string {
    let id = (BigInt(now) - DISCORD_EPOCH) << 22n;
    if (id <= this.#last) id = this.#last + 1n;
    this.#last = id;
    return String(id);
  }
}

/** When a snowflake was made, in ms since 1970. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** Compares two snowflakes as BigInt (ids outgrow Number's precision). */
export function cmpId(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The world the bot lives in: users, guilds, their channels and threads, DMs, and every message. */
export class World {
  readonly ids = new Snowflakes();
  readonly users = new Map<string, DUser>();
  readonly guilds = new Map<string, { id: string; name: string; joined_at: string }>();
  readonly channels = new Map<string, DChannel>();
  /** Messages per channel, oldest first. */
  readonly messages = new Map<string, DMessage[]>();
  /** Channels the bot may not see or write in (403 code 50001). */
  readonly forbidden = new Set<string>();
  readonly bot: DUser;

  constructor(botName: string) {
    const botId = this.ids.next();
    this.bot = { id: botId, username: botName, global_name: null, discriminator: "0000", avatar: null, bot: true };
    this.users.set(botId, this.bot);
  }

  /** A new user (a person). */
  user(name?: string): DUser {
    const id = this.ids.next();
    const u: DUser = { id, username: name ?? `user${this.users.size}`, global_name: name ?? null, discriminator: "0", avatar: null };
    this.users.set(id, u);
    return u;
  }

  /** A new guild the bot is in. */
  guild(name?: string): string {
    const id = this.ids.next();
    this.guilds.set(id, { id, name: name ?? `guild${this.guilds.size + 1}`, joined_at: new Date().toISOString() });
    return id;
  }

  /** A new channel (text channel, thread or DM). */
  channel(c: Omit<DChannel, "id" | "last_message_id">): string {
    const id = this.ids.next();
    this.channels.set(id, { id, last_message_id: null, ...c });
    this.messages.set(id, []);
    return id;
  }

  /** The DM channel with a user, made on first use (one per user, as on Discord). */
  dm(userId: string): string {
    for (const c of this.channels.values()) if (c.type === 1 && c.recipients?.[0]?.id === userId) return c.id;
    const u = this.users.get(userId);
    if (!u) throw new Error(`Unknown user "${userId}"`);
    return this.channel({ type: 1, recipients: [u] });
  }

  /** Stores a message in its channel (the channel's last_message_id follows). */
  add(m: DMessage): DMessage {
    this.messages.get(m.channel_id)!.push(m);
    this.channels.get(m.channel_id)!.last_message_id = m.id;
    return m;
  }

  /** A message by id in a channel. */
  find(channelId: string, messageId: string): DMessage | undefined {
    return this.messages.get(channelId)?.find((m) => m.id === messageId);
  }

  /** The guild a channel belongs to (threads: their parent's). */
  guildOf(channelId: string): string | undefined {
    return this.channels.get(channelId)?.guild_id;
  }

  /** A message shaped as Discord makes it; `mentions` from the `<@id>` tokens in the content. */
  message(channelId: string, author: DUser, content: string, o: { reference?: DMessage; mentionUsers?: boolean } = {}): DMessage {
    const guildId = this.guildOf(channelId);
    const mentioned = o.mentionUsers === false ? [] : [...content.matchAll(/<@!?(\d+)>/g)].map((x) => this.users.get(x[1]!)).filter((u) => u !== undefined);
    const now = new Date();
    const m: DMessage = {
      id: this.ids.next(now.getTime()),
      channel_id: channelId,
      author,
      content,
      timestamp: now.toISOString().replace("Z", "+00:00"),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [...new Map(mentioned.map((u) => [u.id, u])).values()],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: o.reference ? 19 : 0,
      flags: 0,
    };
    if (guildId) {
      m.guild_id = guildId;
      m.member = { roles: [], joined_at: this.guilds.get(guildId)!.joined_at, deaf: false, mute: false, flags: 0 };
    }
    if (o.reference) {
      m.message_reference = { type: 0, message_id: o.reference.id, channel_id: channelId, ...(guildId ? { guild_id: guildId } : {}) };
      m.referenced_message = withoutNonce(o.reference);
    }
    return m;
  }

  /** GET /channels/:id/messages: newest first, `limit` around/before/after an id (Discord: after = the oldest ones past it). */
  page(channelId: string, q: { after?: string; before?: string; around?: string; limit: number }): DMessage[] {
    const all = this.messages.get(channelId) ?? [];
    let picked: DMessage[];
    if (q.after) picked = all.filter((m) => cmpId(m.id, q.after!) > 0).slice(0, q.limit);
    else if (q.around) {
      const older = all.filter((m) => cmpId(m.id, q.around!) < 0).slice(-Math.floor(q.limit / 2));
      const rest = all.filter((m) => cmpId(m.id, q.around!) >= 0).slice(0, q.limit - older.length);
      picked = [...older, ...rest];
    } else if (q.before) picked = all.filter((m) => cmpId(m.id, q.before!) < 0).slice(-q.limit);
    else picked = all.slice(-q.limit);
    return picked.map(withoutNonce).reverse();
  }
}

/** A message as GET returns it: Discord never echoes the nonce there. */
export function withoutNonce(m: DMessage): DMessage {
  const { nonce: _nonce, ...rest } = m;
  return rest;
}
