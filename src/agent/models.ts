/**
 * Which models the agent uses: the `models` config plus the environment -> an ordered list of
 * providers (primary, then fallbacks), and the fallback loop over them. With no config at all,
 * ANTHROPIC_API_KEY or OPENAI_API_KEY alone is enough; with neither, the reason says what to set.
 */
import type { Config } from "../config/schema.ts";
import { OnebrainError, hasCode } from "../shared/errors.ts";
import { maskSecret } from "../shared/redact.ts";
import { failureDetails, type ModelFailureDetails } from "./failure.ts";
import { meteredComplete } from "./metered.ts";
import type { CompletionRequest, CompletionResult, ModelProvider } from "./provider.ts";
import type { RetryClock } from "./retry.ts";
import { providerKinds, type ProviderKindName } from "./providers/registry.ts";
import { maxTokensParamFor } from "./providers/openai.ts";

/** The `models` section of the config, defaults applied. */
export type ModelsConfig = Config["models"];

interface Preset {
  kind: ProviderKindName;
  baseUrl?: string;
  keyEnv?: string;
  /** Whether the preset's own endpoint needs a key (a custom baseUrl never requires one). */
  needsKey: boolean;
  defaultModel?: string;
}

/** Provider names that work without a `models.providers` entry. */
const PRESETS: Record<string, Preset> = {
  anthropic: { kind: "anthropic", keyEnv: "ANTHROPIC_API_KEY", needsKey: true, defaultModel: "claude-sonnet-4-5" },
  // A model that still accepts `max_tokens` (OpenAI's reasoning models want max_completion_tokens).
  openai: { kind: "openai", keyEnv: "OPENAI_API_KEY", needsKey: true, defaultModel: "gpt-4.1-mini" },
  openrouter: { kind: "openai", baseUrl: "https://openrouter.ai/api/v1", keyEnv: "OPENROUTER_API_KEY", needsKey: true },
  ollama: { kind: "openai", baseUrl: "http://127.0.0.1:11434/v1", needsKey: false },
};

/** Names the providers that may be inferred from the environment alone, in order of preference. */
const INFERRED = ["anthropic", "openai"] as const;

/** One resolved provider as status and logs may show it: the key only masked. */
export interface ProviderDescription {
  ref: string;
  provider: string;
  model: string;
  kind: ProviderKindName;
  baseUrl: string;
  role: "primary" | "fallback";
  /** Masked (`sk-…xyz`), or null when no key is used. */
  apiKey: string | null;
  /** Where the key came from: a config key path or an environment variable name. */
  keySource: string | null;
}

/** The outcome of resolution: usable providers in order, and why any were skipped. */
export interface ResolvedModels {
  providers: ModelProvider[];
  descriptions: ProviderDescription[];
  /** One sentence per configured model that could not be used (missing key, unknown provider). */
  problems: string[];
  /** Null when at least one provider is usable; else what the operator must set, in one message. */
  notConfiguredReason: string | null;
  maxTokens: number;
}

/** Test seams passed through to every provider. */
export interface ResolveDeps {
  clock?: Partial<RetryClock>;
  /** Where requests for `baseUrl` really go (tests send the public APIs' URLs to the fake server). */
  route?: (baseUrl: string) => string;
}

/** Resolves config + env into providers; never throws, never returns a key value. */
export function resolveModels(config: ModelsConfig, env: NodeJS.ProcessEnv = process.env, deps: ResolveDeps = {}): ResolvedModels {
  const problems: string[] = [];
  const refs: { ref: string; from: string }[] = [];
  if (config.primary) refs.push({ ref: config.primary, from: "models.primary" });
  else {
    for (const name of INFERRED) {
      if (keyFor(name, config, env).key) refs.push({ ref: `${name}/${PRESETS[name]!.defaultModel}`, from: PRESETS[name]!.keyEnv! });
    }
  }
  config.fallbacks.forEach((ref, i) => refs.push({ ref, from: `models.fallbacks[${i}]` }));

  const providers: ModelProvider[] = [];
  const descriptions: ProviderDescription[] = [];
  const seen = new Set<string>();
  for (const { ref, from } of refs) {
    if (seen.has(ref)) continue;
    seen.add(ref);
    const slash = ref.indexOf("/");
    const name = ref.slice(0, slash);
    const model = ref.slice(slash + 1);
    const entry = config.providers[name];
    const preset = PRESETS[name];
    if (!entry && !preset) {
      problems.push(
        `${from} names provider "${name}", which is not built in (${Object.keys(PRESETS).join(", ")}); add models.providers.${name} with its baseUrl`,
      );
      continue;
    }
    const kind: ProviderKindName = entry?.kind ?? preset?.kind ?? (name === "anthropic" ? "anthropic" : "openai");
    const baseUrl = entry?.baseUrl ?? preset?.baseUrl ?? providerKinds[kind].defaultBaseUrl;
    const { key, source, problem } = keyFor(name, config, env);
    const needsKey = entry?.baseUrl === undefined && (preset ? preset.needsKey : true);
    if (problem || (needsKey && !key)) {
      problems.push(
        `${ref} (${from}) has no API key: ${problem ?? `set ${preset?.keyEnv ? `${preset.keyEnv}, ` : ""}models.providers.${name}.apiKey or models.providers.${name}.apiKeyEnv`}`,
      );
      continue;
    }
    const role = providers.length === 0 ? "primary" : "fallback";
    providers.push(
      providerKinds[kind].create({
        name,
        model,
        baseUrl: deps.route ? deps.route(baseUrl) : baseUrl,
        ...(key ? { apiKey: key } : {}),
        env,
        // Decided from the configured baseUrl, not the routed one (tests route api.openai.com to a fake).
        ...(kind === "openai" ? { maxTokensParam: entry?.maxTokensParam ?? maxTokensParamFor(baseUrl) } : {}),
        retry: { retries: config.retries, requestTimeoutMs: config.requestTimeoutSeconds * 1000 },
        ...(deps.clock ? { clock: deps.clock } : {}),
      }),
    );
    descriptions.push({ ref, provider: name, model, kind, baseUrl, role, apiKey: maskSecret(key), keySource: (key && source) || null });
  }
  return { providers, descriptions, problems, notConfiguredReason: providers.length ? null : notConfigured(config, problems), maxTokens: config.maxTokens };
}

/** One line for `status`: "anthropic/claude-sonnet-4-5 (key sk-…xyz from ANTHROPIC_API_KEY)", or "not configured". */
export function describeModels(resolved: ResolvedModels): string {
  if (resolved.providers.length === 0) return "not configured";
  return resolved.descriptions
    .map((d) => `${d.role === "fallback" ? "fallback " : ""}${d.ref} (${d.apiKey ? `key ${d.apiKey} from ${d.keySource}` : `no key, ${d.baseUrl}`})`)
    .join(", ");
}

/** Tries each provider in order (each with its own retries); MODEL_FAILED naming every attempt if all fail. */
export async function completeWithFallback(providers: readonly ModelProvider[], req: CompletionRequest): Promise<CompletionResult> {
  if (providers.length === 0) {
    throw new OnebrainError("MODEL_NOT_CONFIGURED", "No model provider is configured", {
      hint: "Set ANTHROPIC_API_KEY or OPENAI_API_KEY, or models.primary in the config.",
    });
  }
  let streamed = false;
  const onDelta = req.onDelta;
  const tracked: CompletionRequest = onDelta ? { ...req, onDelta: (t) => ((streamed = true), onDelta(t)) } : req;
  const failures: (ModelFailureDetails & { message: string })[] = [];
  let last: OnebrainError | undefined;
  for (const provider of providers) {
    try {
      return await meteredComplete(provider, tracked);
    } catch (err) {
      const d = failureDetails(err);
      // A cancelled or timed-out run ends here: the caller has stopped waiting for any model.
      if (!d || d.kind === "aborted" || hasCode(err, "TIMEOUT") || req.signal.aborted) throw err;
      last = err as OnebrainError;
      failures.push({ ...d, message: last.message });
      // The listener already holds part of this reply (or the model began its tool calls); another
      // model's reply would not continue it.
      if (d.streamed) streamed = true;
      if (streamed) break;
    }
  }
  const skipped = providers.length - failures.length;
  const tail = skipped > 0 ? ` (${skipped} fallback(s) not tried: part of the reply was already streamed)` : "";
  throw new OnebrainError("MODEL_FAILED", `Every model failed: ${failures.map((f) => f.message).join("; ")}${tail}`, {
    details: { failures, streamed },
    hint:
      last?.hint ??
      (providers.length === 1 ? "Add models.fallbacks so another model can answer when this one fails." : "Check each provider's status and key."),
    cause: last,
  });
}

function keyFor(name: string, config: ModelsConfig, env: NodeJS.ProcessEnv): { key?: string; source?: string; problem?: string } {
  const entry = config.providers[name];
  if (entry?.apiKey) return { key: entry.apiKey, source: `models.providers.${name}.apiKey` };
  if (entry?.apiKeyEnv) {
    const key = env[entry.apiKeyEnv];
    return key
      ? { key, source: entry.apiKeyEnv }
      : { problem: `models.providers.${name}.apiKeyEnv names ${entry.apiKeyEnv}, which is not set in the gateway's environment` };
  }
  const keyEnv = PRESETS[name]?.keyEnv;
  const key = keyEnv ? env[keyEnv] : undefined;
  return key ? { key, source: keyEnv! } : {};
}

function notConfigured(config: ModelsConfig, problems: string[]): string {
  if (problems.length) return `No usable model: ${problems.join("; ")}.`;
  const named = Object.keys(config.providers);
  const extra = named.length
    ? ` models.providers has ${named.map((n) => `"${n}"`).join(", ")}, but no models.primary names a model of it (for example "${named[0]}/MODEL").`
    : "";
  return `No model is configured: set ANTHROPIC_API_KEY or OPENAI_API_KEY in the gateway's environment, or models.primary in the config (for example "ollama/llama3.2" for a local Ollama).${extra}`;
}
