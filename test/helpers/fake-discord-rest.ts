/**
 * The fake Discord's REST routes under `/api/v10` (fake-discord.ts), answered as Discord answers:
 * JSON errors `{message, code, errors?}` (404 10003 unknown channel, 403 50001 missing access,
 * 400 50035 invalid form body, 404 10062 unknown interaction), messages newest first, the nonce
 * echoed only by the create answer. Private to the fake Discord.
 */
import { type DMessage, type DUser, type World, withoutNonce } from "./fake-discord-state.ts";

/** An answer: status and JSON body (204: no body). */
export interface RestAnswer {
  status: number;
  body?: unknown;
}

/** An interaction the bot was sent, with its answers. */
export interface Interaction {
  id: string;
  token: string;
  channelId: string;
  at: number;
  responded: boolean;
  /** The message the response made (type 4 or 5), which PATCH @original edits. */
  original?: DMessage;
}

/** What the routes need from the fake around them. */
export interface RestHost {
  world: World;
  applicationId: string;
  nonceWindowMs: number;
  interactionAckMs: number;
  interactions: Map<string, Interaction>;
  interactionResponses: Array<{ id: string; type: number; data?: unknown }>;
  followUps: Array<{ id: string; token: string; content: string }>;
  typing: Array<{ channelId: string; at: number }>;
  commands: Array<Record<string, unknown>>;
  gatewayBot(): unknown;
  /** Messages the bot read over REST (they count as delivered). */
  seen(ms: DMessage[]): void;
  /** Stores a message and dispatches MESSAGE_CREATE. */
  post(m: DMessage): void;
}

const err = (status: number, code: number, message: string, errors?: unknown): RestAnswer => ({
  status,
  body: errors ? { message, code, errors } : { message, code },
});
const invalid = (field: string, code: string, message: string) => err(400, 50035, "Invalid Form Body", { [field]: { _errors: [{ code, message }] } });
const unknownChannel = () => err(404, 10003, "Unknown Channel");

/** Carries out one REST request; `segs` are the path's segments after `v10`, already decoded. */
export function route(h: RestHost, method: string, segs: string[], query: URLSearchParams, body: any): RestAnswer {
  const [a, b, c, d, e, f] = segs;
  const key = `${method} /${segs.map((s, i) => (i % 2 === 1 && !["@me", "bot"].includes(s) ? ":id" : s)).join("/")}`;
  if (key === "GET /gateway/bot") return { status: 200, body: h.gatewayBot() };
  if (key === "GET /gateway") return { status: 200, body: { url: (h.gatewayBot() as { url: string }).url } };
  if (key === "GET /users/@me") return { status: 200, body: { ...h.world.bot, flags: 0, mfa_enabled: false, verified: true } };
  if (a === "channels" && b) {
    const ch = h.world.channels.get(b);
    if (!ch) return unknownChannel();
    if (h.world.forbidden.has(b)) return err(403, 50001, "Missing Access");
    if (method === "POST" && c === "messages" && !d) return createMessage(h, b, body ?? {});
    if (method === "GET" && c === "messages" && !d) return listMessages(h, b, query);
    if (method === "GET" && c === "messages" && d) {
      const m = h.world.find(b, d);
      if (m) h.seen([m]);
      return m ? { status: 200, body: withoutNonce(m) } : err(404, 10008, "Unknown Message");
    }
    if (method === "POST" && c === "typing") {
      h.typing.push({ channelId: b, at: Date.now() });
      return { status: 204 };
    }
    if (method === "GET" && !c) return { status: 200, body: ch };
  }
  if (a === "applications" && c === "commands" && !d) {
    if (b !== h.applicationId) return err(403, 50001, "Missing Access");
    if (method === "GET") return { status: 200, body: h.commands };
    if (method === "PUT") return putCommands(h, body);
  }
  if (method === "POST" && a === "interactions" && d === "callback") return callback(h, b!, c!, body ?? {});
  if (method === "PATCH" && a === "webhooks" && d === "messages" && e === "@original" && !f) return editOriginal(h, b!, c!, body ?? {});
  return err(404, 0, "404: Not Found");
}

function createMessage(h: RestHost, channelId: string, body: any): RestAnswer {
  const content = typeof body.content === "string" ? body.content : "";
  if (content.length > 2000) return invalid("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.");
  if (content === "" && !body.embeds?.length) return err(400, 50006, "Cannot send an empty message");
  const nonce = body.nonce;
  if (nonce !== undefined && typeof nonce === "string" && nonce.length > 25) return invalid("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
  if (nonce !== undefined && body.enforce_nonce === true) {
    const since = Date.now() - h.nonceWindowMs;
    const same = h.world.messages
      .get(channelId)!
      .find((m) => m.author.id === h.world.bot.id && m.nonce !== undefined && String(m.nonce) === String(nonce) && Date.parse(m.timestamp) >= since);
    if (same) return { status: 200, body: same };
  }
  let reference: DMessage | undefined;
  const ref = body.message_reference;
  if (ref?.message_id) {
    reference = h.world.find(String(ref.channel_id ?? channelId), String(ref.message_id));
    if (!reference && ref.fail_if_not_exists !== false) return invalid("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message");
  }
  const m = h.world.message(channelId, h.world.bot, content, { reference });
  m.mentions = allowedMentions(m, body.allowed_mentions, reference?.author);
  if (nonce !== undefined) m.nonce = nonce;
  h.post(m);
  return { status: 200, body: m };
}

/** Who a bot message pings: Discord parses `<@id>` only when allowed_mentions lets it (default: all). */
function allowedMentions(m: DMessage, am: any, repliedTo: DUser | undefined): DUser[] {
  if (!am) return repliedTo && !m.mentions.some((u) => u.id === repliedTo.id) ? [...m.mentions, repliedTo] : m.mentions;
  const parse: string[] = Array.isArray(am.parse) ? am.parse : [];
  const listed: string[] = Array.isArray(am.users) ? am.users : [];
  const out = m.mentions.filter((u) => parse.includes("users") || listed.includes(u.id));
  if (repliedTo && am.replied_user === true && !out.some((u) => u.id === repliedTo.id)) out.push(repliedTo);
  return out;
}

function listMessages(h: RestHost, channelId: string, q: URLSearchParams): RestAnswer {
  const limit = q.has("limit") ? Number(q.get("limit")) : 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalid("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 100.");
  const pick = (k: string) => q.get(k) ?? undefined;
  for (const k of ["after", "before", "around"])
    if (q.has(k) && !/^\d+$/.test(q.get(k)!)) return invalid(k, "NUMBER_TYPE_COERCE", `Value "${q.get(k)}" is not snowflake.`);
  const page = h.world.page(channelId, { after: pick("after"), before: pick("before"), around: pick("around"), limit });
  h.seen(page);
  return { status: 200, body: page };
}

function putCommands(h: RestHost, body: any): RestAnswer {
  if (!Array.isArray(body)) return invalid("_root", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType");
  const old = new Map(h.commands.map((c) => [c.name, c]));
  h.commands.splice(0, h.commands.length);
  for (const c of body) {
    if (typeof c?.name !== "string" || !/^[-_\p{L}\p{N}]{1,32}$/u.test(c.name))
      return invalid("0.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    const prev = old.get(c.name);
    h.commands.push({
      id: (prev?.id as string) ?? h.world.ids.next(),
      application_id: h.applicationId,
      version: h.world.ids.next(),
      default_member_permissions: null,
      type: 1,
      nsfw: false,
      description: "",
      dm_permission: true,
      contexts: null,
      integration_types: [0],
      ...c,
    });
  }
  return { status: 200, body: h.commands };
}

function callback(h: RestHost, id: string, token: string, body: any): RestAnswer {
  const i = h.interactions.get(id);
  if (!i || i.token !== token || Date.now() - i.at > h.interactionAckMs) return err(404, 10062, "Unknown interaction");
  if (i.responded) return err(400, 40060, "Interaction has already been acknowledged.");
  const type = Number(body.type);
  if (type !== 4 && type !== 5) return invalid("type", "BASE_TYPE_CHOICES", `Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.`);
  if (type === 4 && !(typeof body.data?.content === "string" && body.data.content !== "")) return err(400, 50006, "Cannot send an empty message");
  i.responded = true;
  h.interactionResponses.push({ id, type, ...(body.data ? { data: body.data } : {}) });
  const m = h.world.message(i.channelId, h.world.bot, type === 4 ? body.data.content : "");
  m.type = 20;
  m.flags = type === 5 ? 128 : 0;
  i.original = m;
  h.post(m);
  return { status: 204 };
}

function editOriginal(h: RestHost, app: string, token: string, body: any): RestAnswer {
  const i = [...h.interactions.values()].find((x) => x.token === token);
  if (app !== h.applicationId || !i || Date.now() - i.at > 15 * 60_000) return err(401, 50027, "Invalid Webhook Token");
  if (!i.original) return err(404, 10008, "Unknown Message");
  const content = typeof body.content === "string" ? body.content : "";
  if (content.length > 2000) return invalid("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.");
  i.original.content = content;
  i.original.flags = 0;
  i.original.edited_timestamp = new Date().toISOString().replace("Z", "+00:00");
  h.followUps.push({ id: i.id, token, content });
  return { status: 200, body: withoutNonce(i.original) };
}
