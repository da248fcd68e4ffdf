/** Discord passes the channel contract suite (test/channels/contract/suite.ts): exactly once across kills, reconnects, lost answers, rate limits and a second gateway. */
import { channelContract } from "./contract/suite.ts";
import { discordDriver } from "./contract/discord-driver.ts";

channelContract(discordDriver());
