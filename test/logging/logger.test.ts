import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { once } from "node:events";
import { closeLogger, createLogger, getLevels, setLevels, type LoggerOptions } from "../../src/logging/logger.ts";
import { OnebrainError, hasCode } from "../../src/shared/errors.ts";
import { tmpDir } from "../helpers/gateway.ts";

function setup(overrides: Partial<LoggerOptions> = {}) {
  const dir = tmpDir("onebrain-logger-");
  const file = path.join(dir, "logs", "gateway.log");
  const chunks: string[] = [];
  const consoleOut = { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream;
  const logger = createLogger({
    file,
    fileLevel: "info",
    consoleLevel: "info",
    consoleStyle: "compact",
    maxFileBytes: 1 << 20,
    maxFiles: 2,
    console: consoleOut,
    ...overrides,
  });
  const fileText = () => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
  const records = () =>
    fileText()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { dir, file, logger, chunks, fileText, records, consoleText: () => chunks.join("") };
}

test("writes JSON lines to the file and rendered lines to the console", () => {
  const { logger, records, consoleText } = setup();
  logger.info({ port: 18789 }, "gateway listening");
  closeLogger(logger);
  const [rec] = records();
  assert.equal(rec?.msg, "gateway listening");
  assert.equal(rec?.port, 18789);
  assert.equal(rec?.level, 30);
  assert.equal(rec?.pid, process.pid);
  assert.equal(typeof rec?.time, "string");
  assert.equal(consoleText(), "info gateway listening port=18789\n");
});

test("never writes a token value to the file or the console", () => {
  const secret = "sk-live-0123456789abcdef-SECRET";
  const { logger, fileText, consoleText, records } = setup({ consoleStyle: "json", base: { pid: 1, apiKey: secret } });
  const err = Object.assign(new OnebrainError("AUTH_FAILED", "refused", { details: { token: secret } }), { password: secret });
  const child = logger.child({ authorization: `Bearer ${secret}` });
  child.info({ token: secret, cfg: { gateway: { auth: { password: secret } } }, list: [{ apiKey: secret }] }, "nested");
  child.error({ err }, "error with secret fields");
  child.warn({ secret: { value: secret, inner: [secret] } }, "everything under a secret key");
  child.child({ cookie: secret }).info("grandchild");
  logger.setBindings({ sessionToken: secret });
  logger.info("rebound");
  closeLogger(logger);
  assert.equal(records().length, 5);
  for (const [where, text] of [
    ["file", fileText()],
    ["console", consoleText()],
  ] as const) {
    assert.ok(!text.includes("0123456789abcdef"), `${where} leaked the secret:\n${text}`);
  }
  const first = records()[0]!;
  assert.equal(first.token, "sk-…RET");
  assert.equal(first.authorization, "Bea…RET");
  assert.equal(first.apiKey, "sk-…RET");
});

test("keeps a logged error's message, code and stack", () => {
  const { logger, records } = setup();
  const err = new OnebrainError("CONFIG_INVALID", "gateway.port: expected an integer", { details: { key: "gateway.port" } });
  logger.error({ err }, "reload failed");
  logger.error(new Error("plain"));
  const sys = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  logger.warn({ ctx: { cause: sys } }, "nested error");
  closeLogger(logger);
  const [a, b, c] = records() as Array<Record<string, any>>;
  assert.equal(a?.err.message, "gateway.port: expected an integer");
  assert.equal(a?.err.code, "CONFIG_INVALID");
  assert.equal(a?.err.type, "OnebrainError");
  assert.deepEqual(a?.err.details, { key: "gateway.port" });
  assert.match(a?.err.stack, /^OnebrainError: gateway\.port/);
  assert.match(a?.err.stack, /logger\.test\.ts/);
  assert.equal(b?.msg, "plain");
  assert.equal(b?.err.type, "Error");
  assert.equal(c?.ctx.cause.code, "EACCES");
  assert.equal(c?.ctx.cause.message, "EACCES: permission denied");
});

test("setLevels changes what reaches the file at once, for children too", () => {
  const { logger, records } = setup({ consoleLevel: "silent" });
  const child = logger.child({ module: "agent" });
  child.debug("before");
  setLevels(logger, { fileLevel: "debug" });
  child.debug("after");
  logger.trace("still below");
  setLevels(logger, { fileLevel: "error" });
  child.warn("filtered again");
  child.error("kept");
  closeLogger(logger);
  assert.deepEqual(
    records().map((r) => r.msg),
    ["after", "kept"],
  );
});

test("setLevels changes what reaches the console at once without touching the file", () => {
  const { logger, records, consoleText } = setup({ fileLevel: "info", consoleLevel: "warn" });
  logger.info("file only");
  setLevels(logger, { consoleLevel: "debug" });
  logger.debug("console only");
  logger.info("both");
  assert.deepEqual(getLevels(logger), { fileLevel: "info", consoleLevel: "debug" });
  closeLogger(logger);
  assert.deepEqual(
    records().map((r) => r.msg),
    ["file only", "both"],
  );
  assert.equal(consoleText(), "debug console only\ninfo both\n");
});

test("silent turns either output off, and setLevels turns it back on", () => {
  const { logger, records, consoleText } = setup({ fileLevel: "silent", consoleLevel: "silent" });
  logger.fatal("nowhere");
  assert.equal(logger.level, "silent");
  setLevels(logger, { fileLevel: "info" });
  logger.info("file");
  setLevels(logger, { fileLevel: "silent", consoleLevel: "info" });
  logger.info("console");
  closeLogger(logger);
  assert.deepEqual(
    records().map((r) => r.msg),
    ["file"],
  );
  assert.equal(consoleText(), "info console\n");
  assert.deepEqual(getLevels(logger), { fileLevel: "silent", consoleLevel: "info" });
});

test("without a file it logs to the console only, and a null console writes nothing", () => {
  const chunks: string[] = [];
  const out = { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream;
  const logger = createLogger({ fileLevel: "info", consoleLevel: "info", consoleStyle: "compact", maxFileBytes: 1024, maxFiles: 1, console: out });
  logger.info("hello");
  closeLogger(logger);
  assert.deepEqual(chunks, ["info hello\n"]);
  const quiet = createLogger({ fileLevel: "info", consoleLevel: "info", consoleStyle: "compact", maxFileBytes: 1024, maxFiles: 1, console: null });
  assert.doesNotThrow(() => quiet.info("nowhere"));
});

test("refuses a log file that cannot be opened with STATE_DIR_UNUSABLE", () => {
  const dir = tmpDir("onebrain-logger-");
  fs.writeFileSync(path.join(dir, "file"), "");
  const file = path.join(dir, "file", "gateway.log");
  assert.throws(
    () => createLogger({ file, fileLevel: "info", consoleLevel: "info", consoleStyle: "json", maxFileBytes: 1024, maxFiles: 1, console: null }),
    (err) => hasCode(err, "STATE_DIR_UNUSABLE") && err.message.includes(file),
  );
});

test("loses no lines when the process exits on SIGTERM mid-stream", async () => {
  const dir = tmpDir("onebrain-logger-");
  const file = path.join(dir, "gateway.log");
  const script = path.join(dir, "child.mjs");
  const loggerUrl = new URL("../../src/logging/logger.ts", import.meta.url).href;
  fs.writeFileSync(
    script,
    `import { createLogger, closeLogger } from ${JSON.stringify(loggerUrl)};
const log = createLogger({ file: ${JSON.stringify(file)}, fileLevel: "info", consoleLevel: "silent", consoleStyle: "json", maxFileBytes: 16384, maxFiles: 100, console: null });
let i = 0;
const timer = setInterval(() => { for (let k = 0; k < 20; k++) log.info({ i: i++ }, "tick"); }, 1);
process.on("SIGTERM", () => { clearInterval(timer); log.info({ count: i }, "stopping"); closeLogger(log); process.exit(0); });
process.stdout.write("ready\\n");
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
  await once(child.stdout, "data");
  await new Promise((r) => setTimeout(r, 150));
  child.kill("SIGTERM");
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 0);
  const names = fs.readdirSync(dir).filter((n) => n.startsWith("gateway.log"));
  // Oldest first: gateway.log.N ... gateway.log.1, then gateway.log.
  const order = names.map((n) => Number(n.split(".")[2] ?? 0)).sort((a, b) => b - a);
  const lines = order.flatMap((n) =>
    fs
      .readFileSync(n === 0 ? file : `${file}.${n}`, "utf8")
      .split("\n")
      .filter(Boolean),
  );
  const recs = lines.map((l) => JSON.parse(l) as { i?: number; count?: number; msg: string });
  const last = recs.at(-1)!;
  assert.equal(last.msg, "stopping");
  assert.ok(last.count! > 0);
  assert.deepEqual(
    recs.slice(0, -1).map((r) => r.i),
    Array.from({ length: last.count! }, (_, k) => k),
  );
});
