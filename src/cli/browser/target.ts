/**
 * Where the running gateway's browser control service listens (its owner record's base port and
 * this brain's config) and the gateway's credentials. A brain whose gateway is not running gets
 * GATEWAY_UNREACHABLE, said plainly. No HTTP here: `browser status`'s fast path loads this alone.
 */
import fs from "node:fs";
import { authSources } from "../../config/effective.ts";
import { inspectLock } from "../../lock/inspect.ts";
import type { BrainPaths } from "../../paths/paths.ts";
import { BROWSER_CONTROL_OFFSET } from "../../paths/ports.ts";
import { OnebrainError } from "../../shared/errors.ts";

/** Where the control service of this brain's running gateway listens, and how to authenticate. */
export interface ControlTarget {
  port: number;
  authorization: string | null;
}

/** How the config file's text is read (JSON5; the fast path takes plain JSON only), and who explains a file that cannot be read. */
export interface ConfigReader {
  parse(text: string): unknown;
  /** Throws the coded error that says what is wrong with the file. */
  explain(paths: BrainPaths): Promise<never>;
}

/**
 * The few raw keys the browser CLI needs (the auth secrets, browser.controlPort), read without
 * loading the config schema: it is a third of this command's start-up. A file that is not plain
 * readable goes to `explain` (the full loader, whose coded error names what is wrong).
 */
async function rawKeys(
  paths: BrainPaths,
  reader: ConfigReader,
): Promise<{ auth: { mode?: "none" | "token" | "password"; token?: string; password?: string }; controlPort: number | undefined }> {
  let raw: unknown = {};
  try {
    const text = fs.readFileSync(paths.configPath, "utf8");
    if (text.length > 4 * 1024 * 1024) throw new Error("too large");
    raw = text.trim() === "" ? {} : reader.parse(text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") await reader.explain(paths);
  }
  const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const a = obj(obj(obj(raw).gateway).auth);
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const mode = a.mode === "none" || a.mode === "token" || a.mode === "password" ? a.mode : undefined;
  const port = obj(obj(raw).browser).controlPort;
  return {
    auth: { ...(mode ? { mode } : {}), ...(str(a.token) ? { token: str(a.token)! } : {}), ...(str(a.password) ? { password: str(a.password)! } : {}) },
    controlPort: Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535 ? (port as number) : undefined,
  };
}

/** The control target, or GATEWAY_UNREACHABLE when no gateway holds the brain. */
export async function controlTarget(paths: BrainPaths, reader: ConfigReader, env: NodeJS.ProcessEnv = process.env): Promise<ControlTarget> {
  const lock = inspectLock(paths.lockPath, paths.ownerPath);
  if (!lock.ownerIsHolder || !lock.owner) {
    throw new OnebrainError("GATEWAY_UNREACHABLE", `The gateway of this brain (${paths.stateDir}) is not running, so no browser is either`, {
      hint: "onebrain gateway start",
    });
  }
  const keys = await rawKeys(paths, reader);
  const auth = authSources(keys.auth, env);
  const secret = auth.mode.value === "token" ? auth.token.value : auth.mode.value === "password" ? auth.password.value : undefined;
  return { port: keys.controlPort ?? lock.owner.port + BROWSER_CONTROL_OFFSET, authorization: secret ? `Bearer ${secret}` : null };
}
