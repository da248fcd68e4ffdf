/** What the Discord sender's tests share: a fake Discord, settings with 100-character parts, a sender on its own REST client. */
import pino from "pino";
import type { OutboundMessage } from "../../src/channels/channel.ts";
import { createRest } from "../../src/channels/discord/rest.ts";
import { DiscordSender } from "../../src/channels/discord/send.ts";
import type { DiscordSendTiming, DiscordSettings } from "../../src/channels/discord/settings.ts";
import { discordSchema } from "../../src/config/schema-channels.ts";
import type { FakeDiscord } from "../helpers/fake-discord.ts";

export const logger = pino({ level: "silent" });
export const settings: DiscordSettings = { ...discordSchema.parse({}), textChunkLimit: 100 };

/** 76 characters of `c`: two of them do not fit one 100-character part. */
export const para = (c: string) => `${c.repeat(10)} `.repeat(7).trim();

/** A sender on `fake` with its own REST client (the lib's bucket state does not leak between tests) and short delays. */
export function sender(fake: FakeDiscord, o: { now?: () => number; timing?: Partial<DiscordSendTiming> } = {}): DiscordSender {
  const rest = createRest({ token: fake.token, apiRoot: fake.apiRoot, env: {} });
  return new DiscordSender({
    rest,
    settings: () => settings,
    botId: () => fake.botId,
    applicationId: () => fake.applicationId,
    logger,
    ...(o.now ? { now: o.now } : {}),
    timing: { doubtSettleMs: 0, doubtLifeMs: 300, doubtRescanMs: 50, typingIntervalMs: 40, typingDelayMs: 0, ...o.timing },
  });
}

/** A reply to deliver (a fresh idempotency key unless given). */
export function reply(target: string, replyTo: string | null, text: string, key = `k-${Math.random()}`): OutboundMessage {
  return { idempotencyKey: key, target, replyTo, text };
}
