/** The config of webhooks in (`hooks.*`, docs/hooks.md): part of the one config schema (schema.ts). */
import * as z from "zod/mini";
import { templateProblem } from "../shared/template.ts";
import { agentId } from "./schema-agents.ts";
import { envName, int, oneOf, secret, section, text } from "./schema-parts.ts";

/** A mapping's name is its path (`POST /hooks/<name>`); these paths are the built-in endpoints'. */
export const RESERVED_HOOK_NAMES = ["agent", "wake", "runs"] as const;
export const HOOK_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** An HTTP header name (RFC 9110 token characters). */
const headerName = () =>
  text().check(z.refine((v) => /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(v), { error: "expected an HTTP header name such as X-Hub-Signature-256" }));

const template = () =>
  text().check(z.refine((v) => templateProblem(v) === null, { error: (iss) => templateProblem(String(iss.input)) ?? "expected a template" }));

const sessionRef = () =>
  text().check(
    z.refine((v) => v === "isolated" || /^agent:[^\s]{1,500}$/.test(v), {
      error: 'expected "isolated" (the mapping\'s own session) or an existing session key such as agent:main:main',
    }),
  );

const mappingSchema = z
  .strictObject({
    /** The message for the agent: a template over the request (`{{body.x}}`, `{{headers.x-y}}`, `{{query.z}}`). */
    message: template(),
    /** The agent that answers (docs/agents.md); default: the default agent. */
    agent: z.optional(agentId()),
    /** "isolated" (default: `agent:<agent>:hook:<name>`) or an existing session key of that agent. */
    session: z.optional(sessionRef()),
    /** Where the answer is announced; unset: nowhere (see `GET /hooks/runs/ID`). */
    deliver: z.optional(z.strictObject({ channel: text(), account: z.optional(text()), target: text() })),
    /** token: the hook token; signature: the HMAC alone (senders that cannot set headers); both. Default: both with a secret, else token. */
    auth: z.optional(oneOf(["token", "signature", "both"])),
    /** The HMAC-SHA256 secret of the signature header; prefer secretEnv. */
    secret: z.optional(secret()),
    /** The environment variable of the gateway holding the HMAC secret. */
    secretEnv: z.optional(envName("GITHUB_WEBHOOK_SECRET")),
    /** The header with `sha256=<hex HMAC of the raw body>`. */
    signatureHeader: z._default(headerName(), "X-Hub-Signature-256"),
    /** The one header whose value is the idempotency key of this mapping (instead of hooks.idempotencyHeaders). */
    idempotencyHeader: z.optional(headerName()),
    /** A run's time limit; unset: reply.timeoutSeconds. */
    timeoutSeconds: z.optional(int(1, 86_400)),
  })
  .check(
    z.refine((m) => !(m.secret !== undefined && m.secretEnv !== undefined), { error: "expected secret or secretEnv, not both" }),
    z.refine((m) => m.auth === undefined || m.auth === "token" || m.secret !== undefined || m.secretEnv !== undefined, {
      error: 'expected secret or secretEnv with auth "signature" or "both": the signature is checked with it',
    }),
  );

/** The `hooks` section: read at each request, so every key applies without a restart. */
export const hooksSchema = z.strictObject({
  /** Serve `/hooks/*` on the gateway port; off: 404. */
  enabled: z._default(z.boolean({ error: "expected true or false" }), true),
  /** Largest request body; a larger one is refused with 413 and its connection closed. */
  maxBodyBytes: z._default(int(1024, 8 * 1024 * 1024), 256 * 1024),
  /** Headers read for the idempotency key, in order of precedence. */
  idempotencyHeaders: z._default(z.array(headerName(), { error: "expected a list of HTTP header names" }), [
    "Idempotency-Key",
    "X-GitHub-Delivery",
    "Webhook-Id",
  ]),
  mappings: z._default(
    z.record(
      z.string().check(
        z.regex(HOOK_NAME, { error: "expected a hook name of a-z, 0-9, _ and - (at most 64), the path after /hooks/" }),
        z.refine((v) => !(RESERVED_HOOK_NAMES as readonly string[]).includes(v), {
          error: `expected a name other than ${RESERVED_HOOK_NAMES.join(", ")} (built-in paths)`,
        }),
      ),
      mappingSchema,
      { error: "expected an object of hook mappings, each { message, session?, deliver?, auth?, secretEnv?, ... }" },
    ),
    {},
  ),
});

/** The hooks section, defaults applied. */
export const hooksSection = () => section(hooksSchema);
