/** Who a request comes from: X-Forwarded-For is believed only from trusted proxies, and a proxied request is never local. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { clientInfo, hostAllowed, originAllowed, proxyMatcher } from "../../src/server/client.ts";

function req(peer: string, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

test("a direct loopback request is local and attributed to its peer", () => {
  assert.deepEqual(clientInfo(req("127.0.0.1"), proxyMatcher([])), { address: "127.0.0.1", peer: "127.0.0.1", local: true, proxied: false });
  assert.equal(clientInfo(req("::ffff:127.0.0.1"), proxyMatcher([])).local, true);
  assert.equal(clientInfo(req("192.0.2.10"), proxyMatcher([])).local, false);
});

test("X-Forwarded-For from a peer that is not a trusted proxy is ignored", () => {
  const info = clientInfo(req("127.0.0.1", { "x-forwarded-for": "203.0.113.9" }), proxyMatcher(["10.0.0.0/8"]));
  assert.deepEqual(info, { address: "127.0.0.1", peer: "127.0.0.1", local: false, proxied: true });
});

test("X-Forwarded-For from a trusted proxy names the right-most untrusted hop", () => {
  const trusted = proxyMatcher(["10.0.0.0/8", "192.0.2.1"]);
  const direct = clientInfo(req("10.1.2.3", { "x-forwarded-for": "203.0.113.9" }), trusted);
  assert.equal(direct.address, "203.0.113.9");
  assert.equal(direct.local, false);
  // The client forged the first hop; our proxies appended the real one, then their own.
  const chained = clientInfo(req("10.1.2.3", { "x-forwarded-for": "1.1.1.1, 203.0.113.9, 192.0.2.1" }), trusted);
  assert.equal(chained.address, "203.0.113.9");
  const mapped = clientInfo(req("::ffff:10.1.2.3", { "x-forwarded-for": "203.0.113.9" }), trusted);
  assert.equal(mapped.address, "203.0.113.9", "an IPv4-mapped peer matches its IPv4 entry");
});

test("a trusted proxy that sends only Forwarded leaves the peer as the address", () => {
  const info = clientInfo(req("10.1.2.3", { forwarded: "for=203.0.113.9" }), proxyMatcher(["10.0.0.0/8"]));
  assert.equal(info.address, "10.1.2.3");
  assert.equal(info.local, false);
});

test("trusted proxies accept IPv4 and IPv6 addresses and CIDRs", () => {
  const m = proxyMatcher(["192.0.2.7", "10.0.0.0/8", "fd00::/8", "::1"]);
  assert.deepEqual(m.invalid, []);
  assert.equal(m.matches("192.0.2.7"), true);
  assert.equal(m.matches("192.0.2.8"), false);
  assert.equal(m.matches("10.255.0.1"), true);
  assert.equal(m.matches("fd12::1"), true);
  assert.equal(m.matches("fe80::1"), false);
  assert.equal(m.matches("::1"), true);
  assert.equal(m.matches("not-an-address"), false);
});

test("malformed trusted proxy entries are reported and trust nobody, instead of throwing or trusting everyone", () => {
  const bad = ["proxy.example", "10.0.0.0/33", "10.0.0.0/abc", "10.0.0.1/", "10.0.0.0/-1", "fd00::/129", "10.0.0.0/8/8", "10.0.0.0/ 8"];
  const m = proxyMatcher(bad);
  assert.deepEqual(m.invalid, bad);
  for (const a of ["8.8.8.8", "10.0.0.1", "fd00::1"]) assert.equal(m.matches(a), false, `${a} must not be trusted`);
  const mixed = proxyMatcher(["10.0.0.0/8", "10.0.0.0/99"]);
  assert.deepEqual(mixed.invalid, ["10.0.0.0/99"]);
  assert.equal(mixed.matches("10.9.9.9"), true);
});

test("originAllowed takes the gateway's own loopback origins and the configured ones, nothing else", () => {
  assert.equal(originAllowed(undefined, 18789, []), true);
  assert.equal(originAllowed("http://[::1]:18789", 18789, []), true);
  assert.equal(originAllowed("https://localhost:18789/", 18789, []), true);
  assert.equal(originAllowed("http://localhost:18790", 18789, []), false);
  assert.equal(originAllowed("https://app.example", 18789, ["https://app.example/"]), true);
  assert.equal(originAllowed("http://app.example", 18789, ["https://app.example"]), false);
  assert.equal(originAllowed("not a url", 18789, ["not a url"]), false);
});

test("hostAllowed takes loopback names and addresses on any port, the listen addresses and allowedHosts; a rebound name never", () => {
  for (const h of [
    "localhost",
    "localhost:18789",
    "LocalHost.",
    "app.localhost:3000",
    "127.0.0.1",
    "127.8.9.10:1",
    "[::1]:18789",
    "[::ffff:127.0.0.1]",
    "127.1",
  ]) {
    assert.equal(hostAllowed(h, [], []), true, h);
  }
  for (const h of ["evil.example", "127.0.0.1.nip.io", "localhost.evil.example", "[::ffff:10.0.0.1]", "10.0.0.5", "", "user@localhost", "localhost/x", "a b"]) {
    assert.equal(hostAllowed(h, [], []), false, JSON.stringify(h));
  }
  assert.equal(hostAllowed("10.0.0.5:18789", ["10.0.0.5"], []), true, "a listen address");
  assert.equal(hostAllowed("Brain.Example.com:443", [], ["brain.example.com"]), true, "allowedHosts, case and port ignored");
  assert.equal(hostAllowed("brain.example.com.evil", [], ["brain.example.com"]), false);
  assert.equal(hostAllowed(undefined, [], []), true, "no Host: not a browser");
});

test("an X-Forwarded-For hop that is not an address is kept short: it is client text that reaches logs and the limiter", () => {
  const info = clientInfo(req("10.1.2.3", { "x-forwarded-for": `${"z".repeat(10_000)}, 10.0.0.9` }), proxyMatcher(["10.0.0.0/8"]));
  assert.ok(info.address.length < 100, `address of ${info.address.length} chars`);
  assert.match(info.address, /^z{64}…\[9936 more chars\]$/);
});
