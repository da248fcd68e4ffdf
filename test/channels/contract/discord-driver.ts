/** The contract suite's driver for Discord: users speak to the bot in DMs through the fake Discord (test/helpers/fake-discord.ts). */
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { decodeCursor } from "../../../src/channels/discord/cursor.ts";
import { FakeDiscord } from "../../helpers/fake-discord.ts";
import type { PlatformDriver, Said } from "./driver.ts";

/** A Discord DM: the DM channel and the message id (the core keys it by the message id). */
type DcSaid = Said & { channel: string };

const isSend = (channel?: string) => (r: { method: string; path: string }) =>
  r.method === "POST" && (channel ? r.path === `/channels/${channel}/messages` : /^\/channels\/\d+\/messages$/.test(r.path));

/**
 * Makes the driver. The fake keeps Discord's one IDENTIFY per interval, shortened to 1 s so the
 * kill test's restarts are not all refused (the channel must still wait out an op 9).
 */
export function discordDriver(): PlatformDriver {
  const dc = new FakeDiscord({ identifyIntervalMs: 1000, heartbeatIntervalMs: 5000, resumeWindowMs: 30_000 });
  // The messages of the current test: the fake lives across tests, and an earlier test's state dir
  // (gone with its gateway) can never read what went to its abandoned session.
  const mine = new Set<string>();
  return {
    id: "discord",
    start: () => dc.start(),
    close: () => dc.close(),
    users(n) {
      // A new test: the previous test's sessions belong to gateways that are gone (a killed one's
      // socket may not even look closed yet).
      mine.clear();
      dc.forgetSessions();
      return Array.from({ length: n }, () => dc.user());
    },
    channelConfig: (users) => ({ token: dc.token, apiRoot: dc.apiRoot, allowFrom: [...users] }),
    env: () => ({ DISCORD_BOT_TOKEN: undefined }),
    // Discord keeps no mailbox: a DM said before the bot ever connected reaches no session, and a
    // DM channel the bot never saw cannot be read back. So users speak once a session exists
    // (live or resumable: what is said while a killed gateway is down is still held for it).
    async userSays(user, text): Promise<DcSaid> {
      for (let i = 0; i < 600 && !dc.hasSession(); i++) await new Promise((r) => setTimeout(r, 50));
      const channel = dc.dm(user);
      const m = dc.userSays(channel, user, text);
      mine.add(m.id);
      return { user, key: m.id, channel };
    },
    // Discord keeps no mailbox: until the brain has stored its session, a kill loses the session
    // and what was sent to it (a DM channel it never saw cannot be read back either).
    async ready(stateDir) {
      const stored = () => {
        let db: DatabaseSync | null = null;
        try {
          db = new DatabaseSync(path.join(stateDir, "brain.db"), { readOnly: true });
          const row = db.prepare("SELECT cursor FROM channel_cursors WHERE channel = 'discord'").get() as { cursor: string } | undefined;
          return decodeCursor(row?.cursor).session !== null;
        } catch {
          return false; // not created yet
        } finally {
          db?.close();
        }
      };
      for (let i = 0; !stored(); i++) {
        if (i > 600) throw new Error(`the gateway on ${stateDir} stored no Discord session within 30 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    repliesTo(said) {
      const s = said as DcSaid;
      return dc.botMessages(s.channel).filter((m) => m.message_reference?.message_id === s.key).length;
    },
    botMessages: () => dc.botMessages().length,
    settled: () => dc.undelivered(mine) === 0,
    disrupt: () => dc.dropSockets(),
    loseSendAnswers: (n) => dc.loseAnswers(n, isSend()),
    rateLimitSends: (n, retryAfterS) => dc.rateLimit("POST /channels/:id/messages", { retryAfterS, count: n }),
    describe(said) {
      const s = said as DcSaid;
      return {
        replies: dc.botMessages(s.channel).filter((m) => m.message_reference?.message_id === s.key),
        posts: dc.requests.filter((r) => isSend(s.channel)(r) && r.body?.message_reference?.message_id === s.key).length,
        undelivered: dc.undelivered(mine),
        sessions: [...dc.gateway.sessions.values()].map((x) => ({ id: x.id, seq: x.seq, sent: x.sent, socket: x.socket !== null })),
        trace: dc.gateway.trace.slice(-25),
      };
    },
  };
}
