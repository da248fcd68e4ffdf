/**
 * Step 2: the model provider and its key. The key goes into the config (0600) as
 * `models.providers.NAME.apiKey`, or the config names the environment variable that will hold
 * it (`apiKeyEnv`); it is never echoed, printed or logged, only shown masked.
 */
import fs from "node:fs";
import { setConfigValue } from "../../config/edit.ts";
import { loadConfig } from "../../config/load.ts";
import { maskSecret } from "../../shared/redact.ts";
import { checkFlagChoice, checkFlagText, flagError } from "../prompt.ts";
import type { OnboardContext, OnboardStep } from "../step.ts";

const PROVIDERS = ["anthropic", "openai", "openai-compatible", "skip"] as const;
type ProviderChoice = (typeof PROVIDERS)[number];

/** What the model step configured. */
export interface ModelResult {
  provider: ProviderChoice;
  /** `models.primary`, e.g. "anthropic/claude-sonnet-4-5"; null when skipped. */
  primary: string | null;
  baseUrl: string | null;
  /** Where the key comes from: "config" (stored, masked here), an env var name, or null (none). */
  keySource: string | null;
  key: string | null;
}

const DEFAULT_MODEL: Record<string, string> = { anthropic: "claude-sonnet-4-5", openai: "gpt-4.1-mini" };
const KEY_ENV: Record<string, string> = { anthropic: "ANTHROPIC_API_KEY", openai: "OPENAI_API_KEY" };

const isHttpUrl = (v: string) =>
  URL.canParse(v) && /^https?:$/.test(new URL(v).protocol) ? null : "expected an http(s) URL such as http://127.0.0.1:11434/v1";
const isName = (v: string) => (/^[A-Za-z0-9_.-]+$/.test(v) ? null : "expected letters, digits, '.', '_' or '-'");
const isModelId = (v: string) => (/^\S+$/.test(v) ? null : "expected a model id without spaces, such as llama3.2");
const isEnvName = (v: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? null : "expected an environment variable name such as MY_API_KEY");

function defaultProvider(env: NodeJS.ProcessEnv): ProviderChoice {
  if (env.ANTHROPIC_API_KEY) return "anthropic";
  if (env.OPENAI_API_KEY) return "openai";
  return "anthropic";
}

/** The key question: a flag, else hidden input (interactive), else the provider's usual env var. */
async function askKey(ctx: OnboardContext, provider: ProviderChoice, name: string): Promise<{ apiKey?: string; apiKeyEnv?: string }> {
  if (ctx.flags.apiKeyEnv !== undefined) {
    return { apiKeyEnv: await ctx.prompt.text({ question: "API key variable", flag: "--api-key-env", preset: ctx.flags.apiKeyEnv, validate: isEnvName }) };
  }
  const usual = KEY_ENV[provider];
  const skipHint = usual ? `Enter to skip: the gateway then reads ${usual}` : "Enter if the server needs none";
  const key = await ctx.prompt.secret({ question: `API key for ${name} (input hidden; ${skipHint})`, flag: "--api-key", preset: ctx.flags.apiKey });
  return key ? { apiKey: key } : {};
}

/** Asks for provider, model and key, and writes them into the config. */
export const modelStep: OnboardStep = {
  id: "model",
  title: "Model provider",
  checkFlags(f, interactive) {
    if (f.provider !== undefined) checkFlagChoice("--provider", f.provider, PROVIDERS);
    if (f.providerName !== undefined) checkFlagText("--provider-name", f.providerName, isName);
    if (f.baseUrl !== undefined) checkFlagText("--base-url", f.baseUrl, isHttpUrl);
    if (f.model !== undefined) checkFlagText("--model", f.model, isModelId);
    if (f.apiKeyEnv !== undefined) checkFlagText("--api-key-env", f.apiKeyEnv, isEnvName);
    if (f.apiKey !== undefined && f.apiKeyEnv !== undefined) throw flagError("Give --api-key or --api-key-env, not both", "--api-key");
    if (!interactive && f.provider === "openai-compatible" && f.model === undefined)
      throw flagError("--model is required with --provider openai-compatible (there is no usual model to default to)", "--model");
  },
  async run(ctx): Promise<ModelResult> {
    const p = ctx.prompt;
    const provider = await p.choose<ProviderChoice>({
      question: "Which model provider answers?",
      flag: "--provider",
      preset: ctx.flags.provider as ProviderChoice | undefined,
      default: defaultProvider(ctx.env),
      choices: [
        { value: "anthropic", label: "Anthropic (Claude)" },
        { value: "openai", label: "OpenAI" },
        { value: "openai-compatible", label: "An OpenAI-compatible server (Ollama, vLLM, LM Studio, OpenRouter, ...)" },
        { value: "skip", label: "Skip for now (ANTHROPIC_API_KEY or OPENAI_API_KEY in the gateway's environment also work)" },
      ],
    });
    if (provider === "skip") {
      p.say('Skipped. Later: `onebrain onboard` again, or set models.primary and a key (docs/config.md, "Models").');
      return { provider, primary: null, baseUrl: null, keySource: null, key: null };
    }
    const compatible = provider === "openai-compatible";
    const name = compatible
      ? await p.text({
          question: "Name for this provider (used in model names: NAME/model)",
          flag: "--provider-name",
          preset: ctx.flags.providerName,
          default: "local",
          validate: isName,
        })
      : provider;
    const baseUrl = compatible
      ? await p.text({
          question: "Base URL of its OpenAI-compatible API",
          flag: "--base-url",
          preset: ctx.flags.baseUrl,
          default: "http://127.0.0.1:11434/v1",
          validate: isHttpUrl,
        })
      : ctx.flags.baseUrl !== undefined
        ? await p.text({ question: "Base URL", flag: "--base-url", preset: ctx.flags.baseUrl, validate: isHttpUrl })
        : "";
    const model = await p.text({
      question: "Model",
      flag: "--model",
      preset: ctx.flags.model,
      default: DEFAULT_MODEL[provider],
      required: true,
      validate: isModelId,
    });
    const key = await askKey(ctx, provider, name);

    const file = ctx.paths.configPath;
    const existing =
      (loadConfig(file).raw as { models?: { providers?: Record<string, Record<string, unknown>> } } | undefined)?.models?.providers?.[name] ?? {};
    const entry: Record<string, unknown> = { ...existing };
    if (compatible) entry.kind = "openai";
    if (baseUrl) entry.baseUrl = baseUrl;
    // A key and a key variable would compete (the stored key wins); keep only the one just chosen.
    if (key.apiKey) {
      entry.apiKey = key.apiKey;
      delete entry.apiKeyEnv;
    } else if (key.apiKeyEnv) {
      entry.apiKeyEnv = key.apiKeyEnv;
      delete entry.apiKey;
    }
    if (Object.keys(entry).length) setConfigValue(file, `models.providers.${name}`, entry);
    const primary = `${name}/${model}`;
    setConfigValue(file, "models.primary", primary);
    if (key.apiKey) fs.chmodSync(fs.realpathSync(file), 0o600); // a key in the file: owner only, whatever the mode was

    let keySource: string | null = null;
    if (entry.apiKey) keySource = "config";
    else if (typeof entry.apiKeyEnv === "string" && entry.apiKeyEnv) keySource = entry.apiKeyEnv;
    else if (KEY_ENV[provider]) keySource = KEY_ENV[provider]!;
    const shownKey = typeof entry.apiKey === "string" ? maskSecret(entry.apiKey) : null;
    p.say(`Model: ${primary}${baseUrl ? ` at ${baseUrl}` : ""}.`);
    if (keySource === "config") p.say(`Key: ${shownKey} (stored in ${file}, mode 0600).`);
    else if (keySource) {
      p.say(
        `Key: read from ${keySource} in the gateway's environment.${ctx.env[keySource] ? "" : ` It is not set in this shell: set it where the gateway runs (its service or container).`}`,
      );
    } else p.say("Key: none (a server at a custom URL often needs none).");
    return { provider, primary, baseUrl: baseUrl || null, keySource, key: shownKey };
  },
};
