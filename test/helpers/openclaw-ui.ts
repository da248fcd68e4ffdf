/**
 * OpenClaw's Control UI, served from the assets of the installed `openclaw` package by a small
 * static server of its own (OpenClaw's gateway serves them at `/`; here another origin points them
 * at onebrain): index.html with its relative paths made absolute and the base-path attribute the
 * gateway stamps, and deep links (`/chat/main`) answered with index.html.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { OPENCLAW_DIR } from "./openclaw-cli.ts";

export const CONTROL_UI_DIR = path.join(OPENCLAW_DIR, "node_modules", "openclaw", "dist", "control-ui");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".webmanifest": "application/manifest+json",
  ".wasm": "application/wasm",
  ".webp": "image/webp",
};

/** Starts the static server on 127.0.0.1; `origin` is what the gateway must allow. */
export async function serveControlUi(): Promise<{ origin: string; close(): Promise<void> }> {
  const index = fs
    .readFileSync(path.join(CONTROL_UI_DIR, "index.html"), "utf8")
    .replace(/(href|src)="\.\//g, '$1="/')
    .replace("<html ", '<html data-openclaw-control-ui-base-path="" ');
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = path.resolve(CONTROL_UI_DIR, `.${path.posix.normalize(p)}`);
    if (p !== "/" && file.startsWith(CONTROL_UI_DIR + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
      fs.createReadStream(file).pipe(res);
      return;
    }
    if (/\.[a-z0-9]+$/i.test(p) && !p.endsWith(".html")) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[".html"]!, "cache-control": "no-cache" });
    res.end(index);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
