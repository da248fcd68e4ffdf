/**
 * Which mentions in a reply may ping (`allowed_mentions`): only the kinds `allowMentions` names.
 * Anything else in the text (@everyone, @here, <@&role>, <@user>) is shown as written but pings
 * nobody, so a model that repeats "@everyone" from a message cannot alert a whole server.
 * The person a reply answers is pinged (`replied_user`) when user mentions are allowed: a run can
 * take minutes and in a busy guild channel the ping is how they learn the answer came; in a DM it
 * changes nothing (every message there notifies anyway).
 */
import type { APIAllowedMentions, AllowedMentionsTypes } from "discord-api-types/v10";

/** The kinds a config may allow (config `channels.discord.allowMentions`). */
export type MentionKind = "users" | "roles" | "everyone";

/** The `allowed_mentions` of every part of a reply under `allow`. */
export function allowedMentions(allow: readonly MentionKind[]): APIAllowedMentions {
  const parse = [...new Set(allow)].filter((k) => k === "users" || k === "roles" || k === "everyone") as AllowedMentionsTypes[];
  return { parse, replied_user: parse.includes("users" as AllowedMentionsTypes) };
}
