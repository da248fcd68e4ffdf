/** The bigger Gateway payloads of the fake Discord (fake-discord.ts): READY, GUILD_CREATE, INTERACTION_CREATE. Private to the fake Discord. */
import type { DUser, World } from "./fake-discord-state.ts";

/** READY: the bot user, the session, where to resume, the application, the guilds as unavailable. */
export function readyPayload(world: World, sessionId: string, resumeUrl: string, applicationId: string) {
  return {
    v: 10,
    user: { ...world.bot, flags: 0, mfa_enabled: false, verified: true },
    session_id: sessionId,
    session_type: "normal",
    resume_gateway_url: resumeUrl,
    application: { id: applicationId, flags: 1 << 23 },
    guilds: [...world.guilds.keys()].map((id) => ({ id, unavailable: true })),
    private_channels: [],
    relationships: [],
    user_settings: {},
    shard: [0, 1],
    _trace: ["fake-discord"],
  };
}

/** GUILD_CREATE: the guild with its channels and threads (sent after READY with the GUILDS intent). */
export function guildCreate(world: World, id: string) {
  const g = world.guilds.get(id)!;
  const chans = [...world.channels.values()].filter((c) => c.guild_id === id);
  return {
    id,
    name: g.name,
    unavailable: false,
    joined_at: g.joined_at,
    large: false,
    member_count: 1,
    owner_id: "1",
    channels: chans.filter((c) => c.type !== 11),
    threads: chans.filter((c) => c.type === 11),
    members: [],
    roles: [],
    emojis: [],
    stickers: [],
    voice_states: [],
    presences: [],
    features: [],
  };
}

/** INTERACTION_CREATE of a slash command (type 2): `member.user` in a guild, `user` in a DM. */
export function interactionCreate(
  world: World,
  o: { id: string; token: string; applicationId: string; channelId: string; user: DUser; commandId?: string; name: string },
) {
  const guildId = world.guildOf(o.channelId);
  const member = guildId
    ? { user: o.user, roles: [], joined_at: world.guilds.get(guildId)!.joined_at, permissions: "0", deaf: false, mute: false, flags: 0 }
    : undefined;
  return {
    id: o.id,
    application_id: o.applicationId,
    type: 2,
    token: o.token,
    version: 1,
    channel_id: o.channelId,
    channel: world.channels.get(o.channelId),
    ...(guildId ? { guild_id: guildId, member } : { user: o.user }),
    data: { id: o.commandId ?? world.ids.next(), name: o.name, type: 1 },
    locale: "en-US",
    app_permissions: "0",
    entitlements: [],
    authorizing_integration_owners: { "0": guildId ?? o.user.id },
    context: guildId ? 0 : 1,
  };
}
