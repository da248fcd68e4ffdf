/**
 * The bot's slash commands: /new (start a new session) and /status (the session, its age and
 * size, the model). Registered for the whole application at start, only when what Discord has
 * differs (a bulk overwrite on every start would spend a daily-limited call and briefly blank
 * the commands in every client). Errors are logged, never thrown: the bot works without them.
 */
import type { REST } from "@discordjs/rest";
import { ApplicationCommandType, InteractionResponseType, type APIApplicationCommand, type RESTPutAPIApplicationCommandsJSONBody } from "discord-api-types/v10";
import type { Logger } from "pino";
import { describeFailure } from "./failures.ts";

/** The commands the bot offers. */
export const COMMANDS: RESTPutAPIApplicationCommandsJSONBody = [
  { type: ApplicationCommandType.ChatInput, name: "new", description: "Start a new session" },
  { type: ApplicationCommandType.ChatInput, name: "status", description: "Show the session, its age and size, and the model" },
];

/** The fields that make two command lists the same for us. */
function shape(list: ReadonlyArray<Pick<APIApplicationCommand, "name" | "description"> & { type?: number }>): string {
  return JSON.stringify(
    list.map((c) => [c.name, c.description, c.type ?? ApplicationCommandType.ChatInput]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

/** Registers COMMANDS for `applicationId` unless Discord has them already. Never throws. */
export async function registerCommands(rest: REST, applicationId: string, logger: Logger): Promise<void> {
  try {
    const current = (await rest.get(`/applications/${applicationId}/commands`)) as APIApplicationCommand[];
    if (shape(current) === shape(COMMANDS as APIApplicationCommand[])) {
      logger.debug({ commands: current.length }, "discord slash commands already registered");
      return;
    }
    await rest.put(`/applications/${applicationId}/commands`, { body: COMMANDS });
    logger.info({ commands: COMMANDS.map((c) => c.name) }, "discord slash commands registered");
  } catch (err) {
    logger.warn({ error: describeFailure(err) }, "could not register the discord slash commands (/new, /status); the bot works without them");
  }
}

/** Acknowledges a slash command as deferred ("thinking…"), within Discord's 3 s; the reply edits it later. */
export async function ackInteraction(rest: REST, interaction: { id: string; token: string }): Promise<void> {
  await rest.post(`/interactions/${interaction.id}/${interaction.token}/callback`, {
    body: { type: InteractionResponseType.DeferredChannelMessageWithSource },
    auth: false,
  });
}
