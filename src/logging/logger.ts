/**
 * The gateway's logger: one pino instance writing JSON lines to the rotating file and rendered
 * lines to the console, each with its own level, both changeable at runtime (config reload).
 */
import pino, { type LevelWithSilent, type Logger } from "pino";
import { OnebrainError } from "../shared/errors.ts";
import { createConsoleStream, wantsColor, type ConsoleStyle } from "./console.ts";
import { RotatingFile } from "./rotating-file.ts";
import { scrubRecord } from "./scrub.ts";

export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  /** The log file; undefined writes no file. */
  file?: string;
  fileLevel: LogLevel;
  consoleLevel: LogLevel;
  consoleStyle: ConsoleStyle;
  maxFileBytes: number;
  maxFiles: number;
  /** Where console lines go; default process.stderr, null for none. */
  console?: NodeJS.WritableStream | null;
  /** Fields on every line; default `{ pid }`. */
  base?: Record<string, unknown>;
  /** Read for NO_COLOR and TERM. */
  env?: NodeJS.ProcessEnv;
}

export interface OutputLevels {
  fileLevel?: LogLevel;
  consoleLevel?: LogLevel;
}

// What pino.multistream keeps per destination; its typings do not expose the array.
interface MultiEntry {
  stream: unknown;
  level: number;
}

interface Multi {
  streams: MultiEntry[];
  minLevel: number;
  flushSync(): void;
}

interface Outputs {
  multi: Multi;
  file: RotatingFile | null;
  consoleStream: object | null;
  closed: boolean;
}

const outputs = new WeakMap<Logger, Outputs>();

/** Creates the gateway logger; throws STATE_DIR_UNUSABLE when the log file cannot be opened. */
export function createLogger(options: LoggerOptions): Logger {
  const file = options.file === undefined ? null : openFile(options);
  const target = options.console === undefined ? process.stderr : options.console;
  const consoleStream = target === null ? null : createConsoleStream(target, options.consoleStyle, { color: wantsColor(target, options.env) });
  const entries: pino.StreamEntry<LogLevel>[] = [];
  if (file) entries.push({ stream: file, level: options.fileLevel });
  if (consoleStream) entries.push({ stream: consoleStream, level: options.consoleLevel });
  const multi = pino.multistream(entries);
  const logger = pino(
    {
      level: lowestLevel([file ? options.fileLevel : "silent", consoleStream ? options.consoleLevel : "silent"]),
      base: options.base ?? { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Scrubbing here, before serializers and stringify, covers every key at every depth; fixed
      // `redact` paths would miss `{ cfg: { gateway: { auth: { token } } } }`.
      formatters: { log: scrubRecord, bindings: scrubRecord },
      // scrubRecord already turned errors into plain objects; pino's serializer would relabel them "Object".
      serializers: { err: (err: unknown) => err },
    },
    multi,
  );
  guardBindings(logger);
  outputs.set(logger, { multi: multi as unknown as Multi, file, consoleStream, closed: false });
  return logger;
}

/** Changes the file and/or console level at once, for loggers made by createLogger and their children. */
export function setLevels(logger: Logger, levels: OutputLevels): void {
  const out = outputsOf(logger);
  for (const entry of out.multi.streams) {
    const level = entry.stream === out.file ? levels.fileLevel : entry.stream === out.consoleStream ? levels.consoleLevel : undefined;
    if (level !== undefined) entry.level = levelValue(logger, level);
  }
  // multistream stops at the first destination above a line's level, so order must stay ascending.
  out.multi.streams.sort((a, b) => a.level - b.level);
  out.multi.minLevel = out.multi.streams[0]?.level ?? Infinity;
  // Children created without their own level read it through the prototype, so this reaches them too.
  const min = out.multi.minLevel;
  logger.level = min === Infinity ? "silent" : (logger.levels.labels[min] ?? "trace");
}

/** The current levels of the file and console outputs ("silent" when an output is absent). */
export function getLevels(logger: Logger): Required<OutputLevels> {
  const out = outputsOf(logger);
  const label = (stream: unknown): LogLevel => {
    const entry = out.multi.streams.find((e) => e.stream === stream);
    return entry === undefined || entry.level === Infinity ? "silent" : ((logger.levels.labels[entry.level] ?? "trace") as LogLevel);
  };
  return { fileLevel: label(out.file), consoleLevel: label(out.consoleStream) };
}

/** Forces buffered lines out; safe in an exit handler. */
export function flushLogger(logger: Logger): void {
  const out = outputsOf(logger);
  if (!out.closed) out.multi.flushSync();
}

/** Flushes and closes the log file for shutdown; later lines are dropped, the console is left open. */
export function closeLogger(logger: Logger): void {
  const out = outputsOf(logger);
  if (out.closed) return;
  out.multi.flushSync();
  out.file?.end();
  out.closed = true;
}

function openFile(options: LoggerOptions): RotatingFile {
  const file = options.file!;
  try {
    return new RotatingFile(file, { maxBytes: options.maxFileBytes, maxFiles: options.maxFiles });
  } catch (err) {
    throw new OnebrainError("STATE_DIR_UNUSABLE", `Cannot open the log file "${file}": ${(err as Error).message}`, {
      details: { file, errno: (err as NodeJS.ErrnoException).code },
      hint: "Make the directory writable by this user, or set logging.file to another path.",
      cause: err,
    });
  }
}

function outputsOf(logger: Logger): Outputs {
  let cur: object | null = logger;
  // Children are Object.create(parent): walk up to the logger createLogger registered.
  while (cur !== null) {
    const out = outputs.get(cur as Logger);
    if (out) return out;
    cur = Object.getPrototypeOf(cur) as object | null;
  }
  throw new OnebrainError("INTERNAL", "This logger was not made by createLogger.");
}

function levelValue(logger: Logger, level: LogLevel): number {
  if (level === "silent") return Infinity;
  const value = logger.levels.values[level];
  if (value === undefined) throw new OnebrainError("INTERNAL", `Unknown log level "${level}".`);
  return value;
}

function lowestLevel(levels: LogLevel[]): LogLevel {
  const order: LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
  return levels.reduce((a, b) => (order.indexOf(b) < order.indexOf(a) ? b : a), "silent");
}

// pino runs the bindings formatter for the root logger only (children reset it), so child()
// and setBindings() would let `logger.child({ token })` through; scrub their argument instead.
function guardBindings(logger: Logger): void {
  // The originals are called with each logger as `this` (pino's children inherit these overrides).
  const child = Reflect.get(logger, "child") as Logger["child"];
  const setBindings = Reflect.get(logger, "setBindings") as Logger["setBindings"];
  Object.defineProperty(logger, "child", {
    configurable: true,
    writable: true,
    value(this: Logger, bindings: pino.Bindings, opts?: pino.ChildLoggerOptions) {
      return Reflect.apply(child, this, [scrubRecord(bindings), opts]) as Logger;
    },
  });
  Object.defineProperty(logger, "setBindings", {
    configurable: true,
    writable: true,
    value(this: Logger, bindings: pino.Bindings) {
      Reflect.apply(setBindings, this, [scrubRecord(bindings)]);
    },
  });
}
