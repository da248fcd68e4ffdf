/**
 * A fake Telegram Bot API server on 127.0.0.1 speaking the real wire format:
 * `GET|POST {apiRoot}/bot<TOKEN>/<method>` with JSON, form or query parameters, answered with
 * `{ok: true, result}` or `{ok: false, error_code, description, parameters?}` under the same
 * HTTP status. getUpdates long-polls with offsets and ends the OLDER of two overlapping polls with
 * 409, as Telegram does (fake-telegram-updates.ts). sendMessage parses MarkdownV2 and HTML like the
 * Bot API (fake-telegram-parse.ts) and rejects malformed text. Message ids come from Telegram's
 * counters (one per bot for private chats and basic groups, one per supergroup), and the edit
 * methods answer "not found", "can't be edited" and "not modified" as Telegram does
 * (fake-telegram-chats.ts): what a client reads when it probes whether a send arrived. A request
 * received in full runs even if its client died right after sending it (only the answer is lost);
 * one cut mid-body does not. sendMessage is under flood control (fake-telegram-flood.ts: off
 * unless a test turns its limits on, or scripts a flood). Tests speak as users with `userSays`,
 * and script trouble with `failNext`, `stall`, `redeliver`, `restartUpdateIds`, `revoke`,
 * `setWebhook` and `flood`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Answer, BotChats, GONE, replyToOf, type TgChat, type TgEntity, type TgMessage, type TgUser } from "./fake-telegram-chats.ts";
import { FloodControl } from "./fake-telegram-flood.ts";
import { autoEntities, defaultDescription, parseParams, readBody } from "./fake-telegram-parse.ts";
import { type TgUpdate, UpdateQueue } from "./fake-telegram-updates.ts";

export type { TgChat, TgEntity, TgMessage, TgUser } from "./fake-telegram-chats.ts";
export type { TgUpdate } from "./fake-telegram-updates.ts";

/** A message a bot sent, as the fake recorded it. */
export interface SentMessage {
  token: string;
  chatId: number;
  messageId: number;
  text: string;
  parseMode?: string;
  replyTo?: number;
  plain: string;
  at: number;
}
/**
 * A scripted failure: an API error (`code`, `description`, `retryAfter`), a non-JSON body (`raw`, with `headers`),
 * a reset socket before the method runs (`reset`), or after it ran, instead of its answer (`loseAnswer`),
 * or a request Telegram handles late (`lateMs`): the connection drops at once, without an answer,
 * and the method runs `lateMs` later (Telegram was still working on it).
 */
export interface Failure {
  code?: number;
  description?: string;
  retryAfter?: number;
  raw?: string;
  headers?: Record<string, string>;
  reset?: boolean;
  loseAnswer?: boolean;
  lateMs?: number;
  match?: (params: Record<string, any>) => boolean;
}

interface Bot {
  token: string;
  user: TgUser;
  revoked: boolean;
  webhook: string | null;
  chats: BotChats;
  updates: UpdateQueue;
  flood: FloodControl;
}

export const DEFAULT_TOKEN = "7000001:AAFakeTokenForOnebrainTests_00000000";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** The fake server: its bots, what they were sent, and the trouble scripted for the next calls. */
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
  readonly #server = http.createServer((req, res) => {
    // A bug in the fake becomes a 500 the test sees, not an unhandled rejection that ends the run.
    this.#handle(req, res).catch((err: unknown) =>
      reply(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: the fake failed: ${String(err)}` }),
    );
  });
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
    this.#bots.set(token, { token, user, revoked: false, webhook: null, chats: new BotChats(user), updates: new UpdateQueue(), flood: new FloodControl() });
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
  userSays(
    chatId: number,
    text: string,
    o: { from?: Partial<TgUser>; chatType?: TgChat["type"]; title?: string; replyTo?: number; entities?: TgEntity[]; edited?: boolean; token?: string } = {},
  ): TgUpdate {
    const bot = this.#bot(o.token ?? this.token);
    const type = o.chatType ?? (chatId > 0 ? "private" : "supergroup");
    const from: TgUser = { id: chatId > 0 ? chatId : 1001, is_bot: false, first_name: `User${o.from?.id ?? chatId}`, ...o.from };
    const chat: TgChat =
      type === "private"
        ? { id: chatId, type, first_name: from.first_name, ...(from.username ? { username: from.username } : {}) }
        : { id: chatId, type, title: o.title ?? `Group ${chatId}` };
    const entities = o.entities ?? autoEntities(text);
    const message: TgMessage = bot.chats.receive(chat, { from, text, ...(entities.length ? { entities } : {}) }, o.replyTo);
    return this.pushUpdate({ [o.edited ? "edited_message" : "message"]: message }, bot.token);
  }

  /** Queues a raw update (update_id assigned when missing) and wakes a waiting poller. */
  pushUpdate(update: Partial<TgUpdate>, token = this.token): TgUpdate {
    return this.#bot(token).updates.push(update);
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
    return this.#bot(token).updates.redeliver(count);
  }

  /** The bot's next update id is `next` (a restarted, lower sequence); an offset above the newest id + 10 is then ignored. */
  restartUpdateIds(next: number, token = this.token): void {
    this.#bot(token).updates.restartIds(next);
  }

  /** From now on every call with this token gets 401 Unauthorized (a token revoked in BotFather). */
  revoke(token = this.token): void {
    this.#bot(token).revoked = true;
    this.#bot(token).updates.endPolls(401, { ok: false, error_code: 401, description: "Unauthorized" });
  }

  /** The bot's flood control on sendMessage: `enforce` Telegram's limits, script a `flood`, read the `refusals`. */
  flood(token = this.token): FloodControl {
    return this.#bot(token).flood;
  }

  /** From now on Telegram refuses every send to `chatId` for good: the user `blocked` the bot or was `deactivated`, or the bot was `kicked` from the group. */
  chatGone(chatId: number, why: keyof typeof GONE, token = this.token): void {
    this.#bot(token).chats.gone(chatId, why);
  }

  /**
   * The basic group `chatId` is upgraded to the supergroup `newId`: sends to the old id are refused
   * with `migrate_to_chat_id`, and Telegram's two service messages are queued as updates, unless
   * `held` (a bot that has not polled them yet: what it learns then comes from the refusal).
   */
  upgradeGroup(chatId: number, newId: number, o: { held?: boolean; token?: string } = {}): void {
    const token = o.token ?? this.token;
    const { from, to } = this.#bot(token).chats.migrate(chatId, newId);
    if (o.held) return;
    this.pushUpdate({ message: from }, token);
    this.pushUpdate({ message: to }, token);
  }

  /** Sets a webhook: getUpdates then gets 409 until deleteWebhook. */
  setWebhook(url: string, token = this.token): void {
    this.#bot(token).webhook = url;
  }

  /** getUpdates calls waiting right now. */
  pollsInFlight(token = this.token): number {
    return this.#bot(token).updates.inFlight;
  }

  /** getUpdates calls received so far (answered or not). */
  polls(token = this.token): number {
    return this.#bot(token).updates.polls;
  }

  /** Updates handed out by getUpdates so far (redeliveries included). */
  updatesReturned(token = this.token): number {
    return this.#bot(token).updates.returned;
  }

  /** Updates not yet confirmed by an offset. */
  unconfirmed(token = this.token): number {
    return this.#bot(token).updates.pending.length;
  }

  /** Messages sent to one chat (by one bot, if `token` is given). */
  sentTo(chatId: number, token?: string): SentMessage[] {
    return this.sent.filter((m) => m.chatId === chatId && (token === undefined || m.token === token));
  }

  /** Stops listening and ends every open request, long polls included. */
  async close(): Promise<void> {
    for (const bot of this.#bots.values()) bot.updates.endPolls(200, { ok: true, result: [] });
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #bot(token: string): Bot {
    const bot = this.#bots.get(token);
    if (!bot) throw new Error(`the fake has no bot with token ${token.slice(0, 8)}…`);
    return bot;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // First statement, so the body's listeners go on before the client can be gone (readBody).
    const raw = await readBody(req);
    if (raw === null) return; // cut mid-body: Telegram never got a request, so nothing runs
    let lose = false;
    const send = (status: number, body: unknown) => (lose ? void res.socket?.destroy() : reply(res, status, body));
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return send(404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token, method] = m as unknown as [string, string, string];
    const bot = this.#bots.get(token);
    if (!bot || bot.revoked) return send(401, { ok: false, error_code: 401, description: "Unauthorized" });
    const params = parseParams(req.headers["content-type"] ?? "", raw, url.searchParams);
    this.calls.push({ token, method, params, at: Date.now() });

    const stall = this.#stalls.get(method)?.shift();
    // No check that the client is still there: a request that reached Telegram runs; only the answer is lost.
    if (stall) await sleep(stall);
    if (method === "getUpdates") bot.updates.polls++;
    const list = this.#failures.get(method);
    const fi = list?.findIndex((f) => !f.match || f.match(params)) ?? -1;
    if (fi >= 0) {
      const f = list!.splice(fi, 1)[0]!;
      if (f.reset) return void res.socket?.destroy();
      if (f.lateMs !== undefined) {
        res.socket?.destroy();
        await sleep(f.lateMs);
      }
      // The method runs below; its answer never leaves.
      if (f.loseAnswer || f.lateMs !== undefined) lose = true;
      else if (f.raw !== undefined) return reply(res, f.code ?? 502, f.raw, "text/html", f.headers);
      else {
        const code = f.code ?? 500;
        return send(code, {
          ok: false,
          error_code: code,
          description: f.description ?? defaultDescription(code),
          ...(f.retryAfter !== undefined ? { parameters: { retry_after: f.retryAfter } } : {}),
        });
      }
    }
    const ok = (result: unknown) => send(200, { ok: true, result });
    const answer = (a: Answer) =>
      a.ok ? ok(a.result) : send(a.code, { ok: false, error_code: a.code, description: a.description, ...(a.parameters ? { parameters: a.parameters } : {}) });
    switch (method) {
      case "getMe":
        return ok({ ...bot.user, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case "deleteWebhook":
        bot.webhook = null;
        if (params.drop_pending_updates === true || params.drop_pending_updates === "true") bot.updates.pending.length = 0;
        return ok(true);
      case "setMyCommands":
      case "close":
      case "logOut":
        return ok(true);
      case "getWebhookInfo":
        return ok({ url: bot.webhook ?? "", has_custom_certificate: false, pending_update_count: bot.updates.pending.length });
      case "getUpdates":
        if (bot.webhook)
          return send(409, {
            ok: false,
            error_code: 409,
            description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
          });
        return bot.updates.poll(params, res, send);
      case "sendChatAction": {
        const wait = bot.flood.admitAction(Number(params.chat_id));
        if (wait !== null)
          return send(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${wait}`, parameters: { retry_after: wait } });
        const a = bot.chats.sendChatAction(params);
        if (a.ok) this.actions.push({ token, chatId: Number(params.chat_id), action: params.action, at: Date.now() });
        return answer(a);
      }
      case "sendMessage": {
        const wait = bot.flood.admit(Number(params.chat_id));
        if (wait !== null)
          return send(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${wait}`, parameters: { retry_after: wait } });
        const a = bot.chats.sendMessage(params);
        const replyTo = replyToOf(params);
        if (a.ok) bot.flood.posted(a.result.chat.id);
        if (a.ok)
          this.sent.push({
            token,
            chatId: a.result.chat.id,
            messageId: a.result.message_id,
            text: String(params.text),
            ...(params.parse_mode ? { parseMode: params.parse_mode } : {}),
            ...(replyTo !== undefined ? { replyTo } : {}),
            plain: a.result.text,
            at: Date.now(),
          });
        return answer(a);
      }
      case "editMessageText":
      case "editMessageReplyMarkup":
        return answer(bot.chats[method](params));
      default:
        return send(404, { ok: false, error_code: 404, description: "Not Found: method not found" });
    }
  }
}

/** Answers unless the client has gone: the request ran all the same, only its answer is lost. */
function reply(res: http.ServerResponse, status: number, body: unknown, contentType = "application/json", headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, "content-type": contentType }).end(contentType === "application/json" ? JSON.stringify(body) : String(body));
}
