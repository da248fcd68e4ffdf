/** WhatsApp passes the channel contract suite (test/channels/contract/suite.ts): exactly once across kills, dropped connections, lost answers, rate limits and a second gateway. */
import { channelContract } from "./contract/suite.ts";
import { whatsappDriver } from "./contract/whatsapp-driver.ts";

channelContract(whatsappDriver());
