import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import fs from "node:fs";
import { closeLogger, createLogger } from "../../src/logging/logger.ts";
import { LogThrottle } from "../../src/logging/throttle.ts";
import { tmpDir } from "../helpers/gateway.ts";

function fileLogger() {
  const file = path.join(tmpDir("onebrain-throttle-"), "gateway.log");
  const logger = createLogger({ file, fileLevel: "info", consoleLevel: "silent", consoleStyle: "compact", maxFileBytes: 1 << 20, maxFiles: 2, console: null });
  const records = () =>
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
  return { logger, records };
}

test("logs the first lines of a cause per window, then one summary line with the count and a sample", async () => {
  const { logger, records } = fileLogger();
  let now = 1_000_000;
  const throttle = new LogThrottle(logger, { perWindow: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 1000; i++) throttle.log("warn", { n: i }, "refused WebSocket from a foreign origin");
  throttle.log("warn", { client: "198.51.100.1" }, "auth failed");
  now += 60_000;
  throttle.log("warn", { n: 1000 }, "refused WebSocket from a foreign origin");
  closeLogger(logger);
  const lines = records().map((r) => [r.msg, r.n ?? r.suppressed ?? r.client]);
  assert.deepEqual(lines, [
    ["refused WebSocket from a foreign origin", 0],
    ["refused WebSocket from a foreign origin", 1],
    ["refused WebSocket from a foreign origin", 2],
    ["auth failed", "198.51.100.1"],
    ["suppressed 997 similar warnings: refused WebSocket from a foreign origin", 997],
    ["refused WebSocket from a foreign origin", 1000],
  ]);
  assert.deepEqual(records()[4]!.last, { n: 999 }, "the summary carries the last suppressed line's fields");
});

test("the summary is written when the window ends even if the flood stopped, and at flushAll", async () => {
  const { logger, records } = fileLogger();
  const throttle = new LogThrottle(logger, { perWindow: 1, windowMs: 50 });
  for (let i = 0; i < 5; i++) throttle.log("warn", {}, "closing slow consumer");
  for (let i = 0; i < 3; i++) throttle.log("warn", {}, "auth failed");
  await new Promise((r) => setTimeout(r, 120));
  for (let i = 0; i < 3; i++) throttle.log("warn", {}, "auth failed");
  throttle.flushAll();
  closeLogger(logger);
  const msgs = records().map((r) => r.msg);
  // The two windows end in the same millisecond or two: their summaries may come in either order.
  const windowEnd = msgs.slice(2, 4).sort((a: string, b: string) => a.localeCompare(b));
  assert.deepEqual(
    [...msgs.slice(0, 2), ...windowEnd, ...msgs.slice(4)],
    [
      "closing slow consumer",
      "auth failed",
      "suppressed 2 similar warnings: auth failed",
      "suppressed 4 similar warnings: closing slow consumer",
      "auth failed",
      "suppressed 2 similar warnings: auth failed",
    ],
  );
});

test("no logged string is longer than 8 KiB, whatever reaches the logger", async () => {
  const { logger, records } = fileLogger();
  logger.warn({ origin: "x".repeat(100_000), nested: { ua: "y".repeat(20_000) } }, "huge");
  closeLogger(logger);
  const [r] = records();
  assert.ok(r!.origin.length < 8300, `origin logged with ${r!.origin.length} chars`);
  assert.match(r!.origin, /…\[91808 more chars\]$/);
  assert.ok(r!.nested.ua.length < 8300);
});
