/**
 * What one fake bot knows of its chats: the messages in each, numbered as Telegram numbers them,
 * and the Bot API methods that read or change them, with Telegram's exact error descriptions.
 * Private chats and basic groups share ONE message-id counter per bot (the bot account's message
 * box: every message it receives or sends there takes the next id); a supergroup counts its own
 * from 1. Messages are stored per chat, so an id that belongs to another chat is "not found".
 * Together these let a client probe whether a send reached Telegram: editMessageReplyMarkup on a
 * candidate id answers "not found", "can't be edited" (someone else's message) or "not modified"
 * (the bot's own) without changing anything.
 */
import { parseEntities } from "./fake-telegram-parse.ts";

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}
export interface TgChat {
  id: number;
  type: "private" | "group" | "supergroup";
  title?: string;
  first_name?: string;
  username?: string;
}
export interface TgEntity {
  type: string;
  offset: number;
  length: number;
  user?: TgUser;
}
export interface TgMessage {
  message_id: number;
  date: number;
  chat: TgChat;
  from?: TgUser;
  text?: string;
  entities?: TgEntity[];
  reply_to_message?: TgMessage;
  reply_markup?: unknown;
  /** Service messages of a group upgraded to a supergroup. */
  migrate_to_chat_id?: number;
  migrate_from_chat_id?: number;
}

/** A Bot API answer: a result, or an error with Telegram's status and description. */
export type Answer = { ok: true; result: any } | { ok: false; code: number; description: string; parameters?: Record<string, unknown> };
type Failed = Extract<Answer, { ok: false }>;

interface ChatBox {
  chat: TgChat;
  nextId: number;
  messages: Map<number, TgMessage>;
}

const CHAT_ACTIONS = [
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
];
const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
const bad = (description: string): Failed => ({ ok: false, code: 400, description: `Bad Request: ${description}` });
const now = () => Math.floor(Date.now() / 1000);

/** JSON with object keys sorted, so two equal markups compare equal whatever their key order. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );

/** A markup as Telegram compares it: absent and an empty inline keyboard both mean "no keyboard". */
const markupKey = (m: unknown): string =>
  m === undefined || m === null || (m as { inline_keyboard?: unknown[] }).inline_keyboard?.length === 0 ? "" : canonical(m);

/** Why Telegram refuses every send to a chat for good, in its own words (Bot API error descriptions). */
export const GONE = {
  blocked: { code: 403, description: "Forbidden: bot was blocked by the user" },
  deactivated: { code: 403, description: "Forbidden: user is deactivated" },
  kicked: { code: 403, description: "Forbidden: bot was kicked from the group chat" },
  "kicked-supergroup": { code: 403, description: "Forbidden: bot was kicked from the supergroup chat" },
  /** A chat deleted, or one the bot was never in. */
  "not-found": { code: 400, description: "Bad Request: chat not found" },
} as const;

/** One bot's chats and messages, and the message methods of the Bot API. */
export class BotChats {
  readonly #chats = new Map<number, ChatBox>();
  /** Chats that refuse the bot (blocked, deactivated, kicked, or upgraded to a supergroup): the answer every send there gets. */
  readonly #refusals = new Map<number, Failed>();
  // Telegram compares entities for "not modified"; the parsers give only the plain text, so the
  // markup source stands in for them (the same source gives the same entities).
  readonly #format = new WeakMap<TgMessage, string>();
  #nextBoxId = 1;
  readonly user: TgUser;

  constructor(user: TgUser) {
    this.user = user;
  }

  /** A user's message arrives (opening the chat: a user writing first is how a bot meets one), numbered, stored, threaded to `replyTo` when that is in the chat. */
  receive(chat: TgChat, fields: Pick<TgMessage, "from" | "text" | "entities">, replyTo?: number): TgMessage {
    const box = this.#open(chat);
    const replied = replyTo !== undefined ? box.messages.get(replyTo) : undefined;
    const message: TgMessage = { message_id: this.#nextId(box), date: now(), chat: box.chat, ...fields, ...(replied ? { reply_to_message: replied } : {}) };
    box.messages.set(message.message_id, message);
    return message;
  }

  /** From now on every send to `chatId` is refused as Telegram refuses it when `why` happened. */
  gone(chatId: number, why: keyof typeof GONE): void {
    this.#refusals.set(chatId, { ok: false, ...GONE[why] });
  }

  /**
   * The basic group `chatId` becomes the supergroup `newId` (its ids counted from 1, as a new
   * supergroup's are); sends to the old id get Telegram's 400 with `migrate_to_chat_id`.
   * Returns the two service messages Telegram sends (old chat: migrate_to, new chat: migrate_from).
   */
  migrate(chatId: number, newId: number): { from: TgMessage; to: TgMessage } {
    const old = this.#chats.get(chatId);
    if (old?.chat.type !== "group") throw new Error(`chat ${chatId} is not a basic group the bot is in`);
    const box = this.#open({ id: newId, type: "supergroup", ...(old.chat.title ? { title: old.chat.title } : {}) });
    const from: TgMessage = { message_id: this.#nextId(old), date: now(), chat: old.chat, migrate_to_chat_id: newId };
    const to: TgMessage = { message_id: this.#nextId(box), date: now(), chat: box.chat, migrate_from_chat_id: chatId };
    this.#refusals.set(chatId, {
      ok: false,
      code: 400,
      description: "Bad Request: group chat was upgraded to a supergroup chat",
      parameters: { migrate_to_chat_id: newId },
    });
    return { from, to };
  }

  /** sendChatAction: answers for a known chat and a known action. */
  sendChatAction(p: Record<string, any>): Answer {
    const refused = this.#refusals.get(Number(p.chat_id));
    if (refused) return refused;
    if (!this.#chats.has(Number(p.chat_id))) return bad("chat not found");
    if (!CHAT_ACTIONS.includes(p.action)) return bad("wrong parameter action in request");
    return { ok: true, result: true };
  }

  /** sendMessage: validates and parses the text, threads the reply, stores and returns the Message. */
  sendMessage(p: Record<string, any>): Answer {
    const refused = this.#refusals.get(Number(p.chat_id));
    if (refused) return refused;
    const box = this.#chats.get(Number(p.chat_id));
    if (!box) return bad("chat not found");
    const content = parseContent(p);
    if (!content.ok) return content;
    const replyTo = replyToOf(p);
    const replied = replyTo !== undefined ? box.messages.get(replyTo) : undefined;
    if (replyTo !== undefined && !replied && p.reply_parameters?.allow_sending_without_reply !== true) return bad("message to be replied not found");
    const message: TgMessage = {
      message_id: this.#nextId(box),
      date: now(),
      chat: box.chat,
      from: this.user,
      text: content.text,
      ...(replied ? { reply_to_message: replied } : {}),
    };
    if (markupKey(p.reply_markup)) message.reply_markup = p.reply_markup;
    box.messages.set(message.message_id, message);
    this.#format.set(message, content.format);
    return { ok: true, result: message };
  }

  /** editMessageText: replaces the bot's own message's text (and its keyboard, which Telegram drops when none is given). */
  editMessageText(p: Record<string, any>): Answer {
    if (!this.#chats.has(Number(p.chat_id))) return bad("chat not found");
    const content = parseContent(p);
    if (!content.ok) return content;
    const found = this.#editable(p);
    if (!found.ok) return found;
    const message: TgMessage = found.result;
    if (message.text === content.text && this.#format.get(message) === content.format && markupKey(message.reply_markup) === markupKey(p.reply_markup))
      return bad(NOT_MODIFIED);
    message.text = content.text;
    this.#format.set(message, content.format);
    setMarkup(message, p.reply_markup);
    return { ok: true, result: message };
  }

  /** editMessageReplyMarkup: replaces the bot's own message's keyboard; the same keyboard again is "not modified". */
  editMessageReplyMarkup(p: Record<string, any>): Answer {
    const found = this.#editable(p);
    if (!found.ok) return found;
    const message: TgMessage = found.result;
    if (markupKey(message.reply_markup) === markupKey(p.reply_markup)) return bad(NOT_MODIFIED);
    setMarkup(message, p.reply_markup);
    return { ok: true, result: message };
  }

  /** The message `p.message_id` in chat `p.chat_id`, when this bot may edit it. */
  #editable(p: Record<string, any>): Answer {
    const refused = this.#refusals.get(Number(p.chat_id));
    if (refused) return refused;
    const box = this.#chats.get(Number(p.chat_id));
    if (!box) return bad("chat not found");
    const message = box.messages.get(Number(p.message_id));
    if (!message) return bad("message to edit not found");
    if (message.from?.id !== this.user.id) return bad("message can't be edited");
    return { ok: true, result: message };
  }

  #open(chat: TgChat): ChatBox {
    let box = this.#chats.get(chat.id);
    if (!box) this.#chats.set(chat.id, (box = { chat, nextId: 1, messages: new Map() }));
    return box;
  }

  // Private chats and basic groups live in the bot account's one message box; a supergroup keeps its own.
  #nextId(box: ChatBox): number {
    return box.chat.type === "supergroup" ? box.nextId++ : this.#nextBoxId++;
  }
}

/** The id a send answers, from `reply_parameters` or the older `reply_to_message_id`. */
export function replyToOf(p: Record<string, any>): number | undefined {
  const id = p.reply_parameters?.message_id ?? p.reply_to_message_id;
  return id !== undefined ? Number(id) : undefined;
}

/** The text of a send or edit as Telegram checks it: not empty, parseable, at most 4096 characters once parsed. */
function parseContent(p: Record<string, any>): { ok: true; text: string; format: string } | Failed {
  const text = String(p.text ?? "");
  if (!text.trim()) return bad("message text is empty");
  const parsed = parseEntities(text, p.parse_mode);
  if (!parsed.ok) return { ok: false, code: 400, description: parsed.description };
  if (parsed.text.length > 4096) return bad("message is too long");
  const format = p.entities !== undefined ? `entities:${canonical(p.entities)}` : p.parse_mode ? `${p.parse_mode}:${text}` : "";
  return { ok: true, text: parsed.text, format };
}

function setMarkup(message: TgMessage, markup: unknown): void {
  if (markupKey(markup)) message.reply_markup = markup;
  else delete message.reply_markup;
}
