/**
 * The one config schema. Every key of onebrain.json is declared here with its default;
 * unknown keys are errors (with the nearest valid key suggested by load.ts).
 * Leaf messages state what is expected; load.ts adds the key path and what was found.
 */
// zod/mini rather than classic zod: its functional API tree-shakes in the bundle, which keeps
// about 13 MB off the gateway's resident memory.
import * as z from "zod/mini";
import { browserSection } from "./schema-browser.ts";
import { alertsSection } from "./schema-alerts.ts";
import { hooksSection } from "./schema-hooks.ts";
import { agentRefsCheck, agentsList, bindingsList, TOOL_PROFILES } from "./schema-agents.ts";
import { discordSchema, slackSchema, telegramSchema, whatsappSchema } from "./schema-channels.ts";
import { hostName, httpUrl, int, ipOrCidr, modelRef, oneOf, port, secret, section, text, textList } from "./schema-parts.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const authSchema = z.strictObject(
  {
    /** none: no auth (loopback only); token: Bearer token; password: shared password. Default: inferred from what is set. */
    mode: z.optional(oneOf(["none", "token", "password"])),
    token: z.optional(secret()),
    password: z.optional(secret()),
  },
  { error: 'expected an object such as { token: "…" } or { password: "…" } (keys: mode, token, password)' },
);

const wsSchema = z.strictObject({
  /** How often each client is pinged; a client that misses one pong is terminated. */
  pingIntervalMs: z._default(int(100, 600_000), 30_000),
  /** How long a new socket may take to send a valid `connect`. */
  handshakeTimeoutMs: z._default(int(100, 120_000), 10_000),
  /** Largest frame accepted after the handshake. */
  maxPayload: z._default(int(1024, 64 * 1024 * 1024), 1024 * 1024),
  /** Largest frame accepted before the handshake. */
  preAuthMaxPayload: z._default(int(256, 1024 * 1024), 64 * 1024),
  /** A client whose unsent bytes pass this is closed as a slow consumer. */
  maxBufferedBytes: z._default(int(1024, 1024 * 1024 * 1024), 8 * 1024 * 1024),
  /** Unsent bytes of all clients together; past it, the client holding the most is closed (1013). */
  maxTotalBufferedBytes: z._default(int(1024 * 1024, 64 * 1024 * 1024 * 1024), 64 * 1024 * 1024),
  /** Requests one connection may have in flight; more are answered at once with TOO_MANY_REQUESTS. */
  maxInflight: z._default(int(1, 100_000), 256),
});

const gatewaySchema = z.strictObject({
  bind: z._default(oneOf(["loopback", "lan", "tailnet", "custom"]), "loopback"),
  customBindHost: z.optional(text()),
  port: z.optional(port()),
  auth: section(authSchema),
  /** Proxies (IPs or CIDRs) whose X-Forwarded-For is believed. */
  trustedProxies: z._default(z.array(ipOrCidr(), { error: "expected a list of IP addresses or CIDRs" }), []),
  /** Extra browser origins allowed to open the WebSocket (the gateway's own loopback origins always are). */
  allowedOrigins: z._default(textList(), []),
  /** Extra Host names a gateway without auth answers to (its loopback names and bind address always are): the names a reverse proxy forwards. */
  allowedHosts: z._default(z.array(hostName(), { error: "expected a list of host names" }), []),
  ws: section(wsSchema),
  /** How long a stop waits for clients and work to drain before closing them. */
  shutdownGraceMs: z._default(int(0, 300_000), 5_000),
  /** Event-loop delay (p99 over the last window) above which /readyz reports not ready. */
  maxEventLoopLagMs: z._default(int(10, 60_000), 1_000),
  /** Failed auth attempts allowed per remote address per minute before it is rate limited. */
  authFailuresPerMinute: z._default(int(1, 10_000), 10),
  /** Devices (docs/devices.md): companion apps and remote OpenClaw clients that prove an Ed25519 key. */
  devices: section(
    z.strictObject({
      /** Approve a new device without asking when it connects from this host (loopback, no proxy) with the gateway's own secret. */
      autoApproveLocal: z._default(z.boolean({ error: "expected true or false" }), true),
    }),
  ),
});

const sessionSchema = z.strictObject({
  /** main: the owner's direct chats share one session; per-peer / per-channel-peer: one per person. */
  dmScope: z._default(oneOf(["main", "per-peer", "per-channel-peer"]), "main"),
  /** Direct chats of allowed senders who are not the owner (approved through pairing, or let in by an open policy): their own session by default. */
  pairedDmScope: z._default(oneOf(["main", "per-peer", "per-channel-peer"]), "per-peer"),
  historyLimit: z._default(int(0, 10_000), 50),
  /** Ended sessions (and their transcripts) older than this are deleted; 0 keeps them for ever. */
  retentionDays: z._default(int(0, 36_500), 0),
  reset: section(
    z.strictObject({
      mode: z._default(oneOf(["daily", "idle"]), "daily"),
      atHour: z._default(int(0, 23), 4),
      idleMinutes: z._default(int(1, 525_600), 120),
    }),
  ),
});

const loggingSchema = z.strictObject({
  level: z._default(oneOf(LOG_LEVELS), "info"),
  consoleLevel: z._default(oneOf(LOG_LEVELS), "info"),
  consoleStyle: z._default(oneOf(["pretty", "compact", "json"]), "pretty"),
  /** Log file; default `<stateDir>/logs/gateway.log`. */
  file: z.optional(text()),
  maxFileBytes: z._default(int(64 * 1024, 1024 * 1024 * 1024), 10 * 1024 * 1024),
  maxFiles: z._default(int(1, 100), 5),
});

const modelProviderSchema = z.strictObject({
  /** Wire format. Default: anthropic for the provider named "anthropic", else openai (Chat Completions). */
  kind: z.optional(oneOf(["anthropic", "openai"])),
  baseUrl: z.optional(httpUrl()),
  apiKey: z.optional(secret()),
  /** The environment variable holding the key, so the key can stay out of the file. */
  apiKeyEnv: z.optional(
    text().check(z.refine((v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v), { error: "expected an environment variable name such as MY_API_KEY" })),
  ),
  /** kind openai: the field for models.maxTokens. Unset: max_completion_tokens at api.openai.com (and Azure), max_tokens elsewhere. */
  maxTokensParam: z.optional(oneOf(["max_tokens", "max_completion_tokens"])),
});

const modelsSchema = z.strictObject({
  /** Unset: inferred from ANTHROPIC_API_KEY or OPENAI_API_KEY (src/agent/models.ts). */
  primary: z.optional(modelRef()),
  fallbacks: z._default(z.array(modelRef(), { error: 'expected a list of "provider/model" strings' }), []),
  maxTokens: z._default(int(1, 1_000_000), 1024),
  /** A request with no progress (no headers, no stream data) for this long is aborted and retried. */
  requestTimeoutSeconds: z._default(int(1, 3600), 60),
  retries: z._default(int(0, 10), 2),
  providers: z._default(z.record(z.string(), modelProviderSchema, { error: "expected an object of model providers" }), {}),
});

const toolNames = () => z.array(text(), { error: 'expected a list of tool names or groups, such as ["read", "group:web"]' });

const execSchema = z.strictObject({
  /** deny: no exec at all; allowlist: only allowlisted executables (others ask, per `ask`); full: anything (no check). */
  security: z._default(oneOf(["deny", "allowlist", "full"]), "allowlist"),
  /** off: never ask (a miss is refused); on-miss: ask when a command misses the allowlist; always: ask for every command. */
  ask: z._default(oneOf(["off", "on-miss", "always"]), "on-miss"),
  /** What an approval nobody answered in `askTimeoutSeconds` becomes: deny, or allowlist (allowed only if it is on the allowlist). */
  askFallback: z._default(oneOf(["deny", "allowlist"]), "deny"),
  askTimeoutSeconds: z._default(int(5, 86_400), 120),
  /** Executables always allowed: absolute paths (matched after resolving symlinks) or bare names resolved on PATH. */
  allowlist: z._default(textList(), []),
  /** Default and largest run time of one command. */
  timeoutSeconds: z._default(int(1, 86_400), 60),
  maxTimeoutSeconds: z._default(int(1, 86_400), 600),
  /** Output kept per command (stdout and stderr together); the rest is counted and dropped. */
  maxOutputBytes: z._default(int(1024, 64 * 1024 * 1024), 64 * 1024),
  /** Environment variables passed to commands besides the safe base set (PATH, HOME, LANG, ...). Names only. */
  env: z._default(textList(), []),
});

const webSchema = z.strictObject({
  /**
   * Let web_fetch reach private, loopback, link-local and other non-public addresses (off: refused,
   * as SSRF). Cloud metadata addresses (169.254.169.254, fd00:ec2::254, ...) stay refused unless
   * listed in allowedHosts.
   */
  allowPrivateNetwork: z._default(z.boolean({ error: "expected true or false" }), false),
  /** Host names (exact, any address they resolve to) or IPs/CIDRs web_fetch may reach even when they are private (for a home server). */
  allowedHosts: z._default(textList(), []),
  /** Most bytes of a page web_fetch reads, counted after decompression; the rest is cut with a note. */
  maxBytes: z._default(int(1024, 64 * 1024 * 1024), 2 * 1024 * 1024),
  /** Time for one whole fetch, redirects and body included. */
  timeoutSeconds: z._default(int(1, 600), 20),
  /** Redirects followed; each hop is checked again by the SSRF guard. */
  maxRedirects: z._default(int(0, 20), 5),
});

const toolsSchema = z.strictObject({
  /** The base set: minimal (read-only files, memory), messaging, coding (files, exec, web, memory), full (all). */
  profile: z._default(oneOf(TOOL_PROFILES), "full"),
  /** Tools or groups (`group:fs`, `group:runtime`, `group:web`, `group:messaging`, `group:memory`, `group:ui`) added to the profile. */
  allow: z._default(toolNames(), []),
  /** Tools or groups taken away; deny wins over allow and profile. */
  deny: z._default(toolNames(), []),
  fs: section(
    z.strictObject({
      /** Largest file `read` returns at once (a line range reads within it). */
      maxReadBytes: z._default(int(1024, 64 * 1024 * 1024), 256 * 1024),
      /** Largest content `write`/`edit` may produce. */
      maxWriteBytes: z._default(int(1024, 256 * 1024 * 1024), 4 * 1024 * 1024),
      /** Most entries `list`, `glob` and `grep` return. */
      maxResults: z._default(int(1, 100_000), 500),
    }),
  ),
  exec: section(execSchema),
  web: section(webSchema),
});

export const configSchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    gateway: section(gatewaySchema),
    session: section(sessionSchema),
    reply: section(z.strictObject({ timeoutSeconds: z._default(int(1, 3600), 120) })),
    logging: section(loggingSchema),
    agents: section(
      z.strictObject({
        defaults: section(
          z.strictObject({
            workspace: z.optional(text()),
            /** Runs in flight at once across all sessions (one per session regardless). */
            maxConcurrentRuns: z._default(int(1, 64), 4),
            /** Model turns that call tools in one run; the run then ends with what it has. */
            maxToolSteps: z._default(int(1, 1000), 25),
          }),
        ),
        /** Several agents on one brain (docs/agents.md); empty: the one agent "main". */
        list: agentsList(),
      }),
    ),
    /** Which channel, account or chat goes to which agent (docs/agents.md). */
    bindings: bindingsList(),
    browser: browserSection(),
    canvasHost: section(
      z.strictObject({
        /** Serve the canvas (on its port and under /__canvas__/ on the gateway port); off, the canvas tool refuses. */
        enabled: z._default(z.boolean({ error: "expected true or false" }), true),
        /** The directory served; default `<workspace>/canvas`, created on first need. Relative paths are inside the state dir. */
        root: z.optional(text()),
        port: z.optional(port()),
      }),
    ),
    models: section(modelsSchema),
    tools: section(toolsSchema),
    /** Webhooks in (docs/hooks.md): `/hooks/agent`, `/hooks/wake` and the named mappings. */
    hooks: hooksSection(),
    /** The watchdog (docs/alerts.md): one alert, then one recovery, to a target that does not depend on what failed. */
    alerts: alertsSection(),
    channels: section(
      z.strictObject({ telegram: section(telegramSchema), discord: section(discordSchema), slack: section(slackSchema), whatsapp: section(whatsappSchema) }),
    ),
  })
  // Across keys, once the file has parsed: agent ids unique, one default, every agent named configured.
  .check(agentRefsCheck());

/** The parsed, defaulted config. Always deep-frozen once loaded. */
export type Config = z.output<typeof configSchema>;
