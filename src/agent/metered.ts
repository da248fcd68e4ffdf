/** A model call measured for /metrics: how long the whole reply took, how it ended, the tokens it used. */
import { metrics } from "../metrics/instruments.ts";
import type { CompletionRequest, CompletionResult, ModelProvider } from "./provider.ts";

/** Calls `provider.complete(req)`, recording its duration, outcome and reported tokens under "provider/model". */
export async function meteredComplete(provider: ModelProvider, req: CompletionRequest, now: () => number = () => performance.now()): Promise<CompletionResult> {
  const model = `${provider.provider}/${provider.model}`;
  const start = now();
  try {
    const r = await provider.complete(req);
    metrics.modelDuration.observe({ model, outcome: "ok" }, (now() - start) / 1000);
    if (r.usage) {
      metrics.modelTokens.inc({ model, direction: "input" }, r.usage.inputTokens);
      metrics.modelTokens.inc({ model, direction: "output" }, r.usage.outputTokens);
    }
    return r;
  } catch (err) {
    // A cancel or the run's timeout ended the wait; a model that failed on its own is an error.
    const outcome = req.signal.aborted && (req.signal.reason as Error | undefined)?.name !== "TimeoutError" ? "aborted" : "error";
    metrics.modelDuration.observe({ model, outcome }, (now() - start) / 1000);
    throw err;
  }
}
