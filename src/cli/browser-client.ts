/**
 * The CLI's side of the browser control service: where the running gateway's control port is
 * (its owner record's base port and this brain's config), the gateway's credentials, and one
 * HTTP call to it. A brain whose gateway is not running gets GATEWAY_UNREACHABLE, said plainly.
 */
import http from "node:http";
import { loadBrainConfig } from "../config/load.ts";
import { inspectLock } from "../lock/inspect.ts";
import type { BrainPaths } from "../paths/paths.ts";
import { BROWSER_CONTROL_OFFSET } from "../paths/ports.ts";
import { resolveAuth } from "../server/auth.ts";
import { OnebrainError, type ErrorCode, errorCatalog } from "../shared/errors.ts";

/** Where the control service of this brain's running gateway listens, and how to authenticate. */
export interface ControlTarget {
  port: number;
  authorization: string | null;
}

/** The control target, or GATEWAY_UNREACHABLE when no gateway holds the brain. */
export function controlTarget(paths: BrainPaths, env: NodeJS.ProcessEnv = process.env): ControlTarget {
  const { config } = loadBrainConfig(paths);
  const lock = inspectLock(paths.lockPath, paths.ownerPath);
  if (!lock.ownerIsHolder || !lock.owner) {
    throw new OnebrainError("GATEWAY_UNREACHABLE", `The gateway of this brain (${paths.stateDir}) is not running, so no browser is either`, {
      hint: "onebrain gateway start",
    });
  }
  const auth = resolveAuth(config.gateway.auth, env);
  const secret = auth.mode === "token" ? auth.token : auth.mode === "password" ? auth.password : undefined;
  return { port: config.browser.controlPort ?? lock.owner.port + BROWSER_CONTROL_OFFSET, authorization: secret ? `Bearer ${secret}` : null };
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
