/**
 * The official Prometheus Python client's text parser (`prometheus_client.parser`, Debian package
 * python3-prometheus-client, installed by `scripts/install.sh --test-tools`), run as a real
 * process over an exposition: what a scraper reads, not what our own code believes it wrote.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";

export interface PySample {
  name: string;
  labels: Record<string, string>;
  /** The value as Python's repr of a float: "3.0", "nan", "inf", "-inf". */
  value: string;
}

export interface PyFamily {
  name: string;
  type: string;
  documentation: string;
  samples: PySample[];
}

const SCRIPT = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "documentation": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": repr(float(s.value))} for s in f.samples]})
json.dump(out, sys.stdout)
`;

/**
 * The python3 to run: Debian's /usr/bin/python3 first (where python3-prometheus-client installs),
 * else the first on PATH; null when there is none at all.
 */
export function pythonForPrometheus(): string | null {
  if (fs.existsSync("/usr/bin/python3")) return "/usr/bin/python3";
  return spawnSync("python3", ["--version"]).status === 0 ? "python3" : null;
}

/** Why a test that needs the parser cannot run here (no python3), or null when it can. */
export function pythonMissing(): string | null {
  return pythonForPrometheus() === null ? "python3 is not installed: the official Prometheus parser cannot be run (scripts/install.sh --test-tools)" : null;
}

/**
 * Parses `text` with the official client and returns every family; throws with the parser's own
 * message when it rejects a line, or says which package to install when the module is missing.
 */
export function parseWithPythonClient(text: string): PyFamily[] {
  const python = pythonForPrometheus();
  if (!python) throw new Error("python3 is not installed");
  const r = spawnSync(python, ["-c", SCRIPT], { input: text, encoding: "utf8", timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    if (/No module named 'prometheus_client'/.test(r.stderr))
      throw new Error(`${python} has no prometheus_client: apt-get install python3-prometheus-client (scripts/install.sh --test-tools)`);
    throw new Error(`the Prometheus Python client rejected the exposition (exit ${r.status}):\n${r.stderr}`);
  }
  return JSON.parse(r.stdout) as PyFamily[];
}

/** The sample lines of an exposition (not comments, not blank). */
export function sampleLines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}
