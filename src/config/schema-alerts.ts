/** The config of the watchdog (`alerts.*`, docs/alerts.md): part of the one config schema (schema.ts). */
import * as z from "zod/mini";
import { envName, httpUrl, int, secret, section, text } from "./schema-parts.ts";

const envVar = () => envName("ONEBRAIN_ALERT_URL");

/**
 * A target: a chat (`channel`, `account?`, `target`: a channel of this gateway, its account, default
 * its only one, and the chat, channel or user id) or a webhook (`url` or `urlEnv`, JSON with `text`
 * included, so Slack-style incoming webhooks take it). One flat object, so an error names the key
 * that is wrong. A URL with a secret in it (most incoming webhooks) belongs in `urlEnv`, never printed.
 */
const target = z
  .strictObject(
    {
      channel: z.optional(text()),
      account: z.optional(text()),
      target: z.optional(text()),
      url: z.optional(httpUrl()),
      urlEnv: z.optional(envVar()),
      /** HMAC-SHA256 key: the body is signed in `X-Onebrain-Signature-256: sha256=<hex>`; prefer secretEnv. */
      secret: z.optional(secret()),
      secretEnv: z.optional(envVar()),
    },
    { error: "expected { channel, account?, target } (a chat) or { url | urlEnv, secretEnv? } (a webhook)" },
  )
  .check(
    z.refine((t) => t.channel !== undefined || t.url !== undefined || t.urlEnv !== undefined, {
      error: "expected channel and target (a chat), or url or urlEnv (a webhook)",
    }),
    z.refine((t) => t.channel === undefined || t.target !== undefined, { error: "expected target with channel: the chat, channel or user id to post in" }),
    z.refine((t) => t.channel !== undefined || (t.target === undefined && t.account === undefined), {
      error: "expected channel with target and account: they name a chat on that channel",
    }),
    z.refine((t) => t.channel === undefined || (t.url === undefined && t.urlEnv === undefined && t.secret === undefined && t.secretEnv === undefined), {
      error: "expected a chat (channel, target) or a webhook (url or urlEnv), not both in one target",
    }),
    z.refine((t) => !(t.url !== undefined && t.urlEnv !== undefined), { error: "expected url or urlEnv, not both" }),
    z.refine((t) => !(t.secret !== undefined && t.secretEnv !== undefined), { error: "expected secret or secretEnv, not both" }),
  );

const flag = (value: boolean) => z._default(z.boolean({ error: "expected true or false" }), value);

/** The `alerts` section: read at each check, so every key applies without a restart. */
export const alertsSchema = z.strictObject({
  /** Watch and send; with no target there is nobody to tell and nothing is sent. */
  enabled: flag(true),
  /** Where alerts go: each alert goes to every target that does not depend on what failed. */
  targets: z._default(z.array(target, { error: "expected a list of alert targets" }), []),
  /** How long a state must stay bad before its alert (doubled for each alert of the same condition in the last 6 h, up to 1 h). */
  afterMs: z._default(int(500, 86_400_000), 120_000),
  /** How long a condition must stay good before its recovery message (a flapping channel stays one alert). */
  recoverAfterMs: z._default(int(0, 86_400_000), 60_000),
  /** How often the conditions are checked. */
  checkIntervalMs: z._default(int(100, 600_000), 5_000),
  /** Consecutive failed replies (undeliverable, or runs that failed) before the `replies` alert. */
  replyFailures: z._default(int(1, 1000), 3),
  /** Which conditions are watched. */
  watch: section(
    z.strictObject({
      readiness: flag(true),
      channels: flag(true),
      cron: flag(true),
      replies: flag(true),
    }),
  ),
  /** A dead man's switch: POSTed every `everyMs` while the gateway is ready, so a monitor notices when it stops. */
  heartbeat: z.optional(
    z
      .strictObject({ url: z.optional(httpUrl()), urlEnv: z.optional(envVar()), everyMs: z._default(int(1_000, 86_400_000), 60_000) })
      .check(z.refine((t) => (t.url === undefined) !== (t.urlEnv === undefined), { error: "expected url or urlEnv (exactly one)" })),
  ),
});

export type AlertsConfig = z.output<typeof alertsSchema>;

/** The alerts section, defaults applied. */
export const alertsSection = () => section(alertsSchema);
