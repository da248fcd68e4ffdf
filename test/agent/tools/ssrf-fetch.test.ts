/**
 * The SSRF suite against real servers on loopback: since loopback is itself forbidden, the test
 * servers are reached as allowed names (allowedHosts + a fake DNS); what must stay unreached is a
 * second server counting its TCP connections, or (for 169.254.169.254, which no test can listen
 * on) the absence of any HTTP request to it, seen on node:http's diagnostics channel.
 */
import assert from "node:assert/strict";
import dc from "node:diagnostics_channel";
import type http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { webFetchTool } from "../../../src/agent/tools/web/index.ts";
import { testCertificate } from "../../helpers/forward-proxy.ts";
import { fakeDns, serve, webContext, type TestServer } from "./web-servers.ts";

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

/** A server kept for the file and closed at its end. */
async function server(...args: Parameters<typeof serve>): Promise<TestServer> {
  const s = await serve(...args);
  servers.push(s);
  return s;
}

/** The hosts of every HTTP request created while `fn` runs (before any connection is made). */
async function requestsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; hosts: string[] }> {
  const hosts: string[] = [];
  const seen = (m: unknown) => hosts.push(String((m as { request: http.ClientRequest }).request.host));
  dc.subscribe("http.client.request.created", seen);
  try {
    return { result: await fn(), hosts };
  } finally {
    dc.unsubscribe("http.client.request.created", seen);
  }
}

const page = (body: string) => (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(body);
};

/** The "internal" service an attacker is after: on 127.0.0.1 and ::1 (dual stack), counting connections. */
const internal = await server(page("internal secret"), { host: "::" });

test("refuses loopback in every spelling by default and never connects", async () => {
  const tool = webFetchTool();
  const p = internal.port;
  for (const href of [
    `http://127.0.0.1:${p}/`,
    `http://localhost:${p}/`,
    `http://[::1]:${p}/`,
    `http://127.1:${p}/`,
    `http://2130706433:${p}/`,
    `http://0x7f000001:${p}/`,
    `http://[::ffff:127.0.0.1]:${p}/`,
    `http://0.0.0.0:${p}/`,
  ]) {
    const r = await tool.run({ url: href }, webContext());
    assert.equal(r.isError, true, href);
    assert.match(r.content, /^Refused: .*(loopback|this host)/, href);
  }
  assert.equal(internal.connections, 0);
});

test("reaches the same server once allowedHosts names it (so the count above would have seen a connection)", async () => {
  const before = internal.connections;
  const r = await webFetchTool().run({ url: `http://127.0.0.1:${internal.port}/` }, webContext({ allowedHosts: ["127.0.0.1"] }));
  assert.equal(r.isError, false, r.content);
  assert.match(r.content, /internal secret/);
  assert.equal(internal.connections, before + 1);
});

test("refuses a redirect to the cloud metadata address and to another loopback port before making the request", async () => {
  const site = await server((req, res) => {
    const to = req.url === "/meta" ? "http://169.254.169.254/latest/meta-data/iam/security-credentials/" : `http://127.0.0.1:${internal.port}/`;
    res.writeHead(302, { location: to });
    res.end();
  });
  const dns = fakeDns({ "site.test": ["127.0.0.1"] });
  const ctx = webContext({ allowedHosts: ["site.test"] });
  const before = internal.connections;
  const { result: meta, hosts } = await requestsDuring(() => webFetchTool(dns).run({ url: `http://site.test:${site.port}/meta` }, ctx));
  assert.equal(meta.isError, true);
  assert.match(meta.content, /redirect to http:\/\/169\.254\.169\.254\/.* not followed.*cloud metadata/);
  assert.deepEqual(hosts, ["site.test"], "no request to 169.254.169.254 was ever created");
  const local = await webFetchTool(dns).run({ url: `http://site.test:${site.port}/local` }, ctx);
  assert.match(local.content, /redirect to http:\/\/127\.0\.0\.1:\d+\/ was not followed.*loopback/);
  assert.equal(internal.connections, before, "the internal server saw no connection");
  assert.equal(site.paths.length, 2);
});

test("refuses a redirect to the metadata address even when allowPrivateNetwork is on", async () => {
  const site = await server((_req, res) => {
    res.writeHead(307, { location: "http://[fd00:ec2::254]/latest/" });
    res.end();
  });
  const r = await webFetchTool(fakeDns({ "site.test": ["127.0.0.1"] })).run(
    { url: `http://site.test:${site.port}/` },
    webContext({ allowPrivateNetwork: true }),
  );
  assert.match(r.content, /fd00:ec2::254 is a cloud metadata address/);
});

/**
 * DNS rebinding: a name that answers an allowed address first and 127.0.0.1 afterwards. The allowed
 * stand-in for a public address is 127.0.0.2 listed in allowedHosts (no test may reach the real
 * internet); the internal server listens on 127.0.0.1 at the same port, so a fetch that asked DNS
 * again at connect time would land there.
 */
async function rebindingPair(): Promise<{ outside: TestServer; inside: TestServer }> {
  for (let attempt = 1; ; attempt++) {
    const inside = await server(page("internal secret"));
    try {
      const outside = await server(
        (req, res) => {
          if (req.url === "/again") res.writeHead(302, { location: `http://rebind.test:${inside.port}/secret` }).end();
          else page("the public page")(req, res);
        },
        { host: "127.0.0.2", port: inside.port },
      );
      return { outside, inside };
    } catch (err) {
      // That port is taken on 127.0.0.2: try another (a host without 127.0.0.2 fails every time).
      if (attempt === 20) throw err;
    }
  }
}

test("connects to the DNS answer it vetted, so a name that rebinds to loopback afterwards reaches nothing inside", async () => {
  const { outside, inside } = await rebindingPair();
  const ctx = webContext({ allowedHosts: ["127.0.0.2"] });
  const dns = fakeDns({ "rebind.test": (n) => (n === 1 ? ["127.0.0.2"] : ["127.0.0.1"]) });
  const r = await webFetchTool(dns).run({ url: `http://rebind.test:${inside.port}/` }, ctx);
  assert.equal(r.isError, false, r.content);
  assert.match(r.content, /the public page/);
  assert.equal(dns.calls.get("rebind.test"), 1, "one DNS question, its vetted answer used for the connection");
  // The same name through a redirect: the second hop's answer is loopback and is refused.
  const again = fakeDns({ "rebind.test": (n) => (n === 1 ? ["127.0.0.2"] : ["127.0.0.1"]) });
  const hop = await webFetchTool(again).run({ url: `http://rebind.test:${inside.port}/again` }, ctx);
  assert.equal(hop.isError, true);
  assert.match(hop.content, /127\.0\.0\.1 is a loopback address \(rebind\.test resolves to it\)/);
  assert.deepEqual(outside.paths, ["/", "/again"]);
  assert.equal(inside.connections, 0, "the internal server saw no connection");
});

test("refuses a name with several addresses when one of them is private, and connects to none", async () => {
  const before = internal.connections;
  const r = await webFetchTool(fakeDns({ "multi.test": ["127.0.0.2", "127.0.0.1"] })).run(
    { url: `http://multi.test:${internal.port}/` },
    webContext({ allowedHosts: ["127.0.0.2"] }),
  );
  assert.match(r.content, /127\.0\.0\.1 is a loopback address \(multi\.test resolves to it\)/);
  assert.equal(internal.connections, before);
});

test("refuses https with a self-signed certificate: TLS verification stays on", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "web-fetch-tls-"));
  const tls = await server(page("should not be read"), { tls: testCertificate(dir, ["secure.test"]) });
  fs.rmSync(dir, { recursive: true, force: true });
  const r = await webFetchTool(fakeDns({ "secure.test": ["127.0.0.1"] })).run(
    { url: `https://secure.test:${tls.port}/` },
    webContext({ allowedHosts: ["secure.test"] }),
  );
  assert.equal(r.isError, true);
  assert.match(r.content, /TLS certificate of secure\.test was not accepted \((DEPTH_ZERO_)?SELF_SIGNED_CERT/);
  assert.equal(tls.connections, 1, "the handshake was attempted");
  assert.deepEqual(tls.paths, [], "no request was sent over the unverified connection");
});
