/**
 * Check 4: every port of this brain's plan (base, browser control, canvas, CDP range) is free,
 * held by this brain, or held by someone named (from /proc/net/tcp and /proc/PID/fd, no `ss`);
 * and the plan overlaps no other brain's on this host (every user's state dirs).
 */
import path from "node:path";
import { loadConfig } from "../../config/load.ts";
import { planRanges, plansOverlap, portPlan, type PortPlan } from "../../paths/ports.ts";
import type { HostListener } from "./host-scan.ts";
import type { DoctorCheck, DoctorContext } from "./types.ts";

/** One phrase naming who holds a listening socket. */
export function whoListens(ctx: DoctorContext, l: HostListener): string {
  const where = `${l.address.includes(":") ? `[${l.address}]` : l.address}:${l.port}`;
  if (l.pid === null) return `an unidentified process on ${where}${ctx.uid === 0 ? "" : " (run as root to see it)"}`;
  const browser = ctx.host().browsers.find((b) => b.pid === l.pid && b.brain);
  if (browser?.brain)
    return `pid ${l.pid} (the browser of ${browser.brain.stateDir === ctx.paths.stateDir ? "this brain" : `brain ${browser.brain.stateDir}`}, profile ${browser.brain.profile}) on ${where}`;
  const brain = ctx.host().brains.find((b) => b.pid === l.pid);
  if (brain) return `pid ${l.pid} (${brain.kind === "onebrain" ? `onebrain gateway of ${brain.stateDir ?? "?"}` : `${brain.kind} gateway`}) on ${where}`;
  const info = ctx.host().info(l.pid);
  const cmd = info ? (info.command.length > 60 ? `${info.command.slice(0, 57)}...` : info.command) : "?";
  return `pid ${l.pid} (${cmd}${info?.user ? `, user ${info.user}` : ""}) on ${where}`;
}

/** True when `pid` is a browser this brain launched (its profile's user-data-dir is under this state dir). */
function ownBrowser(ctx: DoctorContext, pid: number | null): boolean {
  return pid !== null && ctx.host().browsers.some((b) => b.pid === pid && b.brain?.stateDir === ctx.paths.stateDir);
}

/** The pid of this brain's gateway, when it runs. */
function selfPid(ctx: DoctorContext): number | null {
  const { lock } = ctx.brain();
  if (lock.status === "held") return lock.holderPid;
  return ctx.host().brains.find((b) => b.kind === "onebrain" && b.stateDir === ctx.paths.stateDir)?.pid ?? null;
}

const RANGE_NAMES: Record<string, string> = { gateway: "gateway", browserControl: "browser control", canvas: "canvas", cdp: "cdp" };

export const portsCheck: DoctorCheck = {
  id: "ports",
  group: "this brain",
  title: "Every port of the plan (gateway, browser control, canvas, CDP range): free, held by this brain, or held by whom.",
  run(ctx) {
    const { plan } = ctx.brain();
    if (!plan) return [{ id: "ports", status: "warn", finding: "port plan unknown: the config is broken", fix: "fix the config first (see the config check)" }];
    const me = selfPid(ctx);
    const parts: string[] = [];
    const problems: Array<{ base: boolean; text: string }> = [];
    const details: Array<{
      range: string;
      first: number;
      last: number;
      holders: Array<{ port: number; address: string; pid: number | null; thisBrain: boolean }>;
    }> = [];
    for (const r of planRanges(plan)) {
      const ls = ctx.host().listeners.filter((l) => l.port >= r.first && l.port <= r.last);
      details.push({
        range: r.name,
        first: r.first,
        last: r.last,
        holders: ls.map((l) => ({ port: l.port, address: l.address, pid: l.pid, thisBrain: (me !== null && l.pid === me) || ownBrowser(ctx, l.pid) })),
      });
      const others = ls.filter((l) => (me === null || l.pid !== me) && !ownBrowser(ctx, l.pid));
      const ports = r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`;
      const name = RANGE_NAMES[r.name] ?? r.name;
      if (others.length) {
        const seen = new Set<string>();
        for (const l of others) {
          const key = `${l.pid}:${l.port}`;
          if (!seen.has(key)) problems.push({ base: r.name === "gateway", text: `${name} ${l.port} is held by ${whoListens(ctx, l)}` });
          seen.add(key);
        }
        parts.push(`${name} ${ports} TAKEN`);
      } else parts.push(`${name} ${ports} ${ls.length ? "this brain" : "free"}`);
    }
    if (problems.length === 0) return [{ id: "ports", status: "ok", finding: parts.join(", "), details }];
    const base = problems.some((p) => p.base);
    const first = [...problems].sort((a, b) => Number(b.base) - Number(a.base));
    return [
      {
        id: "ports",
        status: base ? "fail" : "warn",
        finding: `${first[0]!.text}${problems.length > 1 ? `; +${problems.length - 1} more` : ""}${base && me === null ? ": a start would fail (PORT_IN_USE)" : ""}`,
        fix: "stop that process, or move this brain: `onebrain config set gateway.port N` (derived ports follow), or browser.controlPort / canvasHost.port",
        details,
      },
    ];
  },
};

/** The plan of a brain on disk, from its config (null when the config cannot be read). */
function planOnDisk(dir: string, profile: string): PortPlan | null {
  try {
    const { config } = loadConfig(path.join(dir, "onebrain.json"));
    return portPlan({
      env: {},
      configPort: config.gateway.port,
      profile: profile === "default" ? undefined : profile,
      browserControlPort: config.browser.controlPort,
      canvasPort: config.canvasHost.port,
    });
  } catch {
    return null;
  }
}

export const portPlanCheck: DoctorCheck = {
  id: "port-plan",
  group: "this brain",
  title: "This brain's port plan overlaps no other brain's on this host (every user's state dirs; running ones are in `brains`).",
  run(ctx) {
    const { plan } = ctx.brain();
    if (!plan)
      return [{ id: "port-plan", status: "warn", finding: "port plan unknown: the config is broken", fix: "fix the config first (see the config check)" }];
    const others = ctx.stateDirs().dirs.filter((d) => d.kind === "onebrain" && !d.isThisBrain && d.runningPid === null);
    const hits: Array<{ dir: string; active: boolean; first: number; last: number }> = [];
    for (const d of others) {
      const p = planOnDisk(d.dir, d.profile);
      const c = p ? plansOverlap(plan, p).clashes[0] : undefined;
      if (c) hits.push({ dir: d.dir, active: d.active, first: c.first, last: c.last });
    }
    const span = `${plan.base}-${Math.max(plan.cdp.last, plan.canvas, plan.browserControl)}`;
    if (hits.length === 0)
      return [
        {
          id: "port-plan",
          status: "ok",
          finding: others.length
            ? `ports ${span} overlap none of ${others.length} other brain dir(s) on this host`
            : `ports ${span}; no other stopped brain dir on this host`,
        },
      ];
    const active = hits.some((h) => h.active);
    const h = [...hits].sort((a, b) => Number(b.active) - Number(a.active))[0]!;
    return [
      {
        id: "port-plan",
        status: active ? "fail" : "warn",
        finding: `ports ${span} overlap ${h.dir} (${h.active ? "recently active" : "dormant"}) at ${h.first === h.last ? h.first : `${h.first}-${h.last}`}${hits.length > 1 ? `; +${hits.length - 1} more` : ""}`,
        fix: "give one of them another base port: `onebrain [--profile NAME] config set gateway.port N` (128 apart keeps whole plans apart)",
        details: { hits },
      },
    ];
  },
};
