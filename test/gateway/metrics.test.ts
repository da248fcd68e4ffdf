import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { getMetricsFromIterator, type PromData, type PromHistogramData, type PromMetrics } from "prom2javascript";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { connectGateway, type GatewayConnection } from "../../src/client/gateway-client.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { repoRoot, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { parseWithPythonClient, pythonMissing, sampleLines } from "../helpers/prometheus-python.ts";

const fake = new FakeModelServer();
const running: RunningGateway[] = [];
before(() => fake.start());
after(async () => {
  await Promise.all(running.map((g) => g.stop()));
  await fake.close();
});

const MODEL_KEY = "sk-metrics-test-KEY-0123456789abcdef";
const TOKEN = "metrics-test-token-0123456789abcdef";

async function gateway(extra: Record<string, unknown> = {}): Promise<RunningGateway> {
  const g = await startGateway({
    config: { models: { primary: "fake/echo-1", retries: 0, providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl, apiKey: MODEL_KEY } } }, ...extra },
  });
  running.push(g);
  return g;
}

async function scrape(port: number, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** Parses with two independent Prometheus text parsers: prom2javascript (keeps histogram labels) and parse-prometheus-text-format (a port of the Python client's). */
async function parse(text: string): Promise<PromMetrics> {
  const families = parsePrometheusTextFormat(text);
  assert.ok(families.length > 10, "parse-prometheus-text-format read the exposition");
  return getMetricsFromIterator(text.split("\n")[Symbol.iterator]());
}

function value(m: PromMetrics, name: string, labels: Record<string, string> = {}): number | undefined {
  const data = (m[name]?.data ?? []) as PromData[];
  return data.find((d) => Object.entries(labels).every(([k, v]) => d.labels[k] === v))?.value;
}

async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function finals(c: GatewayConnection, n: number): Promise<void> {
  await until(async () => c.events.filter((e) => e.event === "chat" && ["final", "error"].includes((e.payload as { state: string }).state)).length >= n);
}

test("/metrics after chat traffic counts messages, duplicates, runs by outcome, deliveries, model latency and tokens, as two real parsers read it", async () => {
  fake.reset();
  const g = await gateway();
  const c = await connectGateway({ url: `ws://127.0.0.1:${g.port}`, clientId: "metrics-tab", mode: "webchat" });
  await c.request("chat.send", { text: "first message", idempotencyKey: "m-1" });
  await finals(c, 1);
  fake.queue({ kind: "status", status: 400, message: "bad request" });
  await c.request("chat.send", { text: "second", idempotencyKey: "m-2" });
  await finals(c, 2);
  await c.request("chat.send", { text: "third one here", idempotencyKey: "m-3" });
  await finals(c, 3);
  assert.equal((await c.request<{ status: string }>("chat.send", { text: "first message", idempotencyKey: "m-1" })).status, "duplicate");
  await c.request("chat.send", { text: "/new", idempotencyKey: "m-4" });
  await finals(c, 4);

  let m: PromMetrics = {};
  let res = await scrape(g.port);
  await until(async () => {
    res = await scrape(g.port);
    m = await parse(res.text);
    return value(m, "onebrain_replies_delivered_total", { channel: "webchat" }) === 4;
  });
  assert.equal(res.status, 200);
  assert.equal(res.type, "text/plain; version=0.0.4; charset=utf-8");

  const doc = fs.readFileSync(path.join(repoRoot, "docs/metrics.md"), "utf8");
  for (const [name, family] of Object.entries(m)) {
    assert.ok(doc.includes(`\`${name}\``), `${name} is described in docs/metrics.md`);
    assert.ok(family.help.length > 0, `${name} has # HELP`);
    assert.ok(["counter", "gauge", "histogram"].includes(family.type), `${name} has # TYPE (${family.type})`);
    if (family.type === "counter") assert.match(name, /_total$/);
  }
  assert.equal(value(m, "onebrain_inbound_messages_total", { channel: "webchat" }), 4);
  assert.equal(value(m, "onebrain_inbound_duplicates_total", { channel: "webchat" }), 1);
  assert.equal(value(m, "onebrain_agent_runs_total", { outcome: "reply" }), 2);
  assert.equal(value(m, "onebrain_agent_runs_total", { outcome: "error" }), 1);
  assert.equal(value(m, "onebrain_agent_runs_total", { outcome: "notice" }), 1);
  assert.equal(value(m, "onebrain_replies_failed_total", { channel: "webchat" }) ?? 0, 0);
  assert.equal(value(m, "onebrain_outbox_pending_replies", { channel: "webchat" }), 0);
  assert.equal(value(m, "onebrain_outbox_failed_replies", { channel: "webchat" }), 0);
  assert.equal(value(m, "onebrain_outbox_in_doubt_replies", { channel: "webchat" }), 0);

  const latency = m["onebrain_model_request_duration_seconds"]!.data as PromHistogramData[];
  const ok = latency.find((h) => h.labels.model === "fake/echo-1" && h.labels.outcome === "ok")!;
  const failed = latency.find((h) => h.labels.model === "fake/echo-1" && h.labels.outcome === "error")!;
  assert.deepEqual([ok.count, failed.count], [2, 1]);
  assert.equal(ok.buckets["+Inf"], 2);
  const answered = fake.requests.filter((r) => r.usage);
  assert.equal(answered.length, 2);
  assert.equal(
    value(m, "onebrain_model_tokens_total", { model: "fake/echo-1", direction: "input" }),
    answered.reduce((n, r) => n + r.usage!.input, 0),
  );
  assert.equal(
    value(m, "onebrain_model_tokens_total", { model: "fake/echo-1", direction: "output" }),
    answered.reduce((n, r) => n + r.usage!.output, 0),
  );

  assert.equal(value(m, "onebrain_channel_up", { channel: "webchat" }), 1);
  assert.equal(value(m, "onebrain_ws_clients"), 1);
  assert.equal(value(m, "onebrain_ws_connections_total"), 1);
  assert.equal(value(m, "onebrain_brain_lock_held"), 1);
  assert.ok(value(m, "process_resident_memory_bytes")! > 10_000_000);
  assert.ok(Math.abs(value(m, "process_start_time_seconds")! - Date.now() / 1000) < 600, "process start time is in seconds since the epoch");
  assert.ok(value(m, "nodejs_eventloop_lag_p99_seconds")! >= 0);
  assert.ok(!res.text.includes(MODEL_KEY) && !res.text.includes(MODEL_KEY.slice(-8)), "no API key in /metrics");
  await c.close();
});

test("a /metrics scrape after chat traffic is read whole by the official Prometheus Python client", { skip: pythonMissing() ?? false }, async () => {
  fake.reset();
  const g = await gateway();
  const c = await connectGateway({ url: `ws://127.0.0.1:${g.port}`, clientId: "metrics-py", mode: "webchat" });
  await c.request("chat.send", { text: "hello", idempotencyKey: "py-1" });
  await finals(c, 1);
  const res = await scrape(g.port);
  await c.close();
  const families = parseWithPythonClient(res.text);
  const samples = families.flatMap((f) => f.samples);
  assert.equal(samples.length, sampleLines(res.text).length, "every sample line is read as one sample");
  for (const f of families) {
    // The client names a counter family without its _total; the exposition's TYPE line names it with.
    const typed = new RegExp(`^# TYPE ${f.name}(_total)? ${f.type}$`, "m");
    assert.match(res.text, typed, `${f.name} has the type the parser read`);
    assert.ok(f.documentation.length > 0, `${f.name} has its HELP`);
  }
  const sample = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.equal(sample("onebrain_inbound_messages_total", { channel: "webchat" }), "1.0");
  assert.equal(sample("onebrain_ws_connections_total"), "1.0");
  assert.equal(sample("onebrain_build_info", { node: process.versions.node }), "1.0");
  const ok = { model: "fake/echo-1", outcome: "ok" };
  assert.equal(sample("onebrain_model_request_duration_seconds_bucket", { ...ok, le: "+Inf" }), "1.0");
  assert.equal(sample("onebrain_model_request_duration_seconds_count", ok), "1.0");
});

test("/metrics is open to local callers of a gateway without auth, refused (401) to a proxied one, and wants the token when one is set", async () => {
  const open = await gateway();
  assert.equal((await scrape(open.port)).status, 200);
  const proxied = await scrape(open.port, { "x-forwarded-for": "203.0.113.7" });
  assert.equal(proxied.status, 401);
  assert.ok(!proxied.text.includes("onebrain_"), "a refused scrape shows no metric");

  const locked = await gateway({ gateway: { auth: { mode: "token", token: TOKEN } } });
  const anonymous = await scrape(locked.port);
  assert.equal(anonymous.status, 401);
  assert.ok(!anonymous.text.includes("onebrain_"));
  assert.equal((await scrape(locked.port, { authorization: "Bearer wrong-token" })).status, 401);
  const authed = await scrape(locked.port, { authorization: `Bearer ${TOKEN}` });
  assert.equal(authed.status, 200);
  await parse(authed.text);
  assert.ok(!authed.text.includes(TOKEN) && !authed.text.includes(TOKEN.slice(-8)), "the token never appears");
  const head = await fetch(`http://127.0.0.1:${locked.port}/metrics`, { method: "HEAD", headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(head.status, 200);
});
