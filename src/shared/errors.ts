/**
 * The one registry of coded errors. Callers branch on `err.code`, never on message text.
 * Every code here is listed in docs/errors.md (a test checks it), with its exit code.
 */

export interface ErrorSpec {
  /** Process exit code when this error ends a CLI command. */
  readonly exitCode: number;
  /** HTTP status when this error answers an HTTP request. */
  readonly httpStatus: number;
  /** One line for docs and `--json` output. */
  readonly summary: string;
}

export const errorCatalog = {
  INTERNAL: { exitCode: 1, httpStatus: 500, summary: "Unexpected internal error (a bug: please report it with the log)." },
  USAGE: { exitCode: 2, httpStatus: 400, summary: "The command line is wrong: unknown flag, missing or malformed value." },
  UNHEALTHY: { exitCode: 3, httpStatus: 503, summary: "The gateway answered but is not healthy, or an RPC probe failed." },
  GATEWAY_UNREACHABLE: { exitCode: 4, httpStatus: 502, summary: "No gateway answered at the address (not running, or wrong port)." },
  AUTH_FAILED: { exitCode: 5, httpStatus: 401, summary: "The gateway refused the token or password." },
  RATE_LIMITED: { exitCode: 6, httpStatus: 429, summary: "Too many failed auth attempts from this address; wait and retry." },
  TIMEOUT: { exitCode: 7, httpStatus: 504, summary: "The operation did not finish within its time limit." },
  GATEWAY_LOCK_HELD: { exitCode: 10, httpStatus: 409, summary: "Another live process holds this brain (the state-dir lock)." },
  PORT_IN_USE: { exitCode: 11, httpStatus: 409, summary: "The gateway port is held by another process." },
  BIND_FAILED: { exitCode: 12, httpStatus: 500, summary: "The bind address cannot be used (not on this host, or no tailnet address)." },
  INSECURE_BIND: { exitCode: 13, httpStatus: 500, summary: "Refused to listen off loopback without auth." },
  FORCE_REFUSED: { exitCode: 14, httpStatus: 409, summary: "--force would stop something it must not (another brain, or an unidentified listener)." },
  CONFIG_INVALID: { exitCode: 20, httpStatus: 500, summary: "The config file does not match the schema (key path, found and expected are named)." },
  CONFIG_SYNTAX: { exitCode: 21, httpStatus: 500, summary: "The config file is not valid JSON5 (line and column are named)." },
  CONFIG_UNREADABLE: {
    exitCode: 22,
    httpStatus: 500,
    summary: "The config file exists but cannot be read: permissions, or not a regular file (a directory, FIFO or device), or over 4 MiB.",
  },
  CONFIG_KEY_UNKNOWN: { exitCode: 23, httpStatus: 400, summary: "`config get/set` was given a key path that is not in the schema." },
  CONFIG_MISSING: {
    exitCode: 19,
    httpStatus: 500,
    summary: "The config file named by ONEBRAIN_CONFIG_PATH does not exist (or was removed while the gateway runs: it keeps the last good config).",
  },
  PROFILE_INVALID: { exitCode: 24, httpStatus: 400, summary: "The profile name is not letters, digits, '-' or '_' (at most 64)." },
  STATE_DIR_UNUSABLE: { exitCode: 25, httpStatus: 500, summary: "The state directory cannot be created or written." },
  STORE_CORRUPT: { exitCode: 26, httpStatus: 500, summary: "The brain's database failed its integrity check; restore a backup with `onebrain restore FILE`." },
  STORE_TOO_NEW: { exitCode: 27, httpStatus: 500, summary: "The brain's database was written by a newer onebrain (schema version above this one's)." },
  BACKUP_FAILED: {
    exitCode: 28,
    httpStatus: 500,
    summary: "A backup or restore could not be completed (the file named is not a valid brain backup, or it cannot be written).",
  },
  STORE_WRITE_FAILED: {
    exitCode: 29,
    httpStatus: 500,
    summary: "A write to the brain's database failed (disk full or I/O error); the gateway stops so that a restart recovers from what is on disk.",
  },
  DOCTOR_WARN: { exitCode: 30, httpStatus: 200, summary: "`doctor` found warnings and no failures (each finding names its fix)." },
  DOCTOR_FAIL: { exitCode: 31, httpStatus: 200, summary: "`doctor` found at least one failure (each finding names its fix)." },
  MODEL_NOT_CONFIGURED: {
    exitCode: 40,
    httpStatus: 503,
    summary: "No model provider is configured (set ANTHROPIC_API_KEY or OPENAI_API_KEY, or `models` in the config).",
  },
  MODEL_FAILED: { exitCode: 41, httpStatus: 502, summary: "Every configured model failed (after retries and fallbacks); the details name each attempt." },
  SERVICE_UNAVAILABLE: {
    exitCode: 50,
    httpStatus: 503,
    summary: "systemd is not running here (a container, macOS, or no user manager); the foreground command is printed instead.",
  },
  SERVICE_FAILED: {
    exitCode: 51,
    httpStatus: 500,
    summary: "A systemctl operation failed, or the service did not become healthy; the details name the unit's state and exit status.",
  },
  SERVICE_NOT_INSTALLED: { exitCode: 52, httpStatus: 404, summary: "No service unit is installed for this brain (`onebrain gateway install` writes one)." },
  SERVICE_EXISTS: { exitCode: 53, httpStatus: 409, summary: "A different unit with this name is already installed (`gateway install --force` replaces it)." },
  SERVICE_PERMISSION: {
    exitCode: 54,
    httpStatus: 403,
    summary: "Not permitted: a system unit needs root, the service user cannot read what the unit runs, or the gateway belongs to another user.",
  },
  MIGRATE_FAILED: {
    exitCode: 55,
    httpStatus: 500,
    summary: "`migrate` could not finish; the message says what was changed (the database import is one transaction) and names the backup made first.",
  },
  MIGRATE_SOURCE_INVALID: {
    exitCode: 56,
    httpStatus: 400,
    summary: "`migrate --from DIR`: DIR is missing, is this brain itself, or holds no brain (no brain.db, no onebrain.json).",
  },
  ONBOARD_ABORTED: { exitCode: 57, httpStatus: 400, summary: "`onboard` was cancelled (Ctrl-C or end of input); the steps already done are kept." },
  STOP_INCOMPLETE: {
    exitCode: 60,
    httpStatus: 500,
    summary: "The gateway stopped, but a stop step failed or hung past gateway.shutdownGraceMs (the log names it); the port and lock were freed at exit.",
  },
  UNHANDLED_REJECTION: {
    exitCode: 61,
    httpStatus: 500,
    summary: "A promise rejected with no handler (a bug: please report it with the log); the gateway stopped rather than run half-working.",
  },
  CHANNEL_RATE_LIMITED: {
    exitCode: 62,
    httpStatus: 429,
    summary: "A chat platform asked to wait before the next send (Telegram's 429 with retry_after); the reply waits that long, uncounted.",
  },
  OUTBOX_RETRY_REFUSED: {
    exitCode: 63,
    httpStatus: 409,
    summary: "`outbox retry ID`: no such reply, or it is not failed (a delivered reply is never sent again; a pending one is still being delivered).",
  },
  PROXY_FAILED: {
    exitCode: 64,
    httpStatus: 502,
    summary:
      "The outbound proxy (HTTPS_PROXY / HTTP_PROXY) did not open a tunnel: it refused the credentials (407), answered CONNECT with an error, closed the connection or did not answer.",
  },
  APPROVAL_NOT_FOUND: {
    exitCode: 65,
    httpStatus: 404,
    summary: "No exec approval has that id (`onebrain approvals list --all` shows them; ids are 8 characters, case does not matter).",
  },
  APPROVAL_CLOSED: {
    exitCode: 66,
    httpStatus: 409,
    summary: "The exec approval is no longer pending: it was already answered, or it expired (askFallback decided) or its run ended.",
  },
  BROWSER_DISABLED: {
    exitCode: 70,
    httpStatus: 503,
    summary: "The browser control service is off: browser.enabled is false, or no Chromium/Chrome was found (install chromium or set browser.executablePath).",
  },
  BROWSER_PROFILE_UNKNOWN: {
    exitCode: 71,
    httpStatus: 404,
    summary: "No browser profile has that name (browser.profiles and browser.defaultProfile list them).",
  },
  BROWSER_START_FAILED: {
    exitCode: 72,
    httpStatus: 502,
    summary: "The browser could not be launched, or did not answer on its CDP port within browser.startTimeoutMs (its last output lines are named).",
  },
  BROWSER_NOT_RUNNING: { exitCode: 73, httpStatus: 409, summary: "The profile's browser is not running (`onebrain browser start` starts it)." },
  BROWSER_PORT_CONFLICT: {
    exitCode: 74,
    httpStatus: 409,
    summary: "A CDP port or profile this brain would use is held by another brain or an unrecorded process, named; onebrain never kills what it did not start.",
  },
  BROWSER_TAB_NOT_FOUND: { exitCode: 75, httpStatus: 404, summary: "No open tab has that id (`onebrain browser tabs` lists them)." },
  BROWSER_REF_NOT_FOUND: {
    exitCode: 76,
    httpStatus: 404,
    summary: "No element has that ref in the tab's latest snapshot: take a new snapshot and use its refs.",
  },
  BROWSER_ACTION_FAILED: {
    exitCode: 77,
    httpStatus: 502,
    summary: "A browser action (navigate, click, type, screenshot, ...) failed or timed out; the browser's reason is named.",
  },
  BROWSER_CDP_UNREACHABLE: { exitCode: 78, httpStatus: 502, summary: "A remote profile's cdpUrl did not answer (its /json/version, or its WebSocket)." },
  BROWSER_TAB_LIMIT: { exitCode: 79, httpStatus: 409, summary: "The profile already holds browser.maxTabs tabs; close one first." },
  CRON_INVALID: {
    exitCode: 80,
    httpStatus: 400,
    summary: "A cron job cannot be created as given: its schedule, time zone, agent, session or delivery target is named with what was expected.",
  },
  CRON_NOT_FOUND: { exitCode: 81, httpStatus: 404, summary: "No cron job has that id or name (`onebrain cron list` lists them)." },
  CRON_BUSY: {
    exitCode: 82,
    httpStatus: 409,
    summary: "The job has an occurrence still running: runs of one job never overlap (wait for it, or see `onebrain cron runs JOB`).",
  },
  HOOK_TOKEN_EXISTS: {
    exitCode: 85,
    httpStatus: 409,
    summary: "`hooks token`: a hook token exists already and cannot be shown again (only its hash is kept); `--rotate` replaces it.",
  },
  HOOK_UNAUTHORIZED: {
    exitCode: 86,
    httpStatus: 401,
    summary: "A webhook without the hook token (or with a wrong one), or whose mapping's HMAC signature is missing or wrong.",
  },
  HOOK_INVALID: {
    exitCode: 87,
    httpStatus: 400,
    summary: "A webhook cannot be accepted as sent: bad JSON, a missing or wrong field, delivery target or idempotency key (named), or a token in the URL.",
  },
  HOOK_NOT_FOUND: { exitCode: 88, httpStatus: 404, summary: "No hook mapping has that path, or no webhook delivery has that run id." },
  HOOK_UNAVAILABLE: {
    exitCode: 89,
    httpStatus: 503,
    summary: "Webhooks cannot be taken now: no hook token is set (`onebrain hooks token`), a mapping's secret is missing, or the gateway is stopping.",
  },
  ALERTS_NO_TARGET: {
    exitCode: 90,
    httpStatus: 409,
    summary: "`alerts test`: no alert target can be used (alerts.targets is empty, names a channel this gateway does not run, or an unset env variable).",
  },
  WHATSAPP_LOGGED_OUT: {
    exitCode: 91,
    httpStatus: 409,
    summary: "The linked WhatsApp device was logged out (unlinked on the phone, or its session void): link it again with `onebrain channels login whatsapp`.",
  },
  WHATSAPP_LINK_FAILED: {
    exitCode: 92,
    httpStatus: 502,
    summary:
      "Linking a WhatsApp device did not finish: no phone accepted in time, WhatsApp closed the session, or a device is linked already (the reason is named).",
  },
  WHATSAPP_NOT_LINKED: { exitCode: 93, httpStatus: 409, summary: "No WhatsApp device is linked to this brain: `onebrain channels login whatsapp` links one." },
  WHATSAPP_REFUSED: { exitCode: 94, httpStatus: 403, summary: "WhatsApp refused the linked number (403: banned or restricted); see the WhatsApp app." },
  IMPORT_SOURCE_NOT_FOUND: {
    exitCode: 110,
    httpStatus: 404,
    summary:
      "`import openclaw`: no OpenClaw, Clawdbot or Moltbot state dir where it looked (--from, --profile, the *_STATE_DIR variables, ~/.openclaw ...); each place is named.",
  },
  IMPORT_SOURCE_RUNNING: {
    exitCode: 111,
    httpStatus: 409,
    summary: "`import openclaw`: the source's gateway is running (its lock names a live process, or something listens on its port); stop it first.",
  },
  IMPORT_SOURCE_UNREADABLE: {
    exitCode: 112,
    httpStatus: 500,
    summary: "`import openclaw`: a source database cannot be read (corrupt, not SQLite, or unreadable); nothing was imported.",
  },
  IMPORT_SOURCE_TOO_NEW: {
    exitCode: 113,
    httpStatus: 500,
    summary:
      "`import openclaw`: the source was written by a newer OpenClaw whose layout this onebrain does not understand (the missing table or version is named).",
  },
  IMPORT_FAILED: {
    exitCode: 114,
    httpStatus: 500,
    summary: "`import openclaw` could not finish; nothing was imported (the database import is one transaction, the config one atomic write).",
  },
  PROTOCOL_ERROR: { exitCode: 8, httpStatus: 400, summary: "A peer broke the wire protocol (bad frame, unsupported version)." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalog;

export interface ErrorOptions {
  /** Machine-readable facts for `--json` output and logs. Never put secrets here. */
  details?: Record<string, unknown>;
  /** The next step for the operator, one sentence. */
  hint?: string;
  cause?: unknown;
}

/** An error with a registered code; its exit code and HTTP status come from the registry. */
export class OnebrainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OnebrainError";
    this.code = code;
    this.details = options.details ?? {};
    this.hint = options.hint;
  }

  get exitCode(): number {
    return errorCatalog[this.code].exitCode;
  }

  get httpStatus(): number {
    return errorCatalog[this.code].httpStatus;
  }

  /** The shape printed by `--json` and sent over the wire. */
  toJSON(): { code: ErrorCode; message: string; hint?: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}), details: this.details };
  }
}

/** Raised when a start is refused because another live process owns the state-dir lock. */
export class GatewayLockError extends OnebrainError {
  constructor(message: string, options: ErrorOptions = {}) {
    super("GATEWAY_LOCK_HELD", message, options);
    this.name = "GatewayLockError";
  }
}

/** Raised for any config file problem: syntax, schema, unreadable, unknown key. */
export class ConfigError extends OnebrainError {
  constructor(
    code: "CONFIG_INVALID" | "CONFIG_SYNTAX" | "CONFIG_UNREADABLE" | "CONFIG_KEY_UNKNOWN" | "CONFIG_MISSING",
    message: string,
    options: ErrorOptions = {},
  ) {
    super(code, message, options);
    this.name = "ConfigError";
  }
}

/** True when `code` names an error of the registry (a code read from the wire or a file). */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCatalog, code);
}

/** True when `err` is one of ours with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is OnebrainError {
  return err instanceof OnebrainError && err.code === code;
}

/** Wraps anything thrown into an OnebrainError, keeping ours as they are. */
export function toOnebrainError(err: unknown): OnebrainError {
  if (err instanceof OnebrainError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new OnebrainError("INTERNAL", message, { cause: err });
}
