/**
 * The browsers of the brains on this host: no Chromium that onebrain launched may outlive its
 * brain (an orphan: its brain's gateway is gone, or the running gateway did not record it), and no
 * two profiles, in this brain or across brains, may be pinned to one CDP port or one cdpUrl (two
 * brains driving one browser is a split brain). Read-only: an orphan is named with the command
 * that ends it, never killed by doctor.
 */
import path from "node:path";
import { loadConfig } from "../../config/load.ts";
import { peekStore } from "../../store/peek.ts";
import type { HostBrowser } from "./host-browsers.ts";
import type { DoctorCheck, DoctorContext, Finding } from "./types.ts";

/** The pids a running brain has recorded as its browsers; null when its store cannot be read. */
function recordedPids(stateDir: string): Set<number> | null {
  const rows = peekStore(path.join(stateDir, "brain.db"), (s) => s.prepare("SELECT pid FROM browsers").all() as Array<{ pid: number }>);
  return rows ? new Set(rows.map((r) => r.pid)) : null;
}

/** Why a browser of a onebrain profile is an orphan, or null when its brain owns it. */
function orphanWhy(ctx: DoctorContext, b: HostBrowser, recorded: Map<string, Set<number> | null>): string | null {
  const dir = b.brain!.stateDir;
  const gateway = ctx.host().brains.find((g) => g.kind === "onebrain" && g.stateDir === dir && g.holdsLock);
  if (!gateway) return `its brain ${dir} has no running gateway`;
  if (!recorded.has(dir)) recorded.set(dir, recordedPids(dir));
  const pids = recorded.get(dir);
  if (pids && !pids.has(b.pid)) return `the gateway of ${dir} (pid ${gateway.pid}) did not launch it (not in its record)`;
  return null;
}

/** Pinned CDP endpoints of one brain's config: `port:N` or `url:host:port`, by profile. */
function pins(configPath: string): Array<{ profile: string; key: string; shown: string }> {
  let browser;
  try {
    browser = loadConfig(configPath).config.browser;
  } catch {
    return [];
  }
  const out: Array<{ profile: string; key: string; shown: string }> = [];
  const add = (profile: string, p: { cdpPort?: number | undefined; cdpUrl?: string | undefined }) => {
    if (p.cdpPort !== undefined) out.push({ profile, key: `port:127.0.0.1:${p.cdpPort}`, shown: `cdpPort ${p.cdpPort}` });
    if (p.cdpUrl !== undefined) {
      const u = new URL(p.cdpUrl);
      const host = u.hostname === "localhost" || u.hostname === "[::1]" ? "127.0.0.1" : u.hostname;
      out.push({ profile, key: `port:${host}:${u.port}`, shown: `cdpUrl ${u.protocol}//${u.host}` });
    }
  };
  for (const [name, p] of Object.entries(browser.profiles)) add(name, p);
  if (browser.cdpUrl !== undefined && !browser.profiles[browser.defaultProfile]?.cdpUrl) add(browser.defaultProfile, { cdpUrl: browser.cdpUrl });
  return out;
}

function orphansFinding(ctx: DoctorContext): Finding {
  const ours = ctx.host().browsers.filter((b) => b.brain !== null);
  const recorded = new Map<string, Set<number> | null>();
  const orphans = ours.flatMap((b) => {
    const why = orphanWhy(ctx, b, recorded);
    return why ? [{ pid: b.pid, stateDir: b.brain!.stateDir, profile: b.brain!.profile, cdpPort: b.cdpPort, why }] : [];
  });
  if (!orphans.length) {
    return {
      id: "browsers.orphans",
      status: "ok",
      finding: ours.length ? `${ours.length} onebrain browser(s) running, each owned by its brain` : "no onebrain browser is running on this host",
    };
  }
  const o = orphans[0]!;
  return {
    id: "browsers.orphans",
    status: "warn",
    finding: `orphan Chromium pid ${o.pid} (profile ${o.profile} of ${o.stateDir}${o.cdpPort ? `, CDP ${o.cdpPort}` : ""}): ${o.why}${orphans.length > 1 ? `; +${orphans.length - 1} more` : ""}`,
    fix: `start that brain's gateway (it reaps the browsers it recorded), or end the orphan: kill -TERM -${o.pid}`,
    details: { orphans },
  };
}

function pinsFinding(ctx: DoctorContext): Finding {
  const mine = pins(ctx.paths.configPath);
  if (!mine.length) return { id: "browsers.pins", status: "ok", finding: "no profile of this brain is pinned to a CDP port or cdpUrl" };
  const clashes: string[] = [];
  for (let i = 0; i < mine.length; i++)
    for (const other of mine.slice(i + 1))
      if (other.key === mine[i]!.key) clashes.push(`profiles ${mine[i]!.profile} and ${other.profile} of this brain are both pinned to ${mine[i]!.shown}`);
  const others = new Map<string, string>();
  for (const d of ctx.stateDirs().dirs) if (d.kind === "onebrain" && !d.isThisBrain) others.set(d.dir, path.join(d.dir, "onebrain.json"));
  for (const b of ctx.host().brains)
    if (b.kind === "onebrain" && b.stateDir && b.stateDir !== ctx.paths.stateDir && b.configPath) others.set(b.stateDir, b.configPath);
  for (const [dir, file] of others) {
    for (const theirs of pins(file)) {
      const hit = mine.find((m) => m.key === theirs.key);
      if (hit)
        clashes.push(`profile ${hit.profile} is pinned to ${hit.shown}, as is profile ${theirs.profile} of brain ${dir}: two brains would drive one browser`);
    }
  }
  if (!clashes.length) return { id: "browsers.pins", status: "ok", finding: `${mine.length} pinned profile(s), none shared with another profile or brain` };
  return {
    id: "browsers.pins",
    status: "fail",
    finding: `${clashes[0]}${clashes.length > 1 ? `; +${clashes.length - 1} more` : ""}`,
    fix: "give each profile its own browser: another cdpPort (or none: onebrain picks a free one from its range), or another cdpUrl",
    details: { clashes },
  };
}

export const browsersCheck: DoctorCheck = {
  id: "browsers",
  group: "brains",
  title: "Browsers: no Chromium that onebrain launched outlives its brain, and no two profiles (in this brain or two brains) pin one CDP port or cdpUrl.",
  run: (ctx) => [orphansFinding(ctx), pinsFinding(ctx)],
};
