/**
 * Answers one canvas request with a file below the root (files.ts finds and opens it): the
 * Content-Type by extension, `Cache-Control: no-cache` with an ETag and Last-Modified (a reload
 * revalidates, a 304 costs no body), HEAD without a body, and HTML pages with the live-reload
 * script put in. Loaded on the first canvas request, so a gateway nobody asks for its canvas
 * never loads it.
 */
import crypto from "node:crypto";
import type { ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { isMiss, openCanvasFile, type CanvasFile } from "./files.ts";
import { isHtml } from "./mime.ts";
import { injectReload } from "./reload-script.ts";

/** HTML larger than this is served as it is, without the reload script (it would be read whole into memory). */
const MAX_INJECTED_HTML = 16 * 1024 * 1024;

/** What one answer needs besides the response. */
export interface ServeRequest {
  /** The canvas root's real path. */
  root: string;
  /** The request path after the mount (`/`, `/page.html`, `/dir/`). */
  rest: string;
  /** The whole request path, for the redirect of a directory to its `/` form. */
  requestPath: string;
  head: boolean;
  /** The reload socket's path for HTML pages; null: no script. */
  reloadPath: string | null;
  /** A browser asks for a page (a navigation or a frame): a 404 is then a page that reloads once the file is there. */
  wantsPage: boolean;
  /** Headers every answer carries (the port's security policy). */
  headers: Readonly<Record<string, string>>;
  ifNoneMatch: string | undefined;
}

/** A JSON error answer in the gateway's shape, `{error: {code, message}}`. */
export function sendCanvasError(res: ServerResponse, status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

/**
 * The 404 a browser tab or frame gets: a small page that says what is missing and carries the
 * reload script, so a canvas opened before the agent wrote it (or while its root was being made
 * again) shows the page as soon as it exists.
 */
function sendWaitingPage(res: ServerResponse, message: string, req: ServeRequest): void {
  const text = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Canvas: not yet</title></head><body><p>${text}</p><p>This page reloads by itself once it is there.</p></body></html>`;
  const body = injectReload(Buffer.from(html), req.reloadPath!);
  res.writeHead(404, { ...req.headers, "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-length": body.length });
  res.end(req.head ? undefined : body);
}

/** The file's version; with the reload script, also the script's (its socket path carries the watch's generation). */
function etagOf(f: CanvasFile, reloadPath: string | null): string {
  const s = f.stat;
  const script = reloadPath === null ? "" : `-${crypto.createHash("sha256").update(reloadPath).digest("base64url").slice(0, 8)}`;
  return `"${s.ino.toString(36)}-${s.size.toString(36)}-${s.mtimeNs.toString(36)}${script}"`;
}

/** Serves the file `req.rest` names, or the refusal (400, 301, 404) as JSON. Never throws for a client's path. */
export async function serveCanvasFile(res: ServerResponse, req: ServeRequest): Promise<void> {
  const found = await openCanvasFile(req.root, req.rest);
  if (isMiss(found)) {
    if (found.status === 404 && req.wantsPage && req.reloadPath !== null) return sendWaitingPage(res, found.message, req);
    const extra: Record<string, string> = found.status === 301 ? { location: `${req.requestPath}/` } : {};
    return sendCanvasError(res, found.status, found.code, found.message, { ...req.headers, ...extra });
  }
  try {
    const size = Number(found.stat.size);
    const inject = req.reloadPath !== null && isHtml(found.type) && size <= MAX_INJECTED_HTML;
    const etag = etagOf(found, inject ? req.reloadPath : null);
    const headers: Record<string, string | number> = {
      ...req.headers,
      "content-type": found.type,
      "cache-control": "no-cache",
      etag,
      "last-modified": new Date(Number(found.stat.mtimeMs)).toUTCString(),
    };
    if (req.ifNoneMatch !== undefined && req.ifNoneMatch.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    if (inject) {
      const body = injectReload(await found.handle.readFile(), req.reloadPath!);
      res.writeHead(200, { ...headers, "content-length": body.length });
      res.end(req.head ? undefined : body);
      return;
    }
    res.writeHead(200, { ...headers, "content-length": size });
    if (req.head || size === 0) return void res.end();
    // Exactly the bytes counted: a file that grows meanwhile cannot overrun its Content-Length.
    await pipeline(found.handle.createReadStream({ start: 0, end: size - 1, autoClose: false }), res);
  } catch (err) {
    // A file that shrank or vanished mid-answer, or a client that left: the answer is cut off.
    if (!res.headersSent) sendCanvasError(res, 500, "INTERNAL", `The file could not be read (${(err as NodeJS.ErrnoException).code ?? "error"}).`, req.headers);
    else res.destroy();
  } finally {
    await found.handle.close().catch(() => {});
  }
}
