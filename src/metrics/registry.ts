/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Recording is a Map lookup and an addition, so instruments cost next to nothing while nobody
 * scrapes; all formatting happens in `render()`. No dependency: prom-client would bring
 * @opentelemetry/api and tdigest and a default registry we would have to keep out of tests, for
 * the three types used here.
 */

/** The Content-Type of what `render()` returns. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values by label name. */
export type Labels<L extends string> = { readonly [K in L]: string };

type Kind = "counter" | "gauge" | "histogram";

/** `\` and newline in HELP text; also `"` in label values (the format's only escapes). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Escapes a label value for the text format. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A sample value as Go's ParseFloat reads it: +Inf, -Inf, NaN or a plain number. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return pairs.length ? `{${pairs.join(",")}}` : "";
}

/** What every metric family has: a name, help, type and label names, and its series by label values. */
abstract class Family<L extends string, S> {
  protected readonly series = new Map<string, { values: string[]; state: S }>();

  readonly name: string;
  readonly help: string;
  readonly kind: Kind;
  readonly labelNames: readonly L[];

  constructor(name: string, help: string, kind: Kind, labelNames: readonly L[]) {
    this.name = name;
    this.help = help;
    this.kind = kind;
    this.labelNames = labelNames;
    if (!METRIC_NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not valid in Prometheus`);
    for (const l of labelNames)
      if (!LABEL_NAME.test(l) || l.startsWith("__")) throw new Error(`label name ${JSON.stringify(l)} of ${name} is not valid in Prometheus`);
  }

  protected abstract fresh(): S;

  /** The state of one series, created on first use. */
  protected at(labels: Labels<L> | undefined): S {
    const values = this.labelNames.map((n) => String(labels?.[n] ?? ""));
    const key = values.join("\u0000");
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { values, state: this.fresh() }));
    return s.state;
  }

  /** The sample lines of this family (without HELP and TYPE). */
  abstract samples(): string[];

  /** HELP, TYPE and samples. A family without labels always shows a sample (0 before any record). */
  render(): string {
    if (this.labelNames.length === 0 && this.series.size === 0) this.at(undefined);
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.kind}`, ...this.samples()].join("\n");
  }
}

/** A count that only goes up (until the process restarts). Its name must end in `_total`. */
export class Counter<L extends string = never> extends Family<L, { v: number }> {
  constructor(name: string, help: string, labelNames: readonly L[] = []) {
    if (!name.endsWith("_total")) throw new Error(`counter ${name} must end in _total`);
    super(name, help, "counter", labelNames);
  }
  protected fresh() {
    return { v: 0 };
  }
  /** Adds `by` (default 1; negative amounts are ignored: a counter never goes down). Adding 0 makes the series visible. */
  inc(labels?: Labels<L>, by = 1): void {
    const s = this.at(labels);
    if (by > 0) s.v += by;
  }
  /** The current value of one series (0 if never recorded). */
  get(labels?: Labels<L>): number {
    return this.at(labels).v;
  }
  samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(this.labelNames, s.values)} ${formatValue(s.state.v)}`);
  }
}

/** A value that goes up and down; the gateway sets most of them at scrape time. */
export class Gauge<L extends string = never> extends Family<L, { v: number }> {
  constructor(name: string, help: string, labelNames: readonly L[] = []) {
    super(name, help, "gauge", labelNames);
  }
  protected fresh() {
    return { v: 0 };
  }
  set(labels: Labels<L> | undefined, value: number): void {
    this.at(labels).v = value;
  }
  samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(this.labelNames, s.values)} ${formatValue(s.state.v)}`);
  }
}

/** Observations counted into fixed buckets, with their sum and count (`_bucket{le}`, `_sum`, `_count`). */
export class Histogram<L extends string = never> extends Family<L, { counts: number[]; sum: number; count: number }> {
  readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]) {
    if ((labelNames as readonly string[]).includes("le")) throw new Error(`histogram ${name} may not have a label "le"`);
    super(name, help, "histogram", labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  protected fresh() {
    return { counts: Array.from({ length: this.buckets.length }, () => 0), sum: 0, count: 0 };
  }
  observe(labels: Labels<L> | undefined, value: number): void {
    const s = this.at(labels);
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  samples(): string[] {
    const out: string[] = [];
    for (const { values, state } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += state.counts[i]!;
        out.push(`${this.name}_bucket${labelText(this.labelNames, values, ["le", formatValue(b)])} ${cumulative}`);
      });
      out.push(`${this.name}_bucket${labelText(this.labelNames, values, ["le", "+Inf"])} ${state.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatValue(state.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, values)} ${state.count}`);
    }
    return out;
  }
}

/** A set of metric families rendered together; names are unique within it. */
export class Registry {
  private readonly families = new Map<string, { readonly name: string; render(): string }>();

  private add<F extends { readonly name: string; render(): string }>(f: F): F {
    if (this.families.has(f.name)) throw new Error(`metric ${f.name} is registered twice`);
    this.families.set(f.name, f);
    return f;
  }
  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.add(new Counter<L>(name, help, labelNames));
  }
  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.add(new Gauge<L>(name, help, labelNames));
  }
  histogram<L extends string = never>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> {
    return this.add(new Histogram<L>(name, help, labelNames, buckets));
  }
  /** The names of the registered families, in registration order. */
  names(): string[] {
    return [...this.families.keys()];
  }
  /** Every family in the text format, each ending with a newline. */
  render(): string {
    return [...this.families.values()].map((f) => `${f.render()}\n`).join("");
  }
}
