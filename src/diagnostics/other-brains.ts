/**
 * The other brains on this host, cheaply: the light /proc scan (command lines, then the open
 * files of gateways only) behind the one-line notice of `gateway status` and `status`, and the
 * port-plan check a starting gateway logs. `onebrain doctor` has the full picture.
 */
import type { PortPlan } from "../paths/ports.ts";
import { plansOverlap } from "../paths/ports.ts";
import { defaultProcFs, type ProcFs } from "../proc/process.ts";
import { KIND_LABEL, runningPlan } from "./doctor/running-plan.ts";
import { scanHost, type RunningBrain } from "./doctor/host-scan.ts";

export interface OtherBrain {
  kind: RunningBrain["kind"];
  pid: number;
  user: string | null;
  stateDir: string | null;
  basePort: number | null;
}

export interface OtherBrains {
  brains: OtherBrain[];
  /** One line for the text output; null when no other brain runs here. */
  line: string | null;
}

/** A brain for the one-liners: kind, state dir or profile, pid and port. */
export function describeBrain(b: OtherBrain): string {
  const name = b.kind === "onebrain" ? `onebrain ${b.stateDir ?? "?"}` : KIND_LABEL[b.kind];
  return `${name} (pid ${b.pid}${b.basePort !== null ? `, :${b.basePort}` : ""})`;
}

/** Running brains other than the one of `stateDir` (wrappers and refused starts are not brains). */
export function findOtherBrains(stateDir: string, procFs: ProcFs = defaultProcFs): RunningBrain[] {
  return scanHost(procFs, { brainsOnly: true, except: { pid: process.pid, stateDir } }).brains.filter(
    // A onebrain process that neither holds a lock nor listens is a start being refused or still
    // on its way; another user's gateway (hidden from us) still counts.
    (b) => b.kind !== "onebrain" || b.holdsLock || b.ports.length > 0 || b.hidden,
  );
}

/** The notice for status: how many other brains run here, naming two, pointing to doctor. */
export function otherBrains(stateDir: string, procFs: ProcFs = defaultProcFs): OtherBrains {
  const brains = findOtherBrains(stateDir, procFs).map((b) => ({ kind: b.kind, pid: b.pid, user: b.user, stateDir: b.stateDir, basePort: b.basePort }));
  if (!brains.length) return { brains, line: null };
  const named = brains.slice(0, 2).map(describeBrain).join(", ");
  const more = brains.length > 2 ? ` and ${brains.length - 2} more` : "";
  const count = brains.length === 1 ? "1 other brain runs" : `${brains.length} other brains run`;
  return { brains, line: `${count} on this host: ${named}${more}; see \`onebrain doctor\`` };
}

/** The lowest and highest port of a plan. */
function bounds(plan: PortPlan): { first: number; last: number } {
  const ports = [plan.base, plan.browserControl, plan.canvas, plan.cdp.first, plan.cdp.last];
  return { first: Math.min(...ports), last: Math.max(...ports) };
}

/** How many ports a plan spans: bases at least this far apart never share a port (111 with the default offsets). */
export function planSpan(plan: PortPlan): number {
  const b = bounds(plan);
  return b.last - b.first + 1;
}

const RANGE: Record<string, string> = { gateway: "gateway", browserControl: "browser control", canvas: "canvas", cdp: "CDP" };

/**
 * Warnings for a starting gateway whose port plan shares ports with a running brain's: which
 * ranges clash, and what spacing of base ports is enough (a plan spans base..base+110, so
 * 20 ports apart is not).
 */
export function portPlanClashes(plan: PortPlan, stateDir: string, procFs: ProcFs = defaultProcFs): string[] {
  const out: string[] = [];
  for (const b of findOtherBrains(stateDir, procFs)) {
    const theirs = runningPlan(b);
    if (!theirs) continue;
    const { clashes } = plansOverlap(plan, theirs);
    if (!clashes.length) continue;
    const where = clashes.map((c) => `${RANGE[c.a]} ${c.first === c.last ? c.first : `${c.first}-${c.last}`} (its ${RANGE[c.b]})`).join(", ");
    const enough = Math.max(planSpan(plan), planSpan(theirs));
    const [mine, other] = [bounds(plan), bounds(theirs)];
    out.push(
      `this gateway's port plan (${mine.first}-${mine.last}) overlaps ${describeBrain({ ...b, basePort: theirs.base })} (${other.first}-${other.last}) at ${where}: ` +
        `keep base ports at least ${enough} apart (each plan spans ${enough} ports with its CDP range); set gateway.port or use --profile NAME`,
    );
  }
  return out;
}
