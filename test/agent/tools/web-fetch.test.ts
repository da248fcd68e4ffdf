/**
 * web_fetch against real HTTP servers on loopback, reached as `site.test` (allowedHosts + a fake
 * DNS): pages to Markdown, content types and charsets, the byte, time and redirect caps. The SSRF
 * guard has its own suites (ssrf.test.ts, ssrf-fetch.test.ts).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import type http from "node:http";
import { after, test } from "node:test";
import zlib from "node:zlib";
import { webFetchTool } from "../../../src/agent/tools/web/index.ts";
import { fakeDns, serve, webContext } from "./web-servers.ts";

const ARTICLE = fs.readFileSync(new URL("fixtures/article.html", import.meta.url));

/** Routes of the test site: each path answers with its own handler. */
const routes = new Map<string, http.RequestListener>();
const site = await serve((req, res) => {
  const route = routes.get(new URL(req.url ?? "/", "http://x").pathname);
  if (route) route(req, res);
  else res.writeHead(404, { "content-type": "text/plain" }).end(`no route ${req.url}`);
});
after(() => site.close());

const base = `http://site.test:${site.port}`;
const tool = webFetchTool(fakeDns({ "site.test": ["127.0.0.1"] }));
const fetchPath = (path: string, web: Parameters<typeof webContext>[0] = {}, input: Record<string, unknown> = {}, signal?: AbortSignal) =>
  tool.run({ url: `${base}${path}`, ...input }, webContext({ allowedHosts: ["site.test"], ...web }, signal));

/** A route answering `body` with `headers`. */
const answer = (path: string, headers: http.OutgoingHttpHeaders, body: string | Buffer, status = 200) =>
  routes.set(path, (_req, res) => res.writeHead(status, headers).end(body));

/** A route writing forever (every `everyMs`, or as fast as the socket takes it) until the client leaves; `closed` settles then. */
function endless(path: string, chunk: Buffer, everyMs: number, headers: http.OutgoingHttpHeaders = { "content-type": "text/plain" }) {
  return new Promise<void>((closed) =>
    routes.set(path, (_req, res) => {
      res.writeHead(200, headers);
      const timer = setInterval(() => res.write(chunk), everyMs);
      res.on("close", () => {
        clearInterval(timer);
        closed();
      });
    }),
  );
}

test("turns an article page into Markdown with its title, headings, code and absolute links, without the site's chrome", async () => {
  answer("/2026/11/tuning-sqlite/", { "content-type": "text/html; charset=utf-8" }, ARTICLE);
  const r = await fetchPath("/2026/11/tuning-sqlite/");
  assert.equal(r.isError, false, r.content);
  const head = `URL: ${base}/2026/11/tuning-sqlite/\nStatus: 200 OK\nTitle: Tuning SQLite for a Write-Heavy Gateway\nContent-Type: text/html; charset=utf-8\n\n`;
  assert.ok(r.content.startsWith(head), r.content.slice(0, 300));
  for (const part of [
    "## Why the journal mode matters",
    "**write-ahead logging** with `synchronous=NORMAL`",
    "[SQLite documentation on WAL](https://www.sqlite.org/wal.html)",
    `[earlier post about the store layer](${base}/2026/10/the-store-layer/)`,
    `(${base}/2026/11/tuning-sqlite/images/wal-diagram.png)`,
    "> A commit that does not reach the disk did not happen.",
    "```\nPRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;",
    "WAL, `synchronous=NORMAL`: 2,300 messages a second.",
  ])
    assert.ok(r.content.includes(part), `missing ${part}`);
  for (const chrome of ["dataLayer", "We use cookies", "Related posts", "Get new posts by email", "addEventListener", "font-family"])
    assert.ok(!r.content.includes(chrome), `kept ${chrome}`);
});

test("falls back to the whole body when Readability finds no article", async () => {
  // Everything in a hidden element: Readability skips what is not visible, so it finds no text.
  answer("/app", { "content-type": "text/html" }, `<title>App</title><div hidden><p>Rendered later: <a href="/docs">the docs</a></p></div>`);
  const r = await fetchPath("/app");
  assert.match(r.content, /Title: App\n/);
  assert.ok(r.content.includes(`Rendered later: [the docs](${base}/docs)`), r.content);
  answer("/links", { "content-type": "text/html" }, `<ul><li><a href="a.html">A</a></li><li><a href="javascript:alert(1)">B</a></li></ul>`);
  const links = await fetchPath("/links");
  assert.ok(links.content.includes(`[A](${base}/a.html)`), links.content);
  assert.ok(!links.content.includes("javascript:"), "a javascript: link keeps its text and loses its target");
});

test("decodes by the charset of the Content-Type, then of a meta tag, then as UTF-8", async () => {
  answer("/latin1", { "content-type": "text/plain; charset=ISO-8859-1" }, Buffer.from("caf\xe9 cr\xe8me", "latin1"));
  assert.match((await fetchPath("/latin1")).content, /café crème$/);
  const sjis = Buffer.concat([
    Buffer.from('<html><head><meta charset="shift_jis"><title>t</title></head><body><p>'),
    Buffer.from([0x82, 0xa0, 0x82, 0xa2]),
    Buffer.from("</p></body></html>"),
  ]);
  answer("/sjis", { "content-type": "text/html" }, sjis);
  assert.match((await fetchPath("/sjis")).content, /あい/);
  answer("/bogus", { "content-type": "text/plain; charset=no-such-charset" }, "naïve");
  assert.match((await fetchPath("/bogus")).content, /naïve$/);
});

test("returns plain text and JSON as they are", async () => {
  const json = '{"items":[1,2,3],"next":null}';
  answer("/api", { "content-type": "application/json" }, json);
  assert.equal((await fetchPath("/api")).content, `URL: ${base}/api\nStatus: 200 OK\nContent-Type: application/json\n\n${json}`);
  answer("/notes.txt", { "content-type": "text/plain" }, "# not a heading to convert\n<b>not html</b>");
  assert.match((await fetchPath("/notes.txt")).content, /\n\n# not a heading to convert\n<b>not html<\/b>$/);
  answer("/feed", { "content-type": "application/rss+xml" }, "<rss><channel/></rss>");
  assert.match((await fetchPath("/feed")).content, /<rss><channel\/><\/rss>$/);
});

test("refuses content types it cannot read, naming the type", async () => {
  for (const type of ["image/png", "application/pdf", "application/octet-stream", "video/mp4"]) {
    answer("/file", { "content-type": type }, Buffer.alloc(64));
    const r = await fetchPath("/file");
    assert.equal(r.isError, true);
    assert.equal(r.content, `${base}/file is ${type}, which web_fetch does not read: it reads HTML, plain text, JSON and XML.`);
  }
  answer("/untyped", {}, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]));
  assert.match((await fetchPath("/untyped")).content, /without a Content-Type and looks binary/);
  answer("/untyped-html", {}, "<!doctype html><title>Sniffed</title><p>hello</p>");
  assert.match((await fetchPath("/untyped-html")).content, /Title: Sniffed/);
});

test("stops reading an endless body at maxBytes and says so", async () => {
  const closed = endless("/endless", Buffer.alloc(16 * 1024, "x"), 1);
  const r = await fetchPath("/endless", { maxBytes: 64 * 1024 }, { maxChars: 500_000 });
  assert.equal(r.isError, false);
  assert.match(r.content, /\n\nx{65536}\n\n\[truncated at 65536 bytes \(tools\.web\.maxBytes\): the page is longer\]$/);
  await closed;
});

test("gives up on a body that drips slower than the time cap", async () => {
  const closed = endless("/drip", Buffer.from("."), 100);
  const r = await fetchPath("/drip", { timeoutSeconds: 1 });
  assert.equal(r.isError, true);
  assert.match(r.content, /did not finish within 1 s \(tools\.web\.timeoutSeconds\)/);
  await closed;
});

test("caps a gzip bomb at maxBytes after decompression, and decodes gzip, deflate and br", async () => {
  const bomb = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024, "a"), { level: 9 });
  assert.ok(bomb.length < 64 * 1024, "a small download");
  answer("/bomb", { "content-type": "text/plain", "content-encoding": "gzip" }, bomb);
  const r = await fetchPath("/bomb", { maxBytes: 4096 });
  assert.match(r.content, /\n\na{4096}\n\n\[truncated at 4096 bytes/);
  const text = "compressed text ".repeat(50);
  for (const [encoding, body] of [
    ["gzip", zlib.gzipSync(text)],
    ["deflate", zlib.deflateSync(text)],
    ["br", zlib.brotliCompressSync(text)],
  ] as const) {
    answer("/z", { "content-type": "text/plain", "content-encoding": encoding }, body);
    assert.ok((await fetchPath("/z")).content.endsWith(`\n\n${text}`), encoding);
  }
  answer("/z", { "content-type": "text/plain", "content-encoding": "zstd" }, "??");
  assert.match((await fetchPath("/z")).content, /content-encoding "zstd", which web_fetch cannot decode/);
});

test("follows redirects to the final URL and stops a redirect loop at maxRedirects", async () => {
  routes.set("/old", (_req, res) => res.writeHead(301, { location: "/moved?x=1" }).end());
  routes.set("/moved", (_req, res) => res.writeHead(303, { location: "new" }).end());
  answer("/new", { "content-type": "text/plain" }, "arrived");
  const r = await fetchPath("/old");
  assert.match(r.content, new RegExp(`^URL: ${base}/new\\n[^]*arrived$`));
  const before = site.paths.length;
  routes.set("/loop", (_req, res) => res.writeHead(302, { location: "/loop" }).end());
  const loop = await fetchPath("/loop", { maxRedirects: 3 });
  assert.equal(loop.isError, true);
  assert.match(loop.content, /Stopped after 3 redirects \(tools\.web\.maxRedirects\)/);
  assert.equal(site.paths.length - before, 4, "the first request and three redirects");
  routes.set("/login", (_req, res) => res.writeHead(302, { location: `http://admin:hunter2@site.test:${site.port}/new` }).end());
  const creds = await fetchPath("/login");
  assert.match(creds.content, /^The redirect to http:\/\/site\.test:\d+\/new was not followed\. URLs with a user name or password/);
  assert.doesNotMatch(creds.content, /hunter2|admin/);
});

test("reports a 4xx or 5xx answer as an error with its status and the start of its body", async () => {
  answer("/gone", { "content-type": "text/html" }, `<title>Gone</title><h1>This page was removed</h1><p>${"Sorry. ".repeat(1000)}</p>`, 410);
  const r = await fetchPath("/gone");
  assert.equal(r.isError, true);
  assert.match(r.content, new RegExp(`^HTTP 410 Gone from ${base}/gone\\.\\n\\n`));
  assert.match(r.content, /This page was removed/);
  assert.match(r.content, /\[truncated at 2000 characters\]$/);
  answer("/img-error", { "content-type": "image/png" }, Buffer.alloc(10), 503);
  assert.equal((await fetchPath("/img-error")).content, `HTTP 503 Service Unavailable from ${base}/img-error; the body (image/png) is not shown.`);
});

test("cuts the content at maxChars and says how to get more", async () => {
  answer("/long", { "content-type": "text/plain" }, "0123456789".repeat(100));
  const r = await fetchPath("/long", {}, { maxChars: 100 });
  assert.match(r.content, /\n\n(0123456789){10}\n\n\[truncated at 100 characters; ask again with a larger maxChars \(up to 500000\) for more\]$/);
  // A long page: only about what is shown is converted, and the note still says there is more.
  const html = ARTICLE.toString();
  const main = html.slice(html.indexOf("<main"), html.indexOf("</main>"));
  answer("/long.html", { "content-type": "text/html" }, html.replace(main, main.repeat(200)));
  const page = await fetchPath("/long.html", {}, { maxChars: 3000 });
  assert.match(page.content, /Why the journal mode matters/);
  assert.match(page.content, /\n\n\[truncated at 3000 characters; ask again with a larger maxChars/);
});

test("stops when the run is cancelled", async () => {
  const controller = new AbortController();
  routes.set("/hang", () => controller.abort());
  const r = await fetchPath("/hang", {}, {}, controller.signal);
  assert.equal(r.isError, true);
  assert.match(r.content, /was cancelled/);
});

test("answers bad input with what to give instead", async () => {
  const ctx = webContext();
  assert.match((await tool.run({}, ctx)).content, /Missing required input "url"/);
  assert.match((await tool.run({ url: "example.com/page" }, ctx)).content, /is not an absolute URL/);
  assert.match((await tool.run({ url: "https://example.com/", maxChars: 5 }, ctx)).content, /"maxChars" must be at least 100/);
  assert.match((await tool.run({ url: "https://example.com/", maxChars: "lots" }, ctx)).content, /"maxChars" must be/);
});

test("is a concurrent, side-effect-free tool of the web group", () => {
  assert.equal(tool.name, "web_fetch");
  assert.equal(tool.group, "web");
  assert.equal(tool.sideEffects, false);
  assert.equal(tool.concurrent, true);
  assert.deepEqual((tool.spec.inputSchema as { required: string[] }).required, ["url"]);
});
