import assert from "node:assert/strict";
import type { LookupAddress } from "node:dns";
import { test } from "node:test";
import { classifyAddress, embeddedIPv4, Guard, Refused } from "../../../src/agent/tools/web/ssrf.ts";
import { fakeDns } from "./web-servers.ts";

const strict = new Guard({ allowPrivateNetwork: false, allowedHosts: [] });

test("classifies every non-public range and names it", () => {
  const cases: [string, RegExp][] = [
    ["10.1.2.3", /private/],
    ["172.16.0.1", /private/],
    ["172.31.255.254", /private/],
    ["192.168.1.1", /private/],
    ["127.0.0.1", /loopback/],
    ["127.255.0.9", /loopback/],
    ["::1", /loopback/],
    ["169.254.10.10", /link-local/],
    ["fe80::1", /link-local/],
    ["fe80::1%eth0", /link-local/],
    ["100.64.0.1", /carrier-grade NAT/],
    ["100.127.255.254", /carrier-grade NAT/],
    ["fc00::1", /unique-local/],
    ["fd12:3456::1", /unique-local/],
    ["0.0.0.0", /this host/],
    ["0.1.2.3", /this host/],
    ["::", /unspecified/],
    ["224.0.0.1", /multicast/],
    ["239.255.255.250", /multicast/],
    ["ff02::1", /multicast/],
    ["255.255.255.255", /broadcast/],
    ["240.0.0.1", /reserved/],
    ["192.0.2.10", /documentation/],
    ["2001:db8::1", /documentation/],
    ["198.18.0.1", /benchmarking/],
    ["fec0::1", /reserved/],
    ["169.254.169.254", /cloud metadata/],
    ["fd00:ec2::254", /cloud metadata/],
    ["100.100.100.200", /cloud metadata/],
  ];
  for (const [ip, why] of cases) assert.match(classifyAddress(ip)?.why ?? "public", why, ip);
});

test("leaves public addresses alone", () => {
  for (const ip of ["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "2a00:1450:4001::200e"])
    assert.equal(classifyAddress(ip), null, ip);
});

test("maps IPv4-mapped, NAT64 and 6to4 addresses back to the IPv4 address they reach", () => {
  assert.equal(embeddedIPv4("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(embeddedIPv4("::ffff:7f00:1"), "127.0.0.1");
  assert.equal(embeddedIPv4("64:ff9b::a9fe:a9fe"), "169.254.169.254");
  assert.equal(embeddedIPv4("64:ff9b::10.0.0.1"), "10.0.0.1");
  assert.equal(embeddedIPv4("2002:c0a8:101::1"), "192.168.1.1");
  assert.equal(embeddedIPv4("2606:4700::1"), null);
  assert.match(classifyAddress("::ffff:7f00:1")!.why, /maps to 127\.0\.0\.1, a loopback address/);
  assert.equal(classifyAddress("64:ff9b::169.254.169.254")!.metadata, true);
  assert.match(classifyAddress("::ffff:10.0.0.1")!.why, /private/);
  assert.equal(classifyAddress("::ffff:8.8.8.8"), null);
  assert.equal(classifyAddress("64:ff9b::808:808"), null);
});

test("refuses every spelling of loopback that URL parsing turns into a literal address", () => {
  for (const href of [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://127.000.000.001/",
    "http://127.0.0.1./",
    "http://127.0.0.1%2e/",
    "http://\uff11\uff12\uff17.0.0.1/",
    "http://[::127.0.0.1]/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "https://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
  ])
    assert.match(strict.checkUrl(new URL(href)) ?? "allowed", /^Refused: /, href);
});

test("refuses other schemes and URLs with credentials, and lets public URLs on any port through", () => {
  for (const href of ["file:///etc/passwd", "ftp://example.com/", "gopher://example.com/", "data:text/plain,hi", "javascript:alert(1)"])
    assert.match(strict.checkUrl(new URL(href)) ?? "allowed", /http:\/\/ and https:\/\/ pages only/, href);
  assert.match(strict.checkUrl(new URL("http://user:secret@example.com/"))!, /without credentials/);
  assert.doesNotMatch(strict.checkUrl(new URL("http://user:secret@example.com/"))!, /secret/);
  assert.equal(strict.checkUrl(new URL("https://example.com:8443/x")), null);
  assert.equal(strict.checkUrl(new URL("http://8.8.8.8:25/")), null);
});

test("allowPrivateNetwork opens private ranges but never the cloud metadata addresses", () => {
  const open = new Guard({ allowPrivateNetwork: true, allowedHosts: [] });
  for (const ip of ["10.0.0.1", "127.0.0.1", "::1", "192.168.0.10", "fd12::1"]) assert.equal(open.checkAddress(ip, ip), null, ip);
  for (const ip of ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254"]) {
    const why = open.checkAddress(ip, ip);
    assert.match(why ?? "allowed", /cloud metadata/, ip);
    assert.doesNotMatch(why!, /allowPrivateNetwork/, "metadata is not opened by allowPrivateNetwork, so it is not offered");
  }
  assert.equal(new Guard({ allowPrivateNetwork: true, allowedHosts: ["169.254.169.254"] }).checkAddress("169.254.169.254", "169.254.169.254"), null);
});

test("allowedHosts lets listed names, addresses and ranges through and nothing beside them", () => {
  const g = new Guard({ allowPrivateNetwork: false, allowedHosts: ["NAS.home.", "10.1.0.0/16", "192.168.1.5", "[fd00::7]"] });
  assert.equal(g.checkAddress("nas.home", "192.168.1.99"), null, "a listed name may resolve to any address");
  assert.match(g.checkAddress("printer.home", "192.168.1.99")!, /private.*printer\.home resolves to it/);
  assert.equal(g.checkAddress("10.1.2.3", "10.1.2.3"), null);
  assert.match(g.checkAddress("10.2.0.1", "10.2.0.1")!, /private/);
  assert.equal(g.checkAddress("files.home", "192.168.1.5"), null, "a listed address is allowed whatever name led to it");
  assert.equal(g.checkAddress("x", "::ffff:192.168.1.5"), null, "also in its IPv4-mapped form");
  assert.equal(g.checkAddress("fd00::7", "fd00::7"), null);
  assert.equal(g.checkUrl(new URL("http://[fd00::7]:8080/")), null);
});

/** Runs the guard's lookup the way node:net does (all: true when it races address families). */
function resolve(guard: Guard, base: ReturnType<typeof fakeDns>["lookup"], host: string, all = true): Promise<LookupAddress[] | string> {
  return new Promise((ok, fail) => guard.lookup(base)(host, { all }, (err, answer) => (err ? fail(err) : ok(answer as LookupAddress[] | string))));
}

test("refuses a name when any one of its addresses is forbidden", async () => {
  const dns = fakeDns({ "multi.test": ["93.184.216.34", "10.0.0.5"], "six.test": ["2606:4700::1", "::1"] });
  await assert.rejects(
    resolve(strict, dns.lookup, "multi.test"),
    (e: Error) => e instanceof Refused && /10\.0\.0\.5 is a private address \(multi\.test resolves to it\)/.test(e.message),
  );
  await assert.rejects(resolve(strict, dns.lookup, "six.test", false), Refused);
});

test("hands the socket exactly the answer it vetted, and vets every lookup afresh", async () => {
  // A rebinding name: public for the first question, loopback for any later one.
  const dns = fakeDns({ "rebind.test": (n) => (n === 1 ? ["93.184.216.34"] : ["127.0.0.1"]) });
  assert.deepEqual(await resolve(strict, dns.lookup, "rebind.test"), [{ address: "93.184.216.34", family: 4 }]);
  assert.equal(dns.calls.get("rebind.test"), 1, "one DNS question per connection: the vetted answer is the one connected to");
  await assert.rejects(resolve(strict, dns.lookup, "rebind.test"), /127\.0\.0\.1 is a loopback address/);
  const single = fakeDns({ "one.test": ["93.184.216.34", "8.8.8.8"] });
  assert.equal(await resolve(strict, single.lookup, "one.test", false), "93.184.216.34");
});

test("passes a DNS failure through and treats an empty answer as not found", async () => {
  const dns = fakeDns({});
  await assert.rejects(resolve(strict, dns.lookup, "nowhere.test"), { code: "ENOTFOUND" });
  const empty = fakeDns({ "empty.test": [] });
  await assert.rejects(resolve(strict, empty.lookup, "empty.test"), { code: "ENOTFOUND" });
});
