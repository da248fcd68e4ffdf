/**
 * The Slack SDKs' logger, routed into the gateway's: their own messages (every frame at debug, a
 * warning per failed request) go to pino at trace and debug, where the channel's own lines, which
 * say what happened and what comes next, are not drowned. The SDKs never log a token.
 */
import { LogLevel, type Logger as SlackLogger } from "@slack/web-api";
import type { Logger } from "pino";

export function slackLogger(log: Logger): SlackLogger {
  const child = log.child({ sdk: "slack" });
  const line = (msg: unknown[]) => msg.map((m) => (typeof m === "string" ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(" ");
  return {
    debug: (...msg: unknown[]) => child.trace(line(msg)),
    info: (...msg: unknown[]) => child.trace(line(msg)),
    warn: (...msg: unknown[]) => child.debug(line(msg)),
    error: (...msg: unknown[]) => child.debug(line(msg)),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}
