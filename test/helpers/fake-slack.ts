/**
 * A fake Slack for tests, on 127.0.0.1, speaking Slack's wire formats: the Web API
 * (`POST /api/<method>`, form-encoded or JSON, `Authorization: Bearer`, answers `{ok, …}` with HTTP
 * 200 even for errors, 429 + `Retry-After` when rate limited) and Socket Mode (fake-slack-socket.ts).
 * Methods: auth.test, apps.connections.open (app token), chat.postMessage (with `metadata`),
 * conversations.history (`include_all_metadata`), conversations.replies, reactions.add/remove.
 * Tests speak as users with `userSays` (a `message` event; in a channel, a mention also makes an
 * `app_mention` event: two envelopes, two event ids, one ts, as Slack does) and script trouble with
 * `loseAnswers`, `rateLimit`, `failNext`, `dropSockets`, `disconnectAll` and `deaf`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { type Envelope, SocketMode } from "./fake-slack-socket.ts";
import { type SMessage, SlackWorld } from "./fake-slack-state.ts";

export type { SMessage } from "./fake-slack-state.ts";

export interface FakeSlackOptions {
  pingIntervalMs?: number;
  ackTimeoutMs?: number;
  maxRetries?: number;
}

interface Knob {
  method: string;
  n: number;
  kind: "lose" | "ratelimit" | "fail";
  retryAfterS?: number;
  error?: string;
}

export interface Call {
  method: string;
  params: Record<string, any>;
  at: number;
}

export class FakeSlack {
  readonly world = new SlackWorld();
  readonly appToken = "xapp-1-A0FAKE0001-1-fakeapptokenxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  readonly botToken = "xoxb-1-fakebottokenxxxxxxxxxxxxxxxxxx";
  readonly socket: SocketMode;
  /** Every Web API call received in full, in order. */
  readonly calls: Call[] = [];
  apiUrl = "";
  /** Called with each Web API call as it arrives (benches time replies with it). */
  onCall: ((c: Call) => void) | undefined = undefined;
  readonly #knobs: Knob[] = [];
  readonly #tickets = new Set<string>();
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #server = http.createServer((req, res) => void this.#handle(req, res));

  constructor(o: FakeSlackOptions = {}) {
    this.socket = new SocketMode({
      appId: this.world.appId,
      pingIntervalMs: o.pingIntervalMs ?? 10_000,
      ackTimeoutMs: o.ackTimeoutMs ?? 3000,
      maxRetries: o.maxRetries ?? 3,
    });
    this.#server.on("upgrade", (req, sock, head) => {
      const url = new URL(req.url ?? "/", "http://x");
      const ticket = url.searchParams.get("ticket") ?? "";
      // A ticket is good for one connection.
      if (url.pathname !== "/link/" || !this.#tickets.delete(ticket)) return void sock.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      this.#wss.handleUpgrade(req, sock, head, (ws) => this.socket.connect(ws));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
    this.apiUrl = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/api/`;
  }

  async close(): Promise<void> {
    this.socket.close();
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  user(name?: string): string {
    return this.world.user(name);
  }
  im(user: string): string {
    return this.world.im(user);
  }
  channel(name: string): string {
    return this.world.channel(name);
  }

  /** A user writes in a conversation; the app hears it over Socket Mode. Returns the message. */
  userSays(channel: string, user: string, text: string, o: { threadTs?: string; mention?: boolean } = {}): SMessage {
    const c = this.world.conversations.get(channel);
    if (!c) throw new Error(`no conversation ${channel}`);
    const body = o.mention ? `<@${this.world.botUserId}> ${text}` : text;
    const m = this.world.add({ type: "message", ts: this.world.ts(), user, text: body, channel, ...(o.threadTs ? { thread_ts: o.threadTs } : {}) });
    const event = { ...m, event_ts: m.ts, channel_type: c.kind, team: this.world.teamId, blocks: [] };
    this.#event(event);
    if (o.mention && c.kind === "channel") this.#event({ ...event, type: "app_mention" });
    return m;
  }

  /** A user runs the app's slash command in a conversation (`/onebrain status`): a `slash_commands` envelope. */
  slash(channel: string, user: string, text: string, command = "/onebrain"): Envelope {
    const w = this.world;
    return this.socket.deliver("slash_commands", {
      token: "fakeverificationtoken",
      team_id: w.teamId,
      team_domain: "fake",
      channel_id: channel,
      channel_name: w.conversations.get(channel)?.kind === "im" ? "directmessage" : (w.conversations.get(channel)?.name ?? "unknown"),
      user_id: user,
      user_name: w.users.get(user)?.name ?? user,
      command,
      text,
      api_app_id: w.appId,
      is_enterprise_install: "false",
      response_url: `https://hooks.slack.com/commands/${w.teamId}/1/fake`,
      trigger_id: `${Date.now()}.${w.id("T").slice(1)}.fake`,
    });
  }

  /** The bot's messages in a conversation (threads included), oldest first. */
  botMessages(channel: string): SMessage[] {
    return (this.world.conversations.get(channel)?.messages ?? []).filter((m) => m.bot_id === this.world.botId);
  }

  /** The next `n` calls of `method` are carried out, then their socket is destroyed without an answer. */
  loseAnswers(method: string, n = 1): void {
    this.#knobs.push({ method, n, kind: "lose" });
  }
  /** The next `n` calls of `method` get 429 with `Retry-After: retryAfterS`, not carried out. */
  rateLimit(method: string, retryAfterS: number, n = 1): void {
    this.#knobs.push({ method, n, kind: "ratelimit", retryAfterS });
  }
  /** The next `n` calls of `method` answer `{ok: false, error}`, not carried out. */
  failNext(method: string, error: string, n = 1): void {
    this.#knobs.push({ method, n, kind: "fail", error });
  }

  #event(event: Record<string, unknown>): Envelope {
    const w = this.world;
    return this.socket.deliver("events_api", {
      token: "fakeverificationtoken",
      team_id: w.teamId,
      api_app_id: w.appId,
      event,
      type: "event_callback",
      event_id: w.id("Ev"),
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: w.teamId, user_id: w.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
      event_context: `4-fake-${w.id("X")}`,
    });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return;
    }
    const url = new URL(req.url ?? "/", "http://x");
    const method = url.pathname.replace(/^\/api\//, "");
    const params = parseParams(Buffer.concat(chunks).toString(), req.headers["content-type"] ?? "", url.searchParams);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(body));
    };
    if (!url.pathname.startsWith("/api/")) return json(404, { ok: false, error: "unknown_method" });
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "") || String(params.token ?? "");
    const call = { method, params, at: Date.now() };
    this.calls.push(call);
    this.onCall?.(call);
    const knob = this.#knobs.find((k) => k.method === method && k.n > 0);
    if (knob && knob.kind !== "lose") {
      knob.n--;
      if (knob.kind === "ratelimit") return json(429, { ok: false, error: "ratelimited" }, { "retry-after": String(knob.retryAfterS) });
      return json(200, { ok: false, error: knob.error });
    }
    const answer = this.#run(method, params, token);
    if (knob?.kind === "lose") {
      knob.n--;
      return void req.socket.destroy();
    }
    json(200, answer);
  }

  #run(method: string, p: Record<string, any>, token: string): Record<string, unknown> {
    const w = this.world;
    if (!token) return { ok: false, error: "not_authed" };
    if (method === "apps.connections.open") {
      if (token !== this.appToken) return { ok: false, error: token.startsWith("xapp-") ? "invalid_auth" : "not_allowed_token_type" };
      const ticket = w.id("tk").toLowerCase();
      this.#tickets.add(ticket);
      return { ok: true, url: `${this.apiUrl.replace(/^http/, "ws").replace(/\/api\/$/, "")}/link/?ticket=${ticket}&app_id=${w.appId}` };
    }
    if (token !== this.botToken) return { ok: false, error: token.startsWith("xoxb-") ? "invalid_auth" : "not_allowed_token_type" };
    const conv = (id: unknown) => w.conversations.get(typeof id === "string" ? id : "");
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://fake.slack.com/",
          team: "Fake",
          user: "onebrain",
          team_id: w.teamId,
          user_id: w.botUserId,
          bot_id: w.botId,
          is_enterprise_install: false,
        };
      case "chat.postMessage": {
        const c = conv(p.channel);
        if (!c) return { ok: false, error: "channel_not_found" };
        const text = String(p.text ?? "");
        if (!text && !p.blocks) return { ok: false, error: "no_text" };
        if (text.length > 40_000) return { ok: false, error: "msg_too_long" };
        const metadata = typeof p.metadata === "string" ? safeJson(p.metadata) : p.metadata;
        const m = w.add({
          type: "message",
          ts: w.ts(),
          text,
          user: w.botUserId,
          bot_id: w.botId,
          app_id: w.appId,
          channel: c.id,
          ...(p.thread_ts ? { thread_ts: String(p.thread_ts) } : {}),
          ...(metadata && typeof metadata === "object" ? { metadata: metadata as SMessage["metadata"] } : {}),
        });
        return { ok: true, channel: c.id, ts: m.ts, message: withoutChannel(m, true) };
      }
      case "conversations.history": {
        const limit = Math.min(999, Math.max(1, Number(p.limit ?? 100)));
        const page = w.history(String(p.channel ?? ""), {
          limit,
          ...(p.oldest ? { oldest: String(p.oldest) } : {}),
          ...(p.latest ? { latest: String(p.latest) } : {}),
          ...(p.cursor ? { cursor: String(p.cursor) } : {}),
          inclusive: p.inclusive === true || p.inclusive === "true" || p.inclusive === "1",
        });
        if (!page) return { ok: false, error: "channel_not_found" };
        const meta = p.include_all_metadata === true || p.include_all_metadata === "true" || p.include_all_metadata === "1";
        return { ok: true, messages: page.messages.map((m) => withoutChannel(m, meta)), has_more: page.hasMore, response_metadata: { next_cursor: page.next } };
      }
      case "conversations.replies": {
        const list = w.replies(String(p.channel ?? ""), String(p.ts ?? ""));
        if (!list) return { ok: false, error: "channel_not_found" };
        if (!list.length) return { ok: false, error: "thread_not_found" };
        return { ok: true, messages: list.map((m) => withoutChannel(m, true)), has_more: false };
      }
      case "reactions.add":
      case "reactions.remove":
        return conv(p.channel) ? { ok: true } : { ok: false, error: "channel_not_found" };
      default:
        return { ok: false, error: "unknown_method" };
    }
  }
}

/** Messages in history carry no `channel`; metadata only when asked for. */
function withoutChannel(m: SMessage, metadata: boolean): Omit<SMessage, "channel"> {
  const { channel: _c, metadata: md, ...rest } = m;
  return metadata && md ? { ...rest, metadata: md } : rest;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Form-encoded (objects as JSON strings, as the SDK sends them) or JSON bodies, and the query string. */
function parseParams(body: string, type: string, query: URLSearchParams): Record<string, any> {
  const out: Record<string, any> = Object.fromEntries(query);
  if (type.includes("application/json")) Object.assign(out, safeJson(body) ?? {});
  else for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  return out;
}
