import { test } from "node:test";
import assert from "node:assert/strict";
import { getMetricsFromIterator, type PromHistogramData } from "prom2javascript";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { Registry } from "../../src/metrics/registry.ts";
import { parseWithPythonClient, pythonMissing } from "../helpers/prometheus-python.ts";

test("label values and help text with backslashes, quotes and newlines read back unchanged through a Prometheus parser", () => {
  const r = new Registry();
  const weird = 'C:\\DIR\\"FILE".TXT\nsecond line \\n not a newline';
  r.counter("odd_total", "Help with a \\ backslash\nand a newline", ["path"]).inc({ path: weird }, 3);
  const [family] = parsePrometheusTextFormat(r.render());
  assert.equal(family!.help, "Help with a \\ backslash\nand a newline");
  assert.deepEqual(family!.metrics, [{ value: "3", labels: { path: weird } }]);
});

test("the official Prometheus Python client reads back every label value, help text and special value unchanged", { skip: pythonMissing() ?? false }, () => {
  const r = new Registry();
  const values = ['q"uote', "back\\slash", "new\nline", "tab\tand\rcr", "ünï € 😀", "}{,=", "", "#", "a\\nb"];
  const c = r.counter("odd_total", 'Help with a \\ backslash,\na newline and "quotes"', ["v"]);
  values.forEach((v, i) => c.inc({ v }, i + 1));
  r.gauge("special", "NaN, infinities and tiny and huge numbers.", ["k"]).set({ k: "nan" }, NaN);
  const g = r.gauge("tiny_huge", "Exponents.", ["k"]);
  g.set({ k: "tiny" }, 1e-9);
  g.set({ k: "huge" }, 1e300);
  g.set({ k: "-inf" }, -Infinity);
  r.histogram("wait_seconds", "Waits.", ["m"], [0.1, 1]).observe({ m: "x" }, 5);
  const families = parseWithPythonClient(r.render());
  const odd = families.find((f) => f.name === "odd")!;
  assert.equal(odd.type, "counter");
  assert.equal(odd.documentation, 'Help with a \\ backslash,\na newline and "quotes"');
  assert.deepEqual(
    odd.samples.map((s) => [s.labels.v, s.value]),
    values.map((v, i) => [v, `${i + 1}.0`]),
  );
  const all = families.flatMap((f) => f.samples);
  assert.equal(all.find((s) => s.name === "special")!.value, "nan");
  assert.deepEqual(
    all.filter((s) => s.name === "tiny_huge").map((s) => s.value),
    ["1e-09", "1e+300", "-inf"],
  );
  assert.deepEqual(
    all.filter((s) => s.name.startsWith("wait_seconds")).map((s) => [s.name, s.labels.le ?? null, s.value]),
    [
      ["wait_seconds_bucket", "0.1", "0.0"],
      ["wait_seconds_bucket", "1", "0.0"],
      ["wait_seconds_bucket", "+Inf", "1.0"],
      ["wait_seconds_sum", null, "5.0"],
      ["wait_seconds_count", null, "1.0"],
    ],
  );
});

test("a histogram renders cumulative buckets up to +Inf with its sum and count, per label set", async () => {
  const r = new Registry();
  const h = r.histogram("wait_seconds", "Waits.", ["model"], [1, 0.1, 10]);
  for (const v of [0.05, 0.5, 0.5, 20]) h.observe({ model: "a/x" }, v);
  h.observe({ model: "b/y" }, 0.1);
  const m = await getMetricsFromIterator(r.render().split("\n")[Symbol.iterator]());
  const data = m.wait_seconds!.data as PromHistogramData[];
  const a = data.find((d) => d.labels.model === "a/x")!;
  assert.deepEqual(a.buckets, { "0.1": 1, "1": 3, "10": 3, "+Inf": 4 });
  assert.deepEqual([a.sum, a.count], [21.05, 4]);
  const b = data.find((d) => d.labels.model === "b/y")!;
  assert.deepEqual([b.buckets["0.1"], b.count], [1, 1]);
});

test("counters only go up, must end in _total, and names are checked when they are made", () => {
  const r = new Registry();
  const c = r.counter("things_total", "Things.");
  c.inc(undefined, 2);
  c.inc(undefined, -5);
  assert.equal(c.get(), 2);
  assert.throws(() => r.counter("things", "No suffix."), /must end in _total/);
  assert.throws(() => r.gauge("bad-name", "Dash."), /not valid/);
  assert.throws(() => r.gauge("g", "Label.", ["__reserved"]), /not valid/);
  assert.throws(() => r.histogram("h", "Le.", ["le"], [1]), /may not have a label "le"/);
  assert.throws(() => r.counter("things_total", "Twice."), /registered twice/);
});

test("a family without labels shows 0 before anything is recorded; one with labels shows only HELP and TYPE", () => {
  const r = new Registry();
  r.counter("quiet_total", "Nothing yet.");
  r.counter("by_channel_total", "Nothing yet either.", ["channel"]);
  assert.equal(
    r.render(),
    "# HELP quiet_total Nothing yet.\n# TYPE quiet_total counter\nquiet_total 0\n# HELP by_channel_total Nothing yet either.\n# TYPE by_channel_total counter\n",
  );
});
