/**
 * Read-only checks of a brain, each returning id, status, a one-line finding and a fix hint.
 * `status --deep` runs them; `doctor` (later) extends the same registry.
 */
import fs from "node:fs";
import type { BrainPaths } from "../paths/paths.ts";
import { planRanges, plansOverlap, type PortPlan } from "../paths/ports.ts";
import { describeListener, findListeners } from "../proc/listeners.ts";
import { identifyGateway } from "../lock/identify.ts";
import { siblingPlans } from "../setup/setup.ts";
import { validateConfigFile } from "../config/edit.ts";
import { proxyReport, type ProxyReport } from "../shared/proxy-env.ts";

export interface CheckResult {
  id: string;
  status: "ok" | "warn" | "fail";
  finding: string;
  fix?: string;
}

export interface CheckInput {
  paths: BrainPaths;
  plan: PortPlan | null;
  logFile: string;
  /** The running gateway's own proxy report (its environment is the one that counts), if it answered. */
  gatewayProxy?: ProxyReport | null;
  /** Read when no gateway answered. */
  env?: NodeJS.ProcessEnv;
}

export type Check = (input: CheckInput) => CheckResult;

const modeOf = (p: string): number | null => {
  try {
    return fs.statSync(p).mode & 0o777;
  } catch {
    return null;
  }
};

const octal = (m: number) => `0${m.toString(8)}`;

export const checks: Check[] = [
  function config({ paths }) {
    const r = validateConfigFile(paths);
    if (r.ok) return { id: "config", status: "ok", finding: r.exists ? `${paths.configPath} is valid` : "no config file: defaults apply" };
    return { id: "config", status: "fail", finding: r.error.message.split("\n").slice(0, 3).join(" "), fix: r.error.hint ?? "fix the file" };
  },
  function stateDirMode({ paths }) {
    const m = modeOf(paths.stateDir);
    if (m === null) return { id: "state-dir", status: "warn", finding: `${paths.stateDir} does not exist yet`, fix: "onebrain setup" };
    if (m & 0o077)
      return { id: "state-dir", status: "warn", finding: `${paths.stateDir} is ${octal(m)}: other users can look inside`, fix: `chmod 700 ${paths.stateDir}` };
    return { id: "state-dir", status: "ok", finding: `${paths.stateDir} is ${octal(m)}` };
  },
  function configMode({ paths }) {
    const m = modeOf(paths.configPath);
    if (m === null) return { id: "config-mode", status: "ok", finding: "no config file" };
    if (m & 0o077)
      return {
        id: "config-mode",
        status: "fail",
        finding: `${paths.configPath} is ${octal(m)}: secrets in it are readable by others`,
        fix: `chmod 600 ${paths.configPath}`,
      };
    return { id: "config-mode", status: "ok", finding: `config is ${octal(m)}` };
  },
  function portPlanOverlap({ paths, plan }) {
    if (!plan) return { id: "port-plan", status: "warn", finding: "port plan unknown (config broken)" };
    const clashes = siblingPlans(paths.home, paths).filter((s) => plansOverlap(plan, s.plan).overlap);
    if (clashes.length)
      return {
        id: "port-plan",
        status: "fail",
        finding: `ports overlap with ${clashes.map((c) => c.stateDir).join(", ")}`,
        fix: "give one brain another gateway.port (`onebrain --profile NAME config set gateway.port N`)",
      };
    return { id: "port-plan", status: "ok", finding: `ports ${plan.base}-${plan.cdp.last} overlap no other brain in ${paths.home}` };
  },
  function derivedPorts({ paths, plan }) {
    if (!plan) return { id: "ports", status: "warn", finding: "port plan unknown (config broken)" };
    const ranges = planRanges(plan).filter((r) => r.name !== "gateway");
    const taken = findListeners([])
      .map((l) => ({ l, range: ranges.find((r) => l.port >= r.first && l.port <= r.last) }))
      .filter((x) => x.range !== undefined)
      // A port held by this brain's own gateway is in use as planned, not in the way.
      .filter((x) => !(x.l.process && identifyGateway(x.l.process.pid)?.stateDir === paths.stateDir));
    if (taken.length === 0)
      return {
        id: "ports",
        status: "ok",
        finding: `browser control ${plan.browserControl}, canvas ${plan.canvas}, cdp ${plan.cdp.first}-${plan.cdp.last} are free`,
      };
    const first = taken.slice(0, 3).map((x) => `${x.range!.name} ${x.l.port}: ${describeListener(x.l)}`);
    return {
      id: "ports",
      status: "warn",
      finding: `${taken.length} planned port(s) in use by others: ${first.join("; ")}`,
      fix: "stop those processes, or move this brain with gateway.port / browser.controlPort / canvasHost.port",
    };
  },
  function logFile({ logFile }) {
    try {
      const st = fs.statSync(logFile);
      return { id: "log-file", status: "ok", finding: `${logFile} (${Math.round(st.size / 1024)} KB)` };
    } catch {
      return { id: "log-file", status: "ok", finding: `${logFile} not written yet` };
    }
  },
  function disk({ paths }) {
    try {
      const s = fs.statfsSync(fs.existsSync(paths.stateDir) ? paths.stateDir : paths.home);
      const free = s.bavail * s.bsize;
      const mb = Math.round(free / 1024 / 1024);
      return free < 200 * 1024 * 1024
        ? { id: "disk", status: "warn", finding: `only ${mb} MB free for the state dir`, fix: "free some disk space" }
        : { id: "disk", status: "ok", finding: `${mb} MB free` };
    } catch {
      return { id: "disk", status: "warn", finding: "free disk space unknown" };
    }
  },
  function outboundProxy({ gatewayProxy, env }) {
    const r = gatewayProxy ?? proxyReport(env);
    const whose = gatewayProxy ? "" : " (this shell's environment: no gateway answered)";
    const finding = `outbound proxy: ${r.line}${whose}`;
    if (r.problems.length)
      return {
        id: "outbound",
        status: "warn",
        finding: `${finding}; ${r.problems.join("; ")}`,
        fix: "set HTTPS_PROXY / HTTP_PROXY to an http://host:port proxy in the gateway's environment",
      };
    return { id: "outbound", status: "ok", finding };
  },
  function nodeVersion() {
    const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
    const ok = major > 22 || (major === 22 && minor >= 13);
    return ok
      ? { id: "node", status: "ok", finding: `Node ${process.versions.node}` }
      : { id: "node", status: "fail", finding: `Node ${process.versions.node} is older than 22.13`, fix: "install Node 24 LTS" };
  },
];

/** Runs every check; a check that throws is reported as a failure of that check. */
export function runChecks(input: CheckInput): CheckResult[] {
  return checks.map((check) => {
    try {
      return check(input);
    } catch (err) {
      return { id: check.name, status: "fail", finding: `check crashed: ${(err as Error).message}` };
    }
  });
}
