/**
 * A fake Telegram Bot API server on 127.0.0.1 speaking the real wire format:
 * `GET|POST {apiRoot}/bot<TOKEN>/<method>` with JSON, form or query parameters, answered with
 * `{ok: true, result}` or `{ok: false, error_code, description, parameters?}` under the same
 * HTTP status. getUpdates long-polls with offsets (an offset confirms every update below it) and
 * answers the OLDER of two overlapping pollers with 409, as Telegram does. sendMessage parses
 * MarkdownV2 and HTML like the Bot API (fake-telegram-parse.ts) and rejects malformed text.
 * Tests speak as users with `userSays`, and script trouble with `failNext`, `stall`,
 * `redeliver`, `revoke` and `setWebhook`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { autoEntities, CONFLICT, defaultDescription, parseEntities, parseParams } from "./fake-telegram-parse.ts";

export interface TgUser { id: number; is_bot: boolean; first_name: string; username?: string }
export interface TgChat { id: number; type: "private" | "group" | "supergroup"; title?: string; first_name?: string; username?: string }
export interface TgEntity { type: string; offset: number; length: number; user?: TgUser }
export interface TgMessage { message_id: number; date: number; chat: TgChat; from?: TgUser; text?: string; entities?: TgEntity[]; reply_to_message?: TgMessage }
export interface TgUpdate { update_id: number; message?: TgMessage; edited_message?: TgMessage; [kind: string]: unknown }

/** A message a bot sent, as the fake recorded it. */
export interface SentMessage { token: string; chatId: number; messageId: number; text: string; parseMode?: string; replyTo?: number; plain: string; at: number }
/** A scripted failure: an API error (`code`, `description`, `retryAfter`), a non-JSON body (`raw`), or a reset socket. */
export interface Failure { code?: number; description?: string; retryAfter?: number; raw?: string; reset?: boolean; match?: (params: Record<string, any>) => boolean }

interface Poller { respond: (status: number, body: unknown) => void }
interface Bot {
  token: string;
  user: TgUser;
  pending: TgUpdate[];
  confirmed: TgUpdate[];
  replay: TgUpdate[];
  nextUpdateId: number;
  pollers: Set<Poller>;
  polls: number;
  returned: number;
  allowed: string[] | null;
  revoked: boolean;
  webhook: string | null;
  chats: Map<number, { chat: TgChat; nextId: number; messages: Map<number, TgMessage> }>;
  wake: Set<() => void>;
}

export const DEFAULT_TOKEN = "7000001:AAFakeTokenForOnebrainTests_00000000";
const DEFAULT_UPDATES = (kind: string) => !["chat_member", "message_reaction", "message_reaction_count"].includes(kind);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class FakeTelegram {
  /** Every message sent by any bot, in order. */
  readonly sent: SentMessage[] = [];
  /** Every sendChatAction, in order. */
  readonly actions: Array<{ token: string; chatId: number; action: string; at: number }> = [];
  /** Every call (method and parameters), in order. */
  readonly calls: Array<{ token: string; method: string; params: Record<string, any>; at: number }> = [];
  readonly #bots = new Map<string, Bot>();
  readonly #failures = new Map<string, Failure[]>();
  readonly #stalls = new Map<string, number[]>();
  readonly #server = http.createServer((req, res) => void this.#handle(req, res));
  #port = 0;

  constructor(opts: { token?: string; username?: string } = {}) {
    this.addBot(opts.token ?? DEFAULT_TOKEN, opts.username ?? "onebrain_test_bot");
  }

  /** Listens on 127.0.0.1 (loopback only) on a free port. */
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** The `apiRoot` for grammY and the channel config. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The first bot's token. */
  get token(): string {
    return this.#bots.keys().next().value!;
  }

  /** Registers another bot token; its id is the token's number before ':'. */
  addBot(token: string, username: string): TgUser {
    const user = { id: Number(token.split(":")[0]), is_bot: true, first_name: username.replace(/_bot$/, ""), username };
    this.#bots.set(token, { token, user, pending: [], confirmed: [], replay: [], nextUpdateId: 500_000_001, pollers: new Set(), polls: 0, returned: 0, allowed: null, revoked: false, webhook: null, chats: new Map(), wake: new Set() });
    return user;
  }

  /** The bot's own user (what getMe returns). */
  botUser(token = this.token): TgUser {
    return this.#bot(token).user;
  }

  /**
   * A user writes `text` in chat `chatId` (positive: a private chat with that user; negative: a
   * group). Mentions (`@name`) and a leading `/command` get their entities as Telegram computes
   * them. `replyTo` is the id of a message in that chat being answered. Returns the update.
   */
  userSays(chatId: number, text: string, o: { from?: Partial<TgUser>; chatType?: TgChat["type"]; title?: string; replyTo?: number; entities?: TgEntity[]; edited?: boolean; token?: string } = {}): TgUpdate {
    const bot = this.#bot(o.token ?? this.token);
    const type = o.chatType ?? (chatId > 0 ? "private" : "supergroup");
    const from: TgUser = { id: chatId > 0 ? chatId : 1001, is_bot: false, first_name: `User${o.from?.id ?? chatId}`, ...o.from };
    const chat = this.#chat(bot, type === "private" ? { id: chatId, type, first_name: from.first_name, ...(from.username ? { username: from.username } : {}) } : { id: chatId, type, title: o.title ?? `Group ${chatId}` });
    const entities = o.entities ?? autoEntities(text);
    const message: TgMessage = { message_id: chat.nextId++, date: Math.floor(Date.now() / 1000), chat: chat.chat, from, text, ...(entities.length ? { entities } : {}) };
    const replied = o.replyTo !== undefined ? chat.messages.get(o.replyTo) : undefined;
    if (replied) message.reply_to_message = replied;
    chat.messages.set(message.message_id, message);
    return this.pushUpdate({ [o.edited ? "edited_message" : "message"]: message }, bot.token);
  }

  /** Queues a raw update (update_id assigned when missing) and wakes a waiting poller. */
  pushUpdate(update: Partial<TgUpdate>, token = this.token): TgUpdate {
    const bot = this.#bot(token);
    const u = { ...update, update_id: update.update_id ?? bot.nextUpdateId++ } as TgUpdate;
    bot.pending.push(u);
    for (const w of bot.wake) w();
    return u;
  }

  /** The next `times` calls of `method` (matching `f.match`, if given) fail as described. */
  failNext(method: string, f: Failure, times = 1): void {
    const list = this.#failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(f);
    this.#failures.set(method, list);
  }

  /** The next `times` calls of `method` wait `ms` before they are handled. */
  stall(method: string, ms: number, times = 1): void {
    this.#stalls.set(method, [...(this.#stalls.get(method) ?? []), ...Array<number>(times).fill(ms)]);
  }

  /** The next getUpdates also returns already confirmed updates (the last `count`, default all) again. */
  redeliver(count?: number, token = this.token): number {
    const bot = this.#bot(token);
    const again = count === undefined ? bot.confirmed : bot.confirmed.slice(-count);
    bot.replay.push(...again);
    for (const w of bot.wake) w();
    return again.length;
  }

  /** From now on every call with this token gets 401 Unauthorized (a token revoked in BotFather). */
  revoke(token = this.token): void {
    this.#bot(token).revoked = true;
    for (const p of [...this.#bot(token).pollers]) p.respond(401, { ok: false, error_code: 401, description: "Unauthorized" });
  }

  /** Sets a webhook: getUpdates then gets 409 until deleteWebhook. */
  setWebhook(url: string, token = this.token): void {
    this.#bot(token).webhook = url;
  }

  /** getUpdates calls waiting right now. */
  pollsInFlight(token = this.token): number {
    return this.#bot(token).pollers.size;
  }

  /** getUpdates calls received so far (answered or not). */
  polls(token = this.token): number {
    return this.#bot(token).polls;
  }

  /** Updates handed out by getUpdates so far (redeliveries included). */
  updatesReturned(token = this.token): number {
    return this.#bot(token).returned;
  }

  /** Updates not yet confirmed by an offset. */
  unconfirmed(token = this.token): number {
    return this.#bot(token).pending.length;
  }

  /** Messages sent to one chat (by one bot, if `token` is given). */
  sentTo(chatId: number, token?: string): SentMessage[] {
    return this.sent.filter((m) => m.chatId === chatId && (token === undefined || m.token === token));
  }

  /** Stops listening and ends every open request, long polls included. */
  async close(): Promise<void> {
    for (const bot of this.#bots.values()) for (const p of [...bot.pollers]) p.respond(200, { ok: true, result: [] });
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #bot(token: string): Bot {
    const bot = this.#bots.get(token);
    if (!bot) throw new Error(`the fake has no bot with token ${token.slice(0, 8)}…`);
    return bot;
  }

  #chat(bot: Bot, chat: TgChat) {
    let c = bot.chats.get(chat.id);
    if (!c) bot.chats.set(chat.id, (c = { chat, nextId: 1, messages: new Map() }));
    return c;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const send = (status: number, body: unknown) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return send(404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token, method] = m as unknown as [string, string, string];
    const bot = this.#bots.get(token);
    if (!bot || bot.revoked) return send(401, { ok: false, error_code: 401, description: "Unauthorized" });
    const params = parseParams(req.headers["content-type"] ?? "", raw, url.searchParams);
    this.calls.push({ token, method, params, at: Date.now() });

    const stall = this.#stalls.get(method)?.shift();
    if (stall) await sleep(stall);
    if (res.destroyed) return;
    const list = this.#failures.get(method);
    const fi = list?.findIndex((f) => !f.match || f.match(params)) ?? -1;
    if (fi >= 0) {
      const f = list!.splice(fi, 1)[0]!;
      if (method === "getUpdates") bot.polls++;
      if (f.reset) return void res.socket?.destroy();
      if (f.raw !== undefined) return void res.writeHead(f.code ?? 502, { "content-type": "text/html" }).end(f.raw);
      const code = f.code ?? 500;
      return send(code, { ok: false, error_code: code, description: f.description ?? defaultDescription(code), ...(f.retryAfter !== undefined ? { parameters: { retry_after: f.retryAfter } } : {}) });
    }
    const bad = (description: string) => send(400, { ok: false, error_code: 400, description: `Bad Request: ${description}` });
    const ok = (result: unknown) => send(200, { ok: true, result });
    switch (method) {
      case "getMe":
        return ok({ ...bot.user, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case "deleteWebhook":
        bot.webhook = null;
        if (params.drop_pending_updates === true || params.drop_pending_updates === "true") bot.pending.length = 0;
        return ok(true);
      case "setMyCommands":
      case "close":
      case "logOut":
        return ok(true);
      case "getWebhookInfo":
        return ok({ url: bot.webhook ?? "", has_custom_certificate: false, pending_update_count: bot.pending.length });
      case "getUpdates":
        return this.#getUpdates(bot, params, res, send);
      case "sendChatAction": {
        const chat = bot.chats.get(Number(params.chat_id));
        if (!chat) return bad("chat not found");
        if (!["typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"].includes(params.action)) return bad("wrong parameter action in request");
        this.actions.push({ token, chatId: chat.chat.id, action: params.action, at: Date.now() });
        return ok(true);
      }
      case "sendMessage":
      case "editMessageText": {
        const chat = bot.chats.get(Number(params.chat_id));
        if (!chat) return bad("chat not found");
        const text = String(params.text ?? "");
        if (!text.trim()) return bad("message text is empty");
        const parsed = parseEntities(text, params.parse_mode);
        if (!parsed.ok) return send(400, { ok: false, error_code: 400, description: parsed.description });
        if (parsed.text.length > 4096) return bad("message is too long");
        if (method === "editMessageText") {
          const old = chat.messages.get(Number(params.message_id));
          if (!old || old.from?.id !== bot.user.id) return bad("message to edit not found");
          old.text = parsed.text;
          return ok(old);
        }
        const rp = params.reply_parameters ?? (params.reply_to_message_id !== undefined ? { message_id: params.reply_to_message_id } : undefined);
        const replyTo = rp?.message_id !== undefined ? Number(rp.message_id) : undefined;
        const replied = replyTo !== undefined ? chat.messages.get(replyTo) : undefined;
        if (replyTo !== undefined && !replied && rp.allow_sending_without_reply !== true) return bad("message to be replied not found");
        const message: TgMessage = { message_id: chat.nextId++, date: Math.floor(Date.now() / 1000), chat: chat.chat, from: bot.user, text: parsed.text, ...(replied ? { reply_to_message: replied } : {}) };
        chat.messages.set(message.message_id, message);
        this.sent.push({ token, chatId: chat.chat.id, messageId: message.message_id, text, ...(params.parse_mode ? { parseMode: params.parse_mode } : {}), ...(replyTo !== undefined ? { replyTo } : {}), plain: parsed.text, at: Date.now() });
        return ok(message);
      }
      default:
        return send(404, { ok: false, error_code: 404, description: "Not Found: method not found" });
    }
  }

  async #getUpdates(bot: Bot, params: Record<string, any>, res: http.ServerResponse, send: (status: number, body: unknown) => void): Promise<void> {
    bot.polls++;
    if (bot.webhook) return send(409, { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeout = Math.max(0, Number(params.timeout ?? 0));
    if (Array.isArray(params.allowed_updates)) bot.allowed = params.allowed_updates.length ? params.allowed_updates : null;
    // An offset confirms (forgets) every update below it; updates of kinds not allowed are dropped.
    const allowed = (u: TgUpdate) => Object.keys(u).filter((k) => k !== "update_id").every((k) => (bot.allowed ? bot.allowed.includes(k) : DEFAULT_UPDATES(k)));
    if (offset > 0) bot.confirmed.push(...bot.pending.filter((u) => u.update_id < offset));
    bot.pending = bot.pending.filter((u) => (offset <= 0 || u.update_id >= offset) && allowed(u));
    // A newer poller terminates the older one, as Telegram does.
    for (const p of [...bot.pollers]) p.respond(409, { ok: false, error_code: 409, description: CONFLICT });
    let done = false;
    let wake = () => {};
    const poller: Poller = {
      respond: (status, body) => {
        if (done) return;
        done = true;
        bot.pollers.delete(poller);
        bot.wake.delete(wake);
        send(status, body);
        wake();
      },
    };
    bot.pollers.add(poller);
    // The client went away (aborted, timed out): this poll no longer counts as in flight.
    res.once("close", () => poller.respond(499, {}));
    const deadline = Date.now() + timeout * 1000;
    while (!done) {
      const ready = [...bot.replay.splice(0), ...bot.pending.filter(allowed)].slice(0, limit);
      if (ready.length || Date.now() >= deadline) {
        bot.returned += ready.length;
        return poller.respond(200, { ok: true, result: ready });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        bot.wake.add(wake);
      });
      bot.wake.delete(wake);
    }
  }
}
