/** One HTTP call from the CLI to the running gateway's browser control service (docs/browser.md). */
import http from "node:http";
import { OnebrainError, type ErrorCode, errorCatalog } from "../../shared/errors.ts";
import { parseJson5 } from "../../config/json5-text.ts";
import type { BrainPaths } from "../../paths/paths.ts";
import { controlTarget, type ControlTarget } from "./target.ts";

export type { ControlTarget } from "./target.ts";

/** The control target of this brain's running gateway; a config file that cannot be read gets the loader's coded error. */
export function targetOf(paths: BrainPaths, env: NodeJS.ProcessEnv = process.env): Promise<ControlTarget> {
  return controlTarget(
    paths,
    {
      parse: parseJson5,
      async explain(p) {
        // Loaded only then: the loader throws the coded error that says what is wrong with the file.
        (await import("../../config/load.ts")).loadBrainConfig(p);
        throw new OnebrainError("CONFIG_UNREADABLE", `The config file ${p.configPath} could not be read`);
      },
    },
    env,
  );
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
