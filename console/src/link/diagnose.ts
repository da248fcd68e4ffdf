/**
 * Turns a failed connection attempt into one of the banner states of docs/console.md. Two kinds
 * of failure: before the socket opened (the browser gives no reason, so we ask the gateway's
 * `/api/ws-check` what it saw of the attempt), and a close after it opened (the close code and
 * the handshake's error frame say why).
 */
import { closeCodes } from "../../../src/protocol/codes.ts";

/** Every state the connection banner can show. */
export type BannerState =
  | "connecting"
  | "connected"
  | "reconnecting"
  | "sign-in"
  | "auth-failed"
  | "replaced"
  | "proxy-no-upgrade"
  | "unreachable"
  | "proxy-error"
  | "refused";

/** What to do after a failure: back off and retry, or wait for the operator. */
export type RetryPolicy = { kind: "backoff"; minDelayMs?: number } | { kind: "manual" };

export interface Diagnosis {
  state: BannerState;
  /** One sentence for the banner, saying what broke. */
  detail: string;
  retry: RetryPolicy;
  /** The HTTP status a proxy or the gateway answered with, when there was one. */
  httpStatus?: number;
  /** A gateway restart explains it: after a working link this still reads as "reconnecting". */
  transient?: boolean;
}

/** What `/api/ws-check?attempt=ID` answered: a network error, or an HTTP status and its body (parsed JSON, or undefined when not JSON). */
export type CheckAnswer = { kind: "network-error"; message: string } | { kind: "http"; status: number; body: unknown };

/** The `res.error` of a refused `connect`, when the server sent one before closing. */
export interface WireError {
  code: string;
  message: string;
  retryAfterMs?: number;
}

interface WsCheckBody {
  seen: boolean;
  upgraded: boolean;
  refused: { status: number; reason: string } | null;
}

const BACKOFF: RetryPolicy = { kind: "backoff" };

function isCheckBody(v: unknown): v is WsCheckBody {
  const b = v as Partial<WsCheckBody> | null;
  return typeof b === "object" && b !== null && typeof b.seen === "boolean" && typeof b.upgraded === "boolean";
}

/** Why the gateway refused an upgrade, and whether retrying can help (a foreign origin never will). */
function refusal(status: number, reason: string): Diagnosis {
  const why =
    status === 403
      ? "this page's origin is not allowed (add it to gateway.allowedOrigins)"
      : status === 429
        ? "too many failed sign-in attempts from this address; it will let you in again shortly"
        : status === 503
          ? "the gateway is shutting down"
          : reason || `HTTP ${status}`;
  return { state: "refused", detail: `The gateway refused the connection: ${why}.`, retry: status === 403 ? { kind: "manual" } : BACKOFF, httpStatus: status };
}

/** Diagnoses an attempt that failed before the socket opened, from the `/api/ws-check` answer. */
export function diagnoseCheck(answer: CheckAnswer): Diagnosis {
  if (answer.kind === "network-error") {
    return { state: "unreachable", detail: "Nothing answered: the gateway is down or the network is unreachable.", retry: BACKOFF, transient: true };
  }
  const { status, body } = answer;
  // A non-2xx or non-JSON answer did not come from a gateway that knows the attempt: a proxy spoke for it.
  if (status < 200 || status > 299 || !isCheckBody(body)) {
    return { state: "proxy-error", detail: `A proxy answered instead of the gateway (HTTP ${status}).`, retry: BACKOFF, httpStatus: status };
  }
  if (body.refused) return refusal(body.refused.status, body.refused.reason);
  if (!body.seen) {
    return {
      state: "unreachable",
      detail: "The gateway answers, but the WebSocket request never reached it: a proxy or the network blocked it.",
      retry: BACKOFF,
    };
  }
  if (!body.upgraded) {
    return {
      state: "proxy-no-upgrade",
      detail: "A reverse proxy passed the WebSocket request on as plain HTTP: it does not forward the Upgrade and Connection headers.",
      retry: { kind: "manual" },
    };
  }
  // The gateway upgraded it, yet the browser saw it fail: it dropped straight away (a restart, say).
  return { state: "reconnecting", detail: "The gateway accepted the connection, but it dropped at once.", retry: BACKOFF };
}

/**
 * What each close code means, in words (RFC 6455 section 7.4.1 and docs/protocol.md). A code is
 * never shown alone: it follows its sentence as "(close code N)", for whoever reads the logs.
 */
const CLOSE_SENTENCES: Record<number, string> = {
  1000: "The gateway ended the connection normally.",
  [closeCodes.GOING_AWAY]: "The gateway is restarting or shutting down.",
  [closeCodes.PROTOCOL_ERROR]: "The gateway could not read a frame from this console (a protocol error).",
  1003: "The gateway received a kind of data it does not accept.",
  1005: "The connection ended without a reason given.",
  1006: "The connection was cut off without a closing handshake: the gateway stopped abruptly or the network dropped.",
  [closeCodes.INVALID_PAYLOAD]: "The gateway received a message that was not valid JSON or UTF-8.",
  [closeCodes.POLICY]: "The gateway closed the connection because a message broke its rules (such as a request before connect).",
  [closeCodes.TOO_BIG]: "The gateway received a message larger than it accepts.",
  1010: "The browser needed a WebSocket extension that the gateway did not offer.",
  1011: "The gateway hit an unexpected error and closed the connection.",
  1012: "The gateway or a proxy in front of it is restarting.",
  1013: "The server is overloaded for now: try again later.",
  1014: "A proxy in front of the gateway got a bad answer from it.",
  1015: "The secure connection could not be set up (the TLS handshake failed).",
  [closeCodes.HANDSHAKE_TIMEOUT]: "The handshake took too long.",
  [closeCodes.HEARTBEAT_TIMEOUT]: "The gateway heard nothing from this tab for too long (no answer to its pings).",
  [closeCodes.SLOW_CONSUMER]: "The gateway dropped this tab for reading too slowly.",
};

/** The sentence for a close code (an unknown one with the server's reason, if it gave one), and the code as a footnote. */
export function closeSentence(code: number, reason: string): string {
  const text = CLOSE_SENTENCES[code] ?? `The connection closed for a reason this console does not know${reason ? `: ${reason}` : ""}.`;
  return `${text} (close code ${code})`;
}

/** Diagnoses a close after the socket opened, from its code and the `connect` error frame if one came. */
export function diagnoseClose(code: number, reason: string, error: WireError | null): Diagnosis {
  const said = error?.message ?? reason;
  // No secret was sent (a first visit): asking for one is not an error.
  if (error?.code === "AUTH_REQUIRED") return { state: "sign-in", detail: "This gateway needs a token or password.", retry: { kind: "manual" } };
  if (code === closeCodes.AUTH_FAILED || error?.code === "AUTH_FAILED") {
    return { state: "auth-failed", detail: "The gateway refused the token or password.", retry: { kind: "manual" } };
  }
  if (code === closeCodes.CREDENTIALS_ROTATED) {
    return { state: "auth-failed", detail: "The gateway's token or password was changed: enter the new one.", retry: { kind: "manual" } };
  }
  if (code === closeCodes.PROTOCOL_UNSUPPORTED || error?.code === "PROTOCOL_UNSUPPORTED") {
    return {
      state: "refused",
      detail: `The gateway does not speak this console's protocol version${said ? ` (${said})` : ""}: reload the page, or update the gateway.`,
      retry: { kind: "manual" },
    };
  }
  if (code === closeCodes.RATE_LIMITED || error?.code === "RATE_LIMITED") {
    const retry: RetryPolicy = error?.retryAfterMs !== undefined ? { kind: "backoff", minDelayMs: error.retryAfterMs } : BACKOFF;
    return { state: "refused", detail: "Too many failed sign-in attempts from this address: waiting before trying again.", retry };
  }
  return { state: "reconnecting", detail: closeSentence(code, reason), retry: BACKOFF };
}
