/**
 * A fake Discord on 127.0.0.1 speaking the real wire format: REST v10 at `${apiRoot}/v10/...`
 * (fake-discord-rest.ts; `Authorization: Bot TOKEN`, X-RateLimit-* headers on every answer, 429s
 * with Discord's body and headers) and the Gateway as a JSON WebSocket at `gatewayUrl`
 * (fake-discord-gateway.ts; resume at a different path, `/gateway-resume`, so a client that
 * ignores resume_gateway_url is seen). Tests speak as users with `userSays` and `slash`, and script
 * trouble with `dropSockets`, `outage`, `sendReconnect`, `invalidateSessions`, `refuseResumes`, `zombie`,
 * `resetToken`, `loseAnswers`, `rateLimit` and `failNext`. A request received in full is carried
 * out even when its answer is then lost.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { guildCreate, interactionCreate, readyPayload } from "./fake-discord-payloads.ts";
import { Gateway, MESSAGE_CONTENT, type Session } from "./fake-discord-gateway.ts";
import { type FakeRequest, type Knob, normRoute, restListener } from "./fake-discord-http.ts";
import { type Interaction, type RestHost, route } from "./fake-discord-rest.ts";
import { type DMessage, World } from "./fake-discord-state.ts";

export type { FakeRequest } from "./fake-discord-http.ts";
export type { DChannel, DMessage, DUser } from "./fake-discord-state.ts";

/** Options; every duration can be shortened by tests. */
export interface FakeDiscordOptions {
  token?: string;
  sessionStartLimit?: { total: number; remaining: number; resetAfterMs: number };
  /** Default 41250 like Discord; tests use ~1000. */
  heartbeatIntervalMs?: number;
  /** How long a socketless session stays resumable (default 60 s). */
  resumeWindowMs?: number;
  /** One IDENTIFY per this many ms (default 5000: max_concurrency 1). */
  identifyIntervalMs?: number;
  /** How long enforce_nonce finds an earlier create (default 5 min). */
  nonceWindowMs?: number;
  /** How long an interaction may wait for its callback (default 3 s, as Discord). */
  interactionAckMs?: number;
}

const b64url = (s: string) => Buffer.from(s).toString("base64url");

/** The fake Discord: one bot, its application, its world of users, guilds and channels. */
export class FakeDiscord {
  apiRoot = "";
  gatewayUrl = "";
  token: string;
  readonly botId: string;
  readonly applicationId: string;
  /** False: an IDENTIFY asking for MESSAGE_CONTENT (1<<15) is closed with 4014. */
  allowMessageContent = true;
  readonly requests: FakeRequest[] = [];
  /** Called with each REST request as it arrives (before it is carried out). */
  onRequest: ((r: FakeRequest) => void) | undefined;
  readonly interactionResponses: Array<{ id: string; type: number; data?: unknown }> = [];
  /** PATCH @original contents, in order. */
  readonly followUps: Array<{ id: string; token: string; content: string }> = [];
  readonly typing: Array<{ channelId: string; at: number }> = [];
  /** The path of every Gateway connection, in order ("/gateway" or "/gateway-resume"). */
  readonly connections: string[] = [];
  readonly world: World;
  readonly gateway: Gateway;
  readonly #commands: Array<Record<string, unknown>> = [];
  readonly #interactions = new Map<string, Interaction>();
  readonly #knobs: Knob[] = [];
  readonly #delivered = new Set<string>();
  readonly #startLimit: { total: number; remaining: number; resetAt: number; resetAfterMs: number };
  readonly #nonceWindowMs: number;
  readonly #interactionAckMs: number;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #server = http.createServer(
    restListener({
      token: () => this.token,
      requests: this.requests,
      onRequest: (r) => this.onRequest?.(r),
      knobs: this.#knobs,
      run: (method, segs, query, body) => route(this.#restHost(), method, segs, query, body),
    }),
  );

  constructor(o: FakeDiscordOptions = {}) {
    this.world = new World("onebrain-bot");
    this.botId = this.world.bot.id;
    this.applicationId = this.botId;
    this.token = o.token ?? `${b64url(this.botId)}.GfakeA.${"x".repeat(38)}`;
    const sl = o.sessionStartLimit ?? { total: 1000, remaining: 1000, resetAfterMs: 86_400_000 };
    this.#startLimit = { ...sl, resetAt: Date.now() + sl.resetAfterMs };
    this.#nonceWindowMs = o.nonceWindowMs ?? 5 * 60_000;
    this.#interactionAckMs = o.interactionAckMs ?? 3000;
    this.gateway = new Gateway({
      token: () => this.token,
      allowMessageContent: () => this.allowMessageContent,
      heartbeatIntervalMs: o.heartbeatIntervalMs ?? 41_250,
      resumeWindowMs: o.resumeWindowMs ?? 60_000,
      identifyIntervalMs: o.identifyIntervalMs ?? 5000,
      spendSessionStart: () => this.#spendStart(),
      written: (x) => {
        if (x.t === "MESSAGE_CREATE") this.#delivered.add((x.d as DMessage).id);
      },
      newSessionId: () => b64url(String(Math.random())).slice(0, 32),
      ready: (s) => readyPayload(this.world, s.id, this.gatewayUrl.replace(/\/gateway$/, "/gateway-resume"), this.applicationId),
      afterReady: (s) => (s.intents & 1 ? [...this.world.guilds.keys()].map((id) => ({ t: "GUILD_CREATE", d: guildCreate(this.world, id) })) : []),
    });
    this.#wss.on("connection", (ws) => this.gateway.connect(ws));
    this.#server.on("upgrade", (req, socket, head) => {
      const p = new URL(req.url ?? "/", "http://x").pathname;
      if (p !== "/gateway" && p !== "/gateway-resume") return void socket.destroy();
      this.connections.push(p);
      // An outage: Discord's edge takes the connection and resets it before any frame.
      if (this.outage) return void socket.destroy();
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit("connection", ws, req));
    });
  }

  /** Listens on a free port of 127.0.0.1. */
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    const port = (this.#server.address() as AddressInfo).port;
    this.apiRoot = `http://127.0.0.1:${port}/api`;
    this.gatewayUrl = `ws://127.0.0.1:${port}/gateway`;
  }

  /** Ends every socket and stops listening. */
  async close(): Promise<void> {
    for (const ws of this.gateway.sockets) ws.terminate();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** A new guild the bot is in (sessions identified later get its GUILD_CREATE). */
  guild(name?: string): string {
    return this.world.guild(name);
  }
  /** A new text channel in a guild. */
  textChannel(guildId: string, name?: string): string {
    return this.world.channel({ type: 0, guild_id: guildId, name: name ?? "general" });
  }
  /** A new public thread under a text channel. */
  thread(parentChannelId: string, name?: string): string {
    const parent = this.world.channels.get(parentChannelId)!;
    return this.world.channel({ type: 11, guild_id: parent.guild_id, parent_id: parentChannelId, name: name ?? "thread" });
  }
  /** The DM channel with a user. */
  dm(userId: string): string {
    return this.world.dm(userId);
  }
  /** A new user; returns its id. */
  user(name?: string): string {
    return this.world.user(name).id;
  }
  /** Makes the bot unable to see a channel (403 code 50001 on REST, no dispatches). */
  forbid(channelId: string): void {
    this.world.forbidden.add(channelId);
  }

  /** A user writes in a channel: stored, and MESSAGE_CREATE dispatched to every session. */
  userSays(channelId: string, userId: string, text: string, o: { mentionBot?: boolean; replyTo?: string } = {}): DMessage {
    const author = this.world.users.get(userId);
    if (!author) throw new Error(`Unknown user "${userId}"`);
    const content = o.mentionBot ? `<@${this.botId}> ${text}` : text;
    const reference = o.replyTo ? this.world.find(channelId, o.replyTo) : undefined;
    const m = this.world.message(channelId, author, content, { reference });
    if (reference && reference.author.id === this.botId && !m.mentions.some((u) => u.id === this.botId)) m.mentions.push(this.world.bot);
    this.#post(m);
    return m;
  }

  /** Everything in a channel, oldest first. */
  messages(channelId: string): DMessage[] {
    return [...(this.world.messages.get(channelId) ?? [])];
  }
  /** What the bot posted (in one channel, or everywhere). */
  botMessages(channelId?: string): DMessage[] {
    const all = channelId ? this.messages(channelId) : [...this.world.messages.values()].flat();
    return all.filter((m) => m.author.id === this.botId);
  }

  /** A user runs a slash command: INTERACTION_CREATE type 2 to every session. */
  slash(channelId: string, userId: string, name: string): { id: string; token: string } {
    const user = this.world.users.get(userId)!;
    const id = this.world.ids.next();
    const token = `aW50ZXJhY3Rpb246${id}:${b64url(String(Math.random()))}`;
    this.#interactions.set(id, { id, token, channelId, at: Date.now(), responded: false });
    const cmd = this.#commands.find((c) => c.name === name);
    const d = interactionCreate(this.world, { id, token, applicationId: this.applicationId, channelId, user, commandId: cmd?.id as string | undefined, name });
    this.gateway.dispatch("INTERACTION_CREATE", () => d);
    return { id, token };
  }

  /** The registered application commands. */
  commands(): Array<Record<string, unknown>> {
    return [...this.#commands];
  }

  get identifies(): number {
    return this.gateway.identifies;
  }
  get resumes(): number {
    return this.gateway.resumes;
  }
  get liveSessions(): number {
    return this.gateway.liveSessions;
  }
  get maxLiveSessions(): number {
    return this.gateway.maxLiveSessions;
  }
  /** True while some Gateway session (live or still resumable) would receive a dispatch. */
  hasSession(): boolean {
    this.gateway.expire();
    return this.gateway.sessions.size > 0;
  }
  /**
   * User messages the bot was told of neither by a Gateway socket nor by a REST read (0: it had
   * the chance to see everything); with `ids`, only those messages count.
   */
  undelivered(ids?: ReadonlySet<string>): number {
    let n = 0;
    for (const ms of this.world.messages.values())
      for (const m of ms) if (m.author.id !== this.botId && !this.#delivered.has(m.id) && (!ids || ids.has(m.id))) n++;
    return n;
  }
  /**
   * Ends every session and resets every socket (a test's gateways are gone, though the fake may not
   * have seen their sockets close yet); returns how many sessions ended.
   */
  forgetSessions(): number {
    const n = this.gateway.sessions.size;
    this.gateway.note(`a new test: ${n} session(s) forgotten`);
    this.gateway.sessions.clear();
    this.gateway.dropSockets();
    return n;
  }

  /** Resets every live gateway socket (no close frame). */
  dropSockets(): void {
    this.gateway.dropSockets();
  }
  /** op 7 RECONNECT on every live socket. */
  sendReconnect(): void {
    this.gateway.sendReconnect();
  }
  /** op 9 INVALID_SESSION with d = `resumable`. */
  invalidateSessions(resumable: boolean): void {
    this.gateway.invalidateSessions(resumable);
  }
  /** The next `n` RESUMEs get op 9 d:false. */
  refuseResumes(n: number): void {
    this.gateway.refuseResumes(n);
  }
  /** While true, every new Gateway connection is reset before the WebSocket handshake (REST still answers). */
  outage = false;
  /** Stops answering heartbeats (the socket stays open). */
  zombie(on: boolean): void {
    this.gateway.zombie(on);
  }
  /** The token stops working: REST 401, gateway sockets closed 4004. */
  resetToken(): void {
    this.token = `${b64url(this.botId)}.GfakeB.${"y".repeat(38)}`;
    this.gateway.closeAll(4004, "Authentication failed.");
  }
  /** The next `n` matching requests are carried out, then their socket destroyed without an answer. */
  loseAnswers(n: number, match?: (req: FakeRequest) => boolean): void {
    this.#knobs.push({ n, match, lose: true });
  }
  /** The next `count` (default 1) requests on `route` get 429 with Discord's body and headers. */
  rateLimit(route: string, o: { retryAfterS: number; count?: number; global?: boolean }): void {
    this.#knobs.push({ route: normRoute(route), n: o.count ?? 1, status: 429, retryAfterS: o.retryAfterS, global: o.global });
  }
  /** The next `count` (default 1) requests on `route` fail with `status` (e.g. 500, 502) before running. */
  failNext(route: string, status: number, count = 1): void {
    this.#knobs.push({ route: normRoute(route), n: count, status });
  }

  #restHost(): RestHost {
    return {
      world: this.world,
      applicationId: this.applicationId,
      nonceWindowMs: this.#nonceWindowMs,
      interactionAckMs: this.#interactionAckMs,
      interactions: this.#interactions,
      interactionResponses: this.interactionResponses,
      followUps: this.followUps,
      typing: this.typing,
      commands: this.#commands,
      gatewayBot: () => this.#gatewayBot(),
      post: (msg) => this.#post(msg),
      seen: (ms) => ms.forEach((x) => this.#delivered.add(x.id)),
    };
  }

  /** The session start limit, refilled once its day (resetAfterMs) is over. */
  #limit() {
    const sl = this.#startLimit;
    if (Date.now() >= sl.resetAt) Object.assign(sl, { remaining: sl.total, resetAt: Date.now() + sl.resetAfterMs });
    return sl;
  }

  #spendStart(): boolean {
    if (this.#limit().remaining-- > 0) return true;
    this.#startLimit.remaining = 0;
    this.gateway.sessions.clear();
    this.resetToken();
    return false;
  }

  #gatewayBot() {
    const sl = this.#limit();
    const startLimit = { total: sl.total, remaining: sl.remaining, reset_after: Math.max(0, sl.resetAt - Date.now()), max_concurrency: 1 };
    return { url: this.gatewayUrl, shards: 1, session_start_limit: startLimit };
  }

  /** Stores a message and tells every session that may see it. */
  #post(m: DMessage): void {
    this.world.add(m);
    if (this.world.forbidden.has(m.channel_id)) return;
    const dm = !m.guild_id;
    this.gateway.dispatch("MESSAGE_CREATE", (s: Session) => {
      if (!(s.intents & (dm ? 1 << 12 : 1 << 9))) return undefined;
      const hears = dm || s.intents & MESSAGE_CONTENT || m.author.id === this.botId || m.mentions.some((u) => u.id === this.botId);
      return hears ? m : { ...m, content: "", embeds: [], attachments: [] };
    });
  }
}
