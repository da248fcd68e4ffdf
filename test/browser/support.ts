/**
 * What the browser tests share: a BrowserManager on a real store in a temporary brain, with
 * Debian's chromium, and a local page to drive (served on loopback by the test).
 */
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
