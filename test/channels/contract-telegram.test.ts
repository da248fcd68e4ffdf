/** Telegram passes the channel contract suite (test/channels/contract/suite.ts): exactly once across kills, reconnects, lost answers, rate limits and a second gateway. */
import { channelContract } from "./contract/suite.ts";
import { telegramDriver } from "./contract/telegram-driver.ts";

channelContract(telegramDriver());
