/**
 * The registry of wire formats: one factory per `models.providers.NAME.kind`. A new format is a
 * file in this folder, one line here, and a pass of test/agent/provider-contract.test.ts.
 */
import type { ModelProvider } from "../provider.ts";
import { ANTHROPIC_BASE_URL, createAnthropicProvider } from "./anthropic.ts";
import { OPENAI_BASE_URL, createOpenAIProvider } from "./openai.ts";
import type { ProviderOptions } from "./http.ts";

export type { ProviderOptions } from "./http.ts";

/** One wire format: how to build a provider, and where its public API lives. */
export interface ProviderKind {
  create(opts: ProviderOptions): ModelProvider;
  defaultBaseUrl: string;
}

/** Every wire format, by the `kind` the config names. */
export const providerKinds = {
  anthropic: { create: createAnthropicProvider, defaultBaseUrl: ANTHROPIC_BASE_URL },
  openai: { create: createOpenAIProvider, defaultBaseUrl: OPENAI_BASE_URL },
} as const satisfies Record<string, ProviderKind>;

/** A `kind` value of the config. */
export type ProviderKindName = keyof typeof providerKinds;

/** Builds a provider of the given wire format. */
export function createProvider(kind: ProviderKindName, opts: ProviderOptions): ModelProvider {
  return providerKinds[kind].create(opts);
}
