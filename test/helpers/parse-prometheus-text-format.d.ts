// Types for the untyped parse-prometheus-text-format (a port of the Prometheus Python client's parser), as its README describes its output.
declare module "parse-prometheus-text-format" {
  interface Sample {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  interface Family {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: Sample[];
  }
  /** Parses a text exposition; throws InvalidLineError on a line it cannot read. */
  export default function parsePrometheusTextFormat(text: string): Family[];
}
