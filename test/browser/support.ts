/**
 * What the browser tests share: a BrowserManager on a real store in a temporary brain, with
 * Debian's chromium, and a local page to drive (served on loopback by the test).
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import pino from "pino";
import type { AddressInfo } from "node:net";
import { BrowserManager } from "../../src/browser/manager.ts";
import { configSchema } from "../../src/config/schema.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { chromiumPath } from "../helpers/browser.ts";
import { freePort, tmpDir } from "../helpers/gateway.ts";

/** A form page: a heading, a text box, a button that writes what was typed into the page. */
export const FORM_PAGE = `<!doctype html><title>Form</title>
<h1>Hello from the test page</h1>
<label>Name <input id="name" aria-label="Name"></label>
<select aria-label="Colour"><option value="red">Red</option><option value="blue">Blue</option></select>
<button onclick="document.getElementById('out').textContent = 'Clicked: ' + document.getElementById('name').value">Greet</button>
<p id="out">Not clicked</p>`;

/** Serves `pages` (path -> HTML) on 127.0.0.1; close it when done. */
export async function servePages(pages: Record<string, string>): Promise<{ url: (p: string) => string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const body = pages[req.url ?? "/"];
    if (body === undefined) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** A manager over a fresh brain (store, epoch, a CDP range of 100 free-looking ports). */
export async function managerRig(browser: Record<string, unknown> = {}, o: { stateDir?: string; first?: number } = {}) {
  const stateDir = o.stateDir ?? tmpDir("onebrain-browser-");
  const store: Store = openStore(path.join(stateDir, "brain.db"));
  const epoch = store.bumpEpoch();
  const first = o.first ?? (await freePort());
  const config = configSchema.parse({ browser: { executablePath: chromiumPath(), ...browser } }).browser;
  const logger = pino({ level: "silent" });
  const manager = new BrowserManager({
    store,
    epoch,
    config: () => config,
    cdpRange: { first, last: first + 99 },
    stateDir,
    logger,
    env: { PATH: process.env.PATH },
  });
  return {
    stateDir,
    store,
    manager,
    first,
    async close() {
      await manager.close();
      store.close();
    },
  };
}

/** Pids (not zombies) whose command line is a browser with a user-data-dir under `dir`, counted from /proc. */
export function browsersUnder(dir: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (argv.some((a) => a.startsWith("--user-data-dir=") && a.slice("--user-data-dir=".length).startsWith(dir))) out.push(Number(name));
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/** Live pids in process group `pgid`. */
/** The group's live processes once it has emptied, waiting up to `ms` (a SIGKILLed process shows as running until the kernel has torn it down). */
export async function groupPidsAfter(pgid: number, ms = 3000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = groupPids(pgid);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = groupPids(pgid);
  }
  return left;
}

export function groupPids(pgid: number): number[] {
  return fs
    .readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = fs.readFileSync(`/proc/${n}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return f[0] !== "Z" && Number(f[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Calls the control service; JSON in and out (bytes for images). */
export async function control(port: number, method: "GET" | "POST", p: string, o: { body?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, {
    method,
    headers: {
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.body !== undefined ? { "content-type": "application/json" } : {}),
      ...o.headers,
    },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const type = res.headers.get("content-type") ?? "";
  const body: any = type.startsWith("application/json") ? await res.json() : Buffer.from(await res.arrayBuffer());
  return { status: res.status, type, body };
}
