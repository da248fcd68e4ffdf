/** Slack passes the channel contract suite (test/channels/contract/suite.ts): exactly once across kills, reconnects, lost answers, rate limits and a second gateway. */
import { channelContract } from "./contract/suite.ts";
import { slackDriver } from "./contract/slack-driver.ts";

channelContract(slackDriver());
