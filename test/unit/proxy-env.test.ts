/** Which requests take the outbound proxy: HTTPS_PROXY / HTTP_PROXY / NO_PROXY as curl reads them, loopback always direct. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeProxySettings, parseProxyUrl, proxyFor, proxyReport, proxySettings } from "../../src/shared/proxy-env.ts";

const via = (env: NodeJS.ProcessEnv, url: string) => proxyFor(proxySettings(env), new URL(url))?.origin ?? "direct";

test("https targets take HTTPS_PROXY and http targets HTTP_PROXY; the lower-case spelling wins; a bare host:port is http", () => {
  const env = { HTTPS_PROXY: "http://upper:3128", https_proxy: "lower:3129", HTTP_PROXY: "http://plain:8080" };
  assert.equal(via(env, "https://api.anthropic.com/v1/messages"), "http://lower:3129");
  assert.equal(via(env, "http://model.example:8000/v1"), "http://plain:8080");
  assert.equal(via({ HTTP_PROXY: "http://plain:8080" }, "https://api.telegram.org"), "direct", "HTTP_PROXY is not used for https");
  assert.equal(via({}, "https://api.openai.com"), "direct");
});

test("loopback is always direct, whatever the proxy variables say", () => {
  const env = { HTTPS_PROXY: "http://proxy:3128", HTTP_PROXY: "http://proxy:3128" };
  for (const url of [
    "http://127.0.0.1:11434/v1",
    "http://127.3.4.5/",
    "http://localhost:8080",
    "http://ollama.localhost/",
    "http://[::1]:8000/",
    "https://[::ffff:127.0.0.1]/",
  ]) {
    assert.equal(via(env, url), "direct", url);
  }
  assert.equal(via(env, "http://128.0.0.1/"), "http://proxy:3128");
});

test("NO_PROXY takes hosts, domains with or without a leading dot or *., ports, IPs, CIDR ranges and *", () => {
  const env = {
    HTTPS_PROXY: "http://proxy:3128",
    HTTP_PROXY: "http://proxy:3128",
    no_proxy: "internal.example, .corp.test *.lan  vllm:8000,10.0.0.0/8, 192.168.1.7,[fd00::1]",
    NO_PROXY: "ignored.example",
  };
  const cases: [string, string][] = [
    ["https://internal.example/", "direct"],
    ["https://api.internal.example/", "direct"],
    ["https://notinternal.example/", "http://proxy:3128"],
    ["https://corp.test/", "direct"],
    ["https://x.y.corp.test/", "direct"],
    ["http://printer.lan/", "direct"],
    ["http://vllm:8000/v1", "direct"],
    ["http://vllm:9000/v1", "http://proxy:3128"],
    ["http://10.20.30.40:8000/", "direct"],
    ["http://11.0.0.1/", "http://proxy:3128"],
    ["http://192.168.1.7/", "direct"],
    ["http://192.168.1.8/", "http://proxy:3128"],
    ["http://[fd00::1]:8080/", "direct"],
    ["https://ignored.example/", "http://proxy:3128"],
  ];
  for (const [url, expected] of cases) assert.equal(via(env, url), expected, url);
  assert.equal(via({ HTTPS_PROXY: "http://proxy:3128", NO_PROXY: "*" }, "https://api.openai.com/"), "direct");
});

test("the proxy's credentials become a Basic header and are never shown", () => {
  const p = parseProxyUrl("http://ada.lovelace:s%40cret@proxy.corp:3128");
  assert.ok(typeof p !== "string");
  assert.equal(p.authorization, `Basic ${Buffer.from("ada.lovelace:s@cret").toString("base64")}`);
  assert.equal(p.origin, "http://proxy.corp:3128");
  const line = describeProxySettings(proxySettings({ HTTPS_PROXY: "http://ada.lovelace:s%40cret@proxy.corp:3128", NO_PROXY: "internal.example" }));
  assert.equal(line, "http://ad…:***@proxy.corp:3128 for https (from HTTPS_PROXY), NO_PROXY: internal.example, loopback direct");
  assert.ok(!line.includes("s%40cret") && !line.includes("s@cret") && !line.includes("lovelace"));
});

test("a proxy whose credentials hold a malformed %-escape is reported as unusable, without its credentials, and nothing throws", () => {
  const s = proxySettings({ HTTPS_PROXY: "http://ada:50%zz@proxy.corp:3128", http_proxy: "http://ada%E0%A4%A@proxy.corp:3128" });
  assert.deepEqual([s.https, s.http], [null, null]);
  assert.equal(s.problems.length, 2);
  assert.match(s.problems[0]!, /^HTTPS_PROXY: the user name or password has a malformed %-escape/);
  assert.match(s.problems[1]!, /^http_proxy: the user name or password has a malformed %-escape/);
  assert.ok(!s.problems.join(" ").includes("50%zz") && !s.problems.join(" ").includes("ada"));
  assert.match(proxyReport({ HTTPS_PROXY: "http://ada:50%zz@proxy.corp:3128" }).line, /^none/);
});

test("an empty lower-case variable turns the proxy off even when the upper-case one is set (curl's rule: the lower-case spelling wins)", () => {
  const s = proxySettings({ https_proxy: "", HTTPS_PROXY: "http://proxy.corp:3128", http_proxy: " ", HTTP_PROXY: "http://proxy.corp:3128" });
  assert.deepEqual([s.https, s.http, s.problems], [null, null, []]);
  assert.equal(proxySettings({ HTTPS_PROXY: "http://proxy.corp:3128" }).https?.source, "HTTPS_PROXY");
});

test("an unusable proxy value is reported, not used", () => {
  const s = proxySettings({ HTTPS_PROXY: "socks5://127.0.0.1:1080", HTTP_PROXY: "http://:nope" });
  assert.equal(s.https, null);
  assert.equal(s.problems.length, 2);
  assert.match(s.problems[0]!, /^HTTPS_PROXY: socks5:\/\/ proxies are not supported/);
  assert.equal(describeProxySettings(proxySettings({})), "none: every request goes direct");
});
