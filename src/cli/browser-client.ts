/**
 * The CLI's side of the browser control service: where the running gateway's control port is
 * (its owner record's base port and this brain's config), the gateway's credentials, and one
 * HTTP call to it. A brain whose gateway is not running gets GATEWAY_UNREACHABLE, said plainly.
 */
import fs from "node:fs";
import http from "node:http";
import { authSources } from "../config/effective.ts";
import { parseJson5 } from "../config/json5-text.ts";
import { inspectLock } from "../lock/inspect.ts";
import type { BrainPaths } from "../paths/paths.ts";
import { BROWSER_CONTROL_OFFSET } from "../paths/ports.ts";
import { OnebrainError, type ErrorCode, errorCatalog } from "../shared/errors.ts";

/** Where the control service of this brain's running gateway listens, and how to authenticate. */
export interface ControlTarget {
  port: number;
  authorization: string | null;
}

/**
 * The few raw keys the browser CLI needs (the auth secrets, browser.controlPort), read without
 * loading the config schema: it is a third of this command's start-up. A file that is not plain
 * readable JSON5 goes through the full loader, whose coded error names what is wrong.
 */
async function rawKeys(
  paths: BrainPaths,
): Promise<{ auth: { mode?: "none" | "token" | "password"; token?: string; password?: string }; controlPort: number | undefined }> {
  let raw: unknown = {};
  try {
    const text = fs.readFileSync(paths.configPath, "utf8");
    if (text.length > 4 * 1024 * 1024) throw new Error("too large");
    raw = text.trim() === "" ? {} : parseJson5(text);
  } catch (err) {
    // Loaded only then: the loader throws the coded error that says what is wrong with the file.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") (await import("../config/load.ts")).loadBrainConfig(paths);
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
export async function controlTarget(paths: BrainPaths, env: NodeJS.ProcessEnv = process.env): Promise<ControlTarget> {
  const lock = inspectLock(paths.lockPath, paths.ownerPath);
  if (!lock.ownerIsHolder || !lock.owner) {
    throw new OnebrainError("GATEWAY_UNREACHABLE", `The gateway of this brain (${paths.stateDir}) is not running, so no browser is either`, {
      hint: "onebrain gateway start",
    });
  }
  const keys = await rawKeys(paths);
  const auth = authSources(keys.auth, env);
  const secret = auth.mode.value === "token" ? auth.token.value : auth.mode.value === "password" ? auth.password.value : undefined;
  return { port: keys.controlPort ?? lock.owner.port + BROWSER_CONTROL_OFFSET, authorization: secret ? `Bearer ${secret}` : null };
}

/** An answer of the control service: JSON, or bytes (screenshot, pdf). */
export type ControlAnswer = { json: unknown } | { bytes: Buffer; type: string };

/** One call; an error answer becomes the OnebrainError it names. */
export function callControl(t: ControlTarget, method: "GET" | "POST", path: string, body?: unknown, timeoutMs = 60_000): Promise<ControlAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: t.port,
        method,
        path,
        agent: false,
        timeout: timeoutMs,
        headers: {
          ...(t.authorization ? { authorization: t.authorization } : {}),
          ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const data = Buffer.concat(chunks);
          const type = res.headers["content-type"] ?? "";
          if (!type.startsWith("application/json")) return resolve({ bytes: data, type });
          let parsed: unknown;
          try {
            parsed = JSON.parse(data.toString("utf8"));
          } catch {
            return reject(new OnebrainError("INTERNAL", `The browser control service answered HTTP ${res.statusCode} with broken JSON`));
          }
          const err = (parsed as { error?: { code?: string; message?: string; hint?: string } }).error;
          if ((res.statusCode ?? 500) >= 400 && err) {
            const code = (err.code && err.code in errorCatalog ? err.code : res.statusCode === 401 ? "AUTH_FAILED" : "INTERNAL") as ErrorCode;
            return reject(new OnebrainError(code, err.message ?? `HTTP ${res.statusCode}`, err.hint ? { hint: err.hint } : {}));
          }
          resolve({ json: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new OnebrainError("TIMEOUT", `The browser control service did not answer within ${timeoutMs} ms`)));
    req.on("error", (err) => {
      if (err instanceof OnebrainError) return reject(err);
      reject(
        new OnebrainError(
          "GATEWAY_UNREACHABLE",
          `The browser control service on 127.0.0.1:${t.port} did not answer: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
          {
            hint: "onebrain gateway status (is the browser enabled, and the control port free?)",
          },
        ),
      );
    });
    req.end(payload);
  });
}
