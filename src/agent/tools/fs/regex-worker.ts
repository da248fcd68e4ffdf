/**
 * Runs a model's regular expression where it cannot hurt the gateway. JavaScript regexes backtrack,
 * and a pattern like `(a+)+$` can run for hours on one line while blocking the event loop, with no
 * timeout in the language. So regex grep matches in a worker thread with a time limit per file:
 * a worker past its limit (or whose run is cancelled) is terminated, which V8 does even in the
 * middle of a match. Literal searches need none of this and run in place with the same scanner.
 */
import { Worker } from "node:worker_threads";

/** One matching line: its 1-based number and its text (cut to the scanned length). */
export type Hit = [line: number, text: string];

/**
 * Lines of `text` that `test` accepts, at most `limit`, each looked at up to `maxLine` characters.
 * Self-contained (no outside names): its source is also what the worker runs.
 */
export function scanLines(text: string, test: (line: string) => boolean, limit: number, maxLine: number): Hit[] {
  const hits: Hit[] = [];
  let start = 0;
  for (let n = 1; start < text.length && hits.length < limit; n++) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    let line = text.slice(start, Math.min(end, start + maxLine));
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (test(line)) hits.push([n, line]);
    start = end + 1;
  }
  return hits;
}

/** The worker's body. Self-contained like scanLines: it runs from its source text. */
function matcherMain(): void {
  const wt = process.getBuiltinModule("node:worker_threads");
  const data = wt.workerData as { source: string; flags: string; maxLine: number };
  const re = new RegExp(data.source, data.flags);
  wt.parentPort?.on("message", (m: { text: string; limit: number }) => {
    wt.parentPort?.postMessage(scanLines(m.text, (line) => re.test(line), m.limit, data.maxLine));
  });
}

// Function sources, not a file: the bundle has no separate worker file to point at, and both the
// type-stripped sources and the bundled ones are plain JavaScript.
const WORKER_SOURCE = `${scanLines.toString()}\n(${matcherMain.toString()})();`;

/** What a match request came to. */
export type MatchOutcome = { hits: Hit[] } | { failed: "timeout" | "cancelled" | "crashed"; detail?: string };

/** A regex matcher backed by one worker, started at the first request; close it when done. */
export class RegexMatcher {
  private worker: Worker | null = null;
  private readonly source: string;
  private readonly flags: string;
  private readonly maxLine: number;
  private readonly timeoutMs: number;

  constructor(source: string, flags: string, maxLine: number, timeoutMs: number) {
    this.source = source;
    this.flags = flags;
    this.maxLine = maxLine;
    this.timeoutMs = timeoutMs;
  }

  /** Matching lines of `text`, at most `limit`; a timeout or cancel terminates the worker. */
  match(text: string, limit: number, signal: AbortSignal): Promise<MatchOutcome> {
    if (signal.aborted) return Promise.resolve({ failed: "cancelled" });
    const worker = (this.worker ??= new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { source: this.source, flags: this.flags, maxLine: this.maxLine },
      // A match holds one file's text and its hits; anything near these limits is a runaway.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    }));
    return new Promise((resolve) => {
      const finish = (outcome: MatchOutcome): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        if ("failed" in outcome) this.close();
        resolve(outcome);
      };
      const onMessage = (hits: Hit[]): void => finish({ hits });
      const onError = (err: Error): void => finish({ failed: "crashed", detail: err.message });
      const onExit = (): void => finish({ failed: "crashed", detail: "the matcher stopped" });
      const onAbort = (): void => finish({ failed: "cancelled" });
      const timer = setTimeout(() => finish({ failed: "timeout" }), this.timeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.postMessage({ text, limit });
    });
  }

  /** Terminates the worker (at once, even mid-match). */
  close(): void {
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
  }
}
