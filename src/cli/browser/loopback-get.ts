/**
 * One HTTP/1.1 GET to a loopback port over node:net, for `browser status`'s fast path: loading
 * node:http costs a CLI process about 12 ms here (its agent, client and parser modules), a tenth
 * of the command's budget. It reads only what onebrain's own server sends (a status line,
 * headers with Content-Length, a JSON body); anything else is `null`, and the caller goes the
 * full way (node:http), which reports it properly.
 */
import net from "node:net";

/** The largest answer read (a status of 100 profiles is ~30 KB). */
const MAX_BYTES = 1024 * 1024;

/** A JSON answer with its status code. */
export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** Splits a raw answer; null unless it is complete, Content-Length framed and JSON. */
export function parseJsonAnswer(raw: Buffer): JsonAnswer | null | "partial" {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return raw.length > 64 * 1024 ? null : "partial";
  const lines = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]!);
  if (!status) return null;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (headers.has(name)) return null; // a repeated framing header is ambiguous: not ours
    headers.set(name, line.slice(colon + 1).trim());
  }
  if (headers.has("transfer-encoding")) return null;
  const length = headers.get("content-length");
  if (length === undefined || !/^\d{1,7}$/.test(length)) return null;
  const body = raw.subarray(end + 4);
  if (body.length < Number(length)) return "partial";
  if (body.length > Number(length) || !(headers.get("content-type") ?? "").startsWith("application/json")) return null;
  try {
    return { status: Number(status[1]), body: JSON.parse(body.toString("utf8")) };
  } catch {
    return null;
  }
}

/** GET `path` from 127.0.0.1:`port`; null when it cannot be read as a JSON answer within `timeoutMs`. */
export function loopbackGetJson(port: number, path: string, authorization: string | null, timeoutMs: number): Promise<JsonAnswer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (answer: JsonAnswer | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      const auth = authorization ? `Authorization: ${authorization}\r\n` : "";
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: application/json\r\n${auth}Connection: close\r\n\r\n`);
    });
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_BYTES) return finish(null);
      const parsed = parseJsonAnswer(chunks.length === 1 ? chunk : Buffer.concat(chunks));
      if (parsed !== "partial") finish(parsed);
    });
    socket.on("end", () => finish(null));
    socket.on("error", () => finish(null));
  });
}
