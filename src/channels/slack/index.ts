export { SlackChannel, SLACK } from "./channel.ts";
