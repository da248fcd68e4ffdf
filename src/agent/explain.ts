/**
 * A failed reply in words for the two people who read it: the chat user (one sentence with the
 * fix, in the reply) and the operator (`status`: the last model error with its kind). A refused
 * key, an unknown model or a rejected request will fail the same way every time, so those say what
 * to change; only passing trouble (rate limits, server errors, the network) says "try again".
 * No key ever appears: messages come from MODEL_FAILED errors, already scrubbed, and URLs are
 * shown without userinfo or query.
 */
import { hasCode } from "../shared/errors.ts";
import { failureDetails, NO_CREDIT_TYPES, type ModelFailureDetails } from "./failure.ts";
import type { ProviderDescription } from "./models.ts";

/** What went wrong, in the closed set `status` shows. */
export type ModelErrorKind =
  | "key-refused"
  | "model-not-found"
  | "bad-request"
  | "proxy-refused"
  | "quota"
  | "rate-limited"
  | "server-error"
  | "timeout"
  | "network"
  | "malformed"
  | "other";

/** The last model error as `status` reports it. */
export interface ModelErrorReport {
  /** Epoch ms. */
  at: number;
  kind: ModelErrorKind;
  /** True when retrying cannot help: the config or the key must change. */
  permanent: boolean;
  /** "provider/model" of the failure explained, when known. */
  model: string | null;
  httpStatus: number | null;
  /** The error's own message (the server's words, key masked), at most 500 characters. */
  message: string;
  /** The sentence the chat user was sent. */
  reply: string;
}

type Failure = ModelFailureDetails & { message?: string };

const PERMANENT: ReadonlySet<ModelErrorKind> = new Set(["key-refused", "model-not-found", "bad-request", "proxy-refused", "quota"]);

/** The kind of one provider failure. */
export function kindOf(f: Pick<ModelFailureDetails, "kind" | "httpStatus" | "retryable" | "apiType" | "apiCode">): ModelErrorKind {
  const s = f.httpStatus;
  if (f.kind === "http" && s !== undefined) {
    if (s === 402 || NO_CREDIT_TYPES.has(f.apiType ?? "") || NO_CREDIT_TYPES.has(f.apiCode ?? "")) return "quota";
    if (s === 401 || s === 403) return "key-refused";
    if (s === 404) return "model-not-found";
    if (s === 407) return "proxy-refused";
    if (s === 429) return "rate-limited";
    if (s >= 400 && s < 500 && !f.retryable) return "bad-request";
    return "server-error";
  }
  if (f.kind === "timeout") return "timeout";
  if (f.kind === "network") return "network";
  if (f.kind === "malformed") return "malformed";
  return "other";
}

/**
 * Explains a failed reply (MODEL_FAILED from the fallback loop, or a provider's own). The failure
 * explained is the first permanent one, else the last: a refused key on the primary matters more
 * than the fallback's passing 503.
 */
export function explainFailure(err: unknown, descriptions: readonly ProviderDescription[], now: number = Date.now()): ModelErrorReport {
  const message = ((err as Error)?.message ?? String(err)).slice(0, 500);
  if (hasCode(err, "TIMEOUT"))
    return {
      at: now,
      kind: "timeout",
      permanent: false,
      model: null,
      httpStatus: null,
      message,
      reply: "The model did not answer in time. Please try again in a moment.",
    };
  const failures = (
    (failureDetails(err) ? [failureDetails(err)] : ((err as { details?: { failures?: Failure[] } })?.details?.failures ?? [])) as Failure[]
  ).filter(Boolean);
  const f = failures.find((x) => PERMANENT.has(kindOf(x))) ?? failures.at(-1);
  if (!f)
    return {
      at: now,
      kind: "other",
      permanent: false,
      model: null,
      httpStatus: null,
      message,
      reply: "The model did not answer. Please try again in a moment.",
    };
  const kind = kindOf(f);
  const d = descriptions.find((x) => x.provider === f.provider && x.model === f.model);
  return {
    at: now,
    kind,
    permanent: PERMANENT.has(kind),
    model: `${f.provider}/${f.model}`,
    httpStatus: f.httpStatus ?? null,
    message,
    reply: replyFor(kind, f, d),
  };
}

function replyFor(kind: ModelErrorKind, f: Failure, d: ProviderDescription | undefined): string {
  const ref = `${f.provider}/${f.model}`;
  const s = f.httpStatus;
  const keyAt = d?.keySource ?? `models.providers.${f.provider}.apiKey (or apiKeyEnv)`;
  const at = d ? ` at ${shownUrl(d.baseUrl)}` : "";
  switch (kind) {
    case "key-refused":
      if (d && !d.keySource) return `The model provider${at} wants an API key for ${ref} (${s}). Set models.providers.${f.provider}.apiKeyEnv (or apiKey).`;
      if (s === 403) return `The model provider refused the API key for ${ref} (403: no access). Check ${keyAt}, and that the key may use this model.`;
      return `The model provider refused the API key for ${ref} (401). Check ${keyAt}.`;
    case "model-not-found":
      return `Model '${f.model}' not found (404)${at}. Check the model id in models.primary / models.fallbacks ("${ref}") and models.providers.${f.provider}.baseUrl.`;
    case "bad-request": {
      const said = serverWords(f);
      return `The model provider rejected the request for ${ref} (${s}${said ? `: ${said}` : ""}). Check models.providers.${f.provider} and models.maxTokens.`;
    }
    case "proxy-refused":
      return `The outbound proxy refused to carry the request for ${ref} (407). Check the credentials in HTTP_PROXY / HTTPS_PROXY of the gateway's environment.`;
    case "quota":
      return `The model provider's account for ${ref} is out of credit (quota exceeded, ${s}). Add credits or check billing and the plan at the provider.`;
    case "rate-limited":
      return `The model provider is rate-limiting ${ref} (429). Please try again in a moment.`;
    case "malformed":
      if (!f.retryable)
        return `The server${at} does not answer like the ${d?.kind ?? "configured"} API for ${ref}. Check models.providers.${f.provider}.kind and baseUrl.`;
      return "The model's answer broke off. Please try again in a moment.";
    default:
      return `The model did not answer${s ? ` (HTTP ${s})` : ""}. Please try again in a moment.`;
  }
}

/** The server's own words from a failure message ("p/m: HTTP 400 Bad Request: <words> (after ...)"), short. */
function serverWords(f: Failure): string {
  const m = /HTTP \d+[^:]*: (.*)$/s.exec(f.message ?? "");
  return (m?.[1] ?? "").replace(/ \((after \d+ attempts|not retried)[^)]*\)$/, "").slice(0, 200);
}

/** A URL as it may be shown: no userinfo, no query (either may carry a secret). */
export function shownUrl(url: string): string {
  if (!URL.canParse(url)) return "(invalid URL)";
  const u = new URL(url);
  u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  return u.toString().replace(/\/$/, "");
}
