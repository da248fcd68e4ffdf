/**
 * Step 3: channels. WebChat (the console and the WebSocket API) is built in and needs nothing.
 * Channels that need accounts (Telegram first) will ask for them here, one question set each.
 */
import type { OnboardStep } from "../step.ts";

/** Reports the channels there are; asks nothing until a channel needs setting up. */
export const channelsStep: OnboardStep = {
  id: "channels",
  title: "Channels",
  async run(ctx) {
    ctx.prompt.say("WebChat is built in: the console and the WebSocket API need no setup.");
    ctx.prompt.say("Telegram and other channels arrive in a later release; they will be set up in this step.");
    return { channels: ["webchat"] };
  },
};
