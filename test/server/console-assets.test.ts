/** The console's files and the upgrade-attempt memory, in-process: headers, caching, no path from the request, bounds. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { CONSOLE_CSP, ConsoleAssets, findConsoleDir } from "../../src/server/console-assets.ts";
import { attemptId, WsAttempts } from "../../src/server/ws-attempts.ts";
import { tmpDir } from "../helpers/gateway.ts";

/** Serves `assets` on a loopback port for the duration of `fn`. */
async function serving(
  assets: ConsoleAssets,
  fn: (get: (p: string, method?: string) => Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>) => Promise<void>,
) {
  const server = http.createServer((req, res) => {
    const p = (req.url ?? "/").split("?")[0]!;
    if (assets.owns(p)) assets.serve(res, p, req.method === "HEAD");
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const get = (p: string, method = "GET") =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      // A raw path: fetch() would normalise "/assets/../x" away before it is sent.
      http
        .request({ host: "127.0.0.1", port, path: p, method }, (res) => {
          let body = "";
          res
            .setEncoding("utf8")
            .on("data", (d) => (body += d))
            .on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        })
        .on("error", reject)
        .end();
    });
  try {
    await fn(get);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

function builtConsole(): string {
  const dir = path.join(tmpDir(), "dist", "console");
  fs.mkdirSync(path.join(dir, "assets"), { recursive: true });
  fs.writeFileSync(path.join(dir, "index.html"), '<!doctype html><script type="module" src="/assets/app-ABC123.js"></script>');
  fs.writeFileSync(path.join(dir, "assets", "app-ABC123.js"), "console.log(1)");
  fs.writeFileSync(path.join(dir, "assets", "notes.txt"), "not a type we serve");
  fs.writeFileSync(path.join(dir, "..", "secret.json"), "{}");
  return dir;
}

test("the console index is revalidated, hashed assets are immutable, and both carry the CSP and security headers", async () => {
  await serving(new ConsoleAssets(builtConsole()), async (get) => {
    const index = await get("/");
    assert.equal(index.status, 200);
    assert.match(index.headers["content-type"]!, /text\/html/);
    assert.equal(index.headers["cache-control"], "no-cache");
    assert.equal(index.headers["content-security-policy"], CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /script-src 'self';/);
    assert.equal(index.headers["x-frame-options"], "DENY");
    assert.equal(index.headers["referrer-policy"], "no-referrer");
    const js = await get("/assets/app-ABC123.js");
    assert.deepEqual(
      [js.status, js.body, js.headers["cache-control"], js.headers["x-content-type-options"]],
      [200, "console.log(1)", "public, max-age=31536000, immutable", "nosniff"],
    );
    assert.equal((await get("/assets/app-ABC123.js", "HEAD")).body, "");
  });
});

test("only files listed at first use are served: no traversal, no unknown types", async () => {
  await serving(new ConsoleAssets(builtConsole()), async (get) => {
    for (const p of ["/assets/../secret.json", "/assets/..%2fsecret.json", "/assets/notes.txt", "/assets/missing.js"])
      assert.equal((await get(p)).status, 404, p);
  });
});

test("an unbuilt console answers 503 with the command that builds it", async () => {
  await serving(new ConsoleAssets(null), async (get) => {
    const r = await get("/");
    assert.equal(r.status, 503);
    assert.match(r.body, /npm run build/);
  });
});

test("the console is found from the bundle's folder and from the sources' folder, never the unbuilt console/ template", () => {
  const root = tmpDir();
  fs.mkdirSync(path.join(root, "dist", "chunks"), { recursive: true });
  fs.mkdirSync(path.join(root, "dist", "console"), { recursive: true });
  fs.mkdirSync(path.join(root, "console"), { recursive: true });
  fs.mkdirSync(path.join(root, "src", "server"), { recursive: true });
  fs.writeFileSync(path.join(root, "console", "index.html"), "template");
  assert.equal(findConsoleDir(path.join(root, "src", "server")), null, "not built yet");
  fs.writeFileSync(path.join(root, "dist", "console", "index.html"), "built");
  assert.equal(findConsoleDir(path.join(root, "dist", "chunks")), path.join(root, "dist", "console"));
  assert.equal(findConsoleDir(path.join(root, "src", "server")), path.join(root, "dist", "console"));
});

test("upgrade attempts are remembered for five minutes, at most 512, newest kept; ids are validated", () => {
  let now = 0;
  const attempts = new WsAttempts({ max: 3, ttlMs: 1000, now: () => now });
  assert.equal(attemptId("/ws?attempt=abcdefgh"), "abcdefgh");
  assert.equal(attemptId("/ws?attempt=short"), null);
  assert.equal(attemptId("/ws?attempt=has%20space1"), null);
  assert.equal(attemptId("/ws"), null);
  for (const id of ["aaaaaaaa", "bbbbbbbb", "cccccccc", "dddddddd"]) attempts.record(id, { upgraded: true });
  assert.equal(attempts.lookup("aaaaaaaa").seen, false, "the oldest was evicted");
  assert.equal(attempts.lookup("dddddddd").seen, true);
  now = 1001;
  assert.equal(attempts.lookup("dddddddd").seen, false, "expired");
  assert.equal(new WsAttempts().lookup("eeeeeeee").at, null);
});
