/**
 * The operator console's files, served by the gateway itself (no CDN: it works offline).
 * `scripts/build.js` writes them to `dist/console/`: `index.html` and `assets/<name>-<hash>.*`.
 * Only files that exist there at first use are served (no path is ever joined from a request),
 * from memory, with a strict Content-Security-Policy.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerResponse } from "node:http";

/** The policy of docs/protocol.md, "The operator console": everything from this origin, nothing inline. */
export const CONSOLE_CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const SECURITY_HEADERS = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json",
};

interface Asset {
  body: Buffer;
  type: string;
  /** index.html is revalidated; hashed assets never change. */
  cache: string;
}

/** Finds `dist/console/` from this module, whether it runs from the bundle (dist/...) or from src/ (tests). */
export function findConsoleDir(from = path.dirname(fileURLToPath(import.meta.url))): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidates = path.basename(dir) === "dist" ? [path.join(dir, "console")] : [path.join(dir, "dist", "console")];
    for (const c of candidates) if (fs.existsSync(path.join(c, "index.html"))) return c;
    if (path.dirname(dir) === dir) return null;
  }
}

function load(dir: string): Map<string, Asset> {
  const files = new Map<string, Asset>();
  const index: Asset = { body: fs.readFileSync(path.join(dir, "index.html")), type: TYPES[".html"]!, cache: "no-cache" };
  files.set("/", index);
  files.set("/index.html", index);
  const assets = path.join(dir, "assets");
  for (const name of fs.existsSync(assets) ? fs.readdirSync(assets) : []) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    files.set(`/assets/${name}`, { body: fs.readFileSync(path.join(assets, name)), type, cache: "public, max-age=31536000, immutable" });
  }
  return files;
}

/** Serves the console; `dir` defaults to the built `dist/console/`. */
export class ConsoleAssets {
  private files: Map<string, Asset> | null = null;
  private readonly dir: string | null;

  constructor(dir: string | null = findConsoleDir()) {
    this.dir = dir;
  }

  /** True when `urlPath` is the console's to answer (its index or an asset path). */
  owns(urlPath: string): boolean {
    return urlPath === "/" || urlPath === "/index.html" || urlPath.startsWith("/assets/");
  }

  /** Answers a GET or HEAD for a path that `owns` accepted. */
  serve(res: ServerResponse, urlPath: string, head: boolean): void {
    if (!this.dir) {
      const text = "The operator console is not built. Run `npm run build` (or `bash scripts/install.sh`) and restart the gateway.\n";
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...SECURITY_HEADERS });
      res.end(head ? undefined : text);
      return;
    }
    this.files ??= load(this.dir);
    const asset = this.files.get(urlPath);
    if (!asset) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...SECURITY_HEADERS });
      res.end(head ? undefined : `No console file ${urlPath}.\n`);
      return;
    }
    res.writeHead(200, { "content-type": asset.type, "content-length": asset.body.length, "cache-control": asset.cache, ...SECURITY_HEADERS });
    res.end(head ? undefined : asset.body);
  }
}
