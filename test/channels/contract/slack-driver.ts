/** The contract suite's driver for Slack: users speak to the bot in DMs through the fake Slack (test/helpers/fake-slack.ts), over Socket Mode. */
import { FakeSlack } from "../../helpers/fake-slack.ts";
import type { PlatformDriver, Said } from "./driver.ts";

/** A Slack DM: the conversation, and what was said (the echo model answers `echo: <text>`). */
type SlSaid = Said & { channel: string; ts: string; text: string };

/**
 * Makes the driver. Slack redelivers an unacked envelope 3 times (after about 3 s, 1 min and 5 min);
 * the fake shortens that to every 2 s, 6 times, so a kill's downtime is covered as the real schedule covers it.
 */
export function slackDriver(): PlatformDriver {
  const sl = new FakeSlack({ ackTimeoutMs: 2000, maxRetries: 6, pingIntervalMs: 5000 });
  const mine = new Set<string>();
  return {
    id: "slack",
    start: () => sl.start(),
    close: () => sl.close(),
    users(n) {
      mine.clear();
      return Array.from({ length: n }, () => sl.user());
    },
    channelConfig: (users) => ({ appToken: sl.appToken, botToken: sl.botToken, apiRoot: sl.apiUrl, allowFrom: [...users], statusReaction: "" }),
    env: () => ({ SLACK_APP_TOKEN: undefined, SLACK_BOT_TOKEN: undefined }),
    userSays(user, text): SlSaid {
      const channel = sl.im(user);
      const m = sl.userSays(channel, user, text);
      mine.add(m.ts);
      return { user, key: `${channel}:${m.ts}`, channel, ts: m.ts, text };
    },
    repliesTo(said) {
      const s = said as SlSaid;
      return sl.botMessages(s.channel).filter((m) => m.text === `echo: ${s.text}`).length;
    },
    botMessages: () => [...sl.world.conversations.keys()].reduce((n, c) => n + sl.botMessages(c).length, 0),
    settled: () => sl.socket.unacked === 0,
    disrupt: () => sl.socket.dropSockets(),
    loseSendAnswers: (n) => sl.loseAnswers("chat.postMessage", n),
    rateLimitSends: (n, retryAfterS) => sl.rateLimit("chat.postMessage", retryAfterS, n),
    describe(said) {
      const s = said as SlSaid;
      return {
        replies: sl.botMessages(s.channel).filter((m) => m.text === `echo: ${s.text}`),
        posts: sl.calls.filter((c) => c.method === "chat.postMessage" && c.params.channel === s.channel && c.params.text === `echo: ${s.text}`).length,
        unacked: sl.socket.unacked,
        dropped: sl.socket.dropped.length,
        sockets: sl.socket.sockets.size,
      };
    },
  };
}
