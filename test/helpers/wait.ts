/** Waiting in tests: a plain sleep, and polling until a condition holds (with what was awaited in the error). */

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every 100 ms until it returns something truthy; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | null | false | void | Promise<T | undefined | null | false | void>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
