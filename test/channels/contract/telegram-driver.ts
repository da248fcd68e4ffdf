/** The contract suite's driver for Telegram: users speak through the fake Bot API (test/helpers/fake-telegram.ts). */
import assert from "node:assert/strict";
import path from "node:path";
import { openStore } from "../../../src/store/db.ts";
import { FakeTelegram } from "../../helpers/fake-telegram.ts";
import type { PlatformDriver, Said } from "./driver.ts";

/** A Telegram message: the private chat (= the user) and its message id; the core keys it `chat:id`. */
type TgSaid = Said & { chat: number; id: number; update: number };

/** Makes the driver; each call of `users` hands out ids no earlier test used, so counts never mix. */
export function telegramDriver(): PlatformDriver {
  const tg = new FakeTelegram();
  let nextUser = 30_001;
  return {
    id: "telegram",
    async start() {
      await tg.start();
    },
    close: () => tg.close(),
    users: (n) => Array.from({ length: n }, () => String(nextUser++)),
    channelConfig: (users) => ({ botToken: tg.token, apiRoot: tg.apiRoot, allowFrom: [...users], pollTimeoutSeconds: 5 }),
    env: () => ({ TELEGRAM_BOT_TOKEN: undefined }),
    userSays(user, text): TgSaid {
      const u = tg.userSays(Number(user), text);
      const id = u.message!.message_id;
      return { user, key: `${user}:${id}`, chat: Number(user), id, update: u.update_id };
    },
    repliesTo(said) {
      const s = said as TgSaid;
      return tg.sentTo(s.chat).filter((m) => m.replyTo === s.id).length;
    },
    botMessages: () => tg.sent.length,
    settled: () => tg.unconfirmed() === 0,
    disrupt: () => tg.failNext("getUpdates", { reset: true }),
    loseSendAnswers: (n) => tg.failNext("sendMessage", { loseAnswer: true }, n),
    rateLimitSends: (n, retryAfterS) =>
      tg.failNext("sendMessage", { code: 429, description: `Too Many Requests: retry after ${retryAfterS}`, retryAfter: retryAfterS }, n),
    describe(said) {
      const s = said as TgSaid;
      return {
        sent: tg.sentTo(s.chat).filter((m) => m.replyTo === s.id),
        calls: tg.calls.filter(
          (c) => c.method === "sendMessage" && Number(c.params.chat_id) === s.chat && Number(c.params.reply_parameters?.message_id) === s.id,
        ).length,
      };
    },
    checkBrain(stateDir, said) {
      const store = openStore(path.join(stateDir, "brain.db"));
      try {
        const cursor = store.db.prepare("SELECT cursor FROM channel_cursors WHERE channel = 'telegram'").get() as { cursor: string };
        const last = Math.max(...said.map((s) => (s as TgSaid).update));
        assert.equal(Number(cursor.cursor.split("/")[0]), last + 1, "the committed offset covers the last update");
      } finally {
        store.close();
      }
      assert.equal(tg.unconfirmed(), 0, "every update confirmed to Telegram");
    },
  };
}
