/**
 * Checks 1 and 2: other brains on this host. Running ones (onebrain and OpenClaw-family
 * gateways, from /proc) must not share a port plan or a bot credential; brains on disk
 * (`~/.onebrain*` of every user) must not be two active copies of the same profile.
 */
import { plansOverlap, type PortPlan } from "../../paths/ports.ts";
import { brainCredentials, CREDENTIAL_ENV, howToStop } from "./bot-credentials.ts";
import type { CredentialFingerprint } from "./credentials.ts";
import { readEnviron, type BrainKind, type RunningBrain } from "./host-scan.ts";
import { KIND_LABEL, runningPlan } from "./running-plan.ts";
import type { StateDirInfo } from "./state-dirs.ts";
import { ago, type DoctorCheck, type DoctorContext } from "./types.ts";

const RANGE: Record<string, string> = { gateway: "gateway", browserControl: "browser control", canvas: "canvas", cdp: "cdp" };
interface Party {
  label: string;
  kind: BrainKind;
  pid: number | null;
  stateDir: string | null;
  plan: PortPlan | null;
  credentials: CredentialFingerprint[];
  isThisBrain: boolean;
}

function describeRunning(b: RunningBrain, self: boolean): string {
  const name = self ? "this brain" : b.kind === "onebrain" ? `onebrain ${b.stateDir ?? `profile ${b.profile ?? "default"}`}` : KIND_LABEL[b.kind];
  const port = b.basePort !== null ? `, :${b.basePort}` : "";
  return `${name} (pid ${b.pid}${b.user ? ` ${b.user}` : ""}${port})`;
}

/** Every running brain, plus this brain when it is not running (its configured plan still matters). */
function parties(ctx: DoctorContext): Party[] {
  const host = ctx.host();
  const out: Party[] = [];
  let selfRunning = false;
  for (const b of host.brains) {
    // A onebrain process that neither holds a lock nor listens is a start being refused: not a
    // brain. (Another user's gateway, hidden from a non-root doctor, still counts.)
    if (b.kind === "onebrain" && !b.holdsLock && b.ports.length === 0 && !b.hidden) continue;
    const self = b.kind === "onebrain" && b.stateDir === ctx.paths.stateDir;
    selfRunning ||= self;
    out.push({
      label: describeRunning(b, self),
      kind: b.kind,
      pid: b.pid,
      stateDir: b.stateDir,
      plan: runningPlan(b),
      credentials: brainCredentials({ ...b, env: readEnviron(b.pid, CREDENTIAL_ENV, ctx.procFs) }),
      isThisBrain: self,
    });
  }
  if (!selfRunning) {
    const plan = ctx.brain().plan;
    out.unshift({
      label: `this brain (not running${plan ? `, :${plan.base}` : ""})`,
      kind: "onebrain",
      pid: null,
      stateDir: ctx.paths.stateDir,
      plan,
      // Not running: the variables it would start with are the ones this doctor runs with.
      credentials: brainCredentials({ kind: "onebrain", configPath: ctx.paths.configPath, stateDir: ctx.paths.stateDir, home: null, env: ctx.env }),
      isThisBrain: true,
    });
  }
  return out;
}

interface Clash {
  a: Party;
  b: Party;
  kind: "ports" | "credential";
  text: string;
  /** A clash of this brain, or a shared bot anywhere: fail. Two other brains sharing ports: warn. */
  severe: boolean;
}

/** Pairs of brains that share ports or a bot credential. */
function clashes(list: readonly Party[]): Clash[] {
  const out: Clash[] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!;
      const b = list[j]!;
      if (a.stateDir !== null && a.stateDir === b.stateDir) continue;
      if (a.plan && b.plan) {
        const o = plansOverlap(a.plan, b.plan);
        const c = o.clashes[0];
        if (c)
          out.push({
            a,
            b,
            kind: "ports",
            severe: a.isThisBrain || b.isThisBrain,
            text: `${a.label} and ${b.label} share ports ${c.first === c.last ? c.first : `${c.first}-${c.last}`} (${RANGE[c.a] ?? c.a} of the first, ${RANGE[c.b] ?? c.b} of the second)`,
          });
      }
      const shared = a.credentials.find((x) => b.credentials.some((y) => y.fingerprint === x.fingerprint));
      const theirs = shared && b.credentials.find((y) => y.fingerprint === shared.fingerprint)!;
      if (shared && theirs)
        out.push({
          a,
          b,
          kind: "credential",
          severe: true,
          text: `${a.label} and ${b.label} answer the same bot: ${shared.path}${theirs.path !== shared.path ? ` of the first, ${theirs.path} of the second` : ""} (sha256 ${shared.fingerprint})`,
        });
    }
  }
  // The clashes that decide the status come first in the finding.
  // A shared bot (two brains answering every message) before shared ports.
  return out.sort((x, y) => Number(y.severe) - Number(x.severe) || Number(y.kind === "credential") - Number(x.kind === "credential"));
}

/**
 * Which gateway to stop when two answer one bot: the other one when this brain is one of them (an
 * OpenClaw-family gateway's state comes over with `onebrain import openclaw`), with the command.
 */
function sharedBotFix(c: Clash, procRoot: string): string {
  const mine = c.a.isThisBrain ? c.a : c.b.isThisBrain ? c.b : null;
  const other = mine === c.a ? c.b : c.a;
  if (!mine || other.pid === null)
    return "One bot per brain: keep the channel in one brain (an OpenClaw gateway's state comes over with `onebrain import openclaw --from DIR`, another onebrain's with `onebrain migrate --from DIR`), and stop or reconfigure the other.";
  const stop = `Stop ${other.label}: ${howToStop(other.pid, procRoot)}`;
  const bring =
    other.kind === "onebrain"
      ? `\`onebrain migrate --from ${other.stateDir ?? "DIR"}\` then folds its history into this brain`
      : `\`onebrain import openclaw --from ${other.stateDir ?? "DIR"}\` then brings its sessions, allowlists and jobs over`;
  const path = mine.credentials.find((x) => other.credentials.some((y) => y.fingerprint === x.fingerprint))?.path ?? "";
  const keep = path.startsWith("channels.") ? `\`onebrain config unset ${path}\`` : `unset ${path} in its environment`;
  return `${stop}; ${bring}. To keep the bot on ${other.label.replace(/ \(.*$/, "")} instead, take it out of this brain: ${keep}.`;
}

const list = (items: string[], max = 2) => (items.length > max ? `${items.slice(0, max).join("; ")}; +${items.length - max} more` : items.join("; "));

export const runningBrainsCheck: DoctorCheck = {
  id: "brains",
  group: "brains",
  title: "Other brains on this host: every running onebrain, OpenClaw, Clawdbot or Moltbot gateway; a shared port plan or bot credential fails.",
  run(ctx) {
    const all = parties(ctx);
    const found = clashes(all);
    const hidden = ctx.uid !== 0 && ctx.host().hiddenPids > 0 ? ` (${ctx.host().hiddenPids} processes of other users are hidden: run as root to see them)` : "";
    const details = { brains: ctx.host().brains.map((b) => ({ ...b, owner: undefined })), clashes: found };
    if (found.length) {
      const first = found[0]!;
      return [
        {
          id: "brains",
          status: first.severe ? "fail" : "warn",
          finding: `${first.text}${found.length > 1 ? `; +${found.length - 1} more clash(es)` : ""}`,
          fix:
            first.kind === "credential"
              ? sharedBotFix(first, ctx.procFs.procRoot)
              : "Give each brain its own ports (`onebrain --profile NAME config set gateway.port N`, a port 128 away from the other), or stop the one you do not need.",
          details: { ...details, clashes: found.map((c) => ({ a: c.a.label, b: c.b.label, kind: c.kind, text: c.text, severe: c.severe })) },
        },
      ];
    }
    const running = all.filter((p) => p.pid !== null);
    const others = running.filter((p) => !p.isThisBrain);
    const labels = [...running.filter((p) => p.isThisBrain), ...others].map((p) => p.label);
    const finding =
      others.length === 0
        ? `no other gateway runs on this host${running.length ? ` (this brain: pid ${running[0]!.pid})` : ""}`
        : `${running.length} gateway(s) here, no shared ports or bots: ${list(labels)}`;
    return [{ id: "brains", status: "ok", finding: finding + hidden, details }];
  },
};

function describeDir(d: StateDirInfo, now: number): string {
  const mb = d.sizeBytes / 1024 / 1024;
  const size = `${mb < 0.1 ? "<0.1" : mb.toFixed(1)}${d.sizeCapped ? "+" : ""} MB`;
  const when =
    d.runningPid !== null ? `running, pid ${d.runningPid}` : d.lastActivityMs === null ? "never used" : `last active ${ago(now - d.lastActivityMs)} ago`;
  return `${d.dir} (${d.kind === "onebrain" ? d.profile : KIND_LABEL[d.kind]}, ${size}, ${when})`;
}

export const stateDirsCheck: DoctorCheck = {
  id: "state-dirs",
  group: "brains",
  title: "Other state dirs: `~/.onebrain*` of every user, with size and last activity; two recently active brains of one profile warn.",
  run(ctx) {
    const scan = ctx.stateDirs();
    const mine = scan.dirs.filter((d) => d.kind === "onebrain");
    const foreign = scan.dirs.filter((d) => d.kind !== "onebrain");
    const u = scan.unreadable.map((x) => `${x.home} (${x.error})`);
    const unread = u.length ? `; cannot read ${u.length > 2 ? `${u.length} homes: ${u.slice(0, 2).join(", ")}, ...` : u.join(", ")}` : "";
    const details = { dirs: scan.dirs, unreadable: scan.unreadable, homesScanned: scan.homesScanned };
    const byProfile = new Map<string, StateDirInfo[]>();
    for (const d of mine.filter((x) => x.active)) byProfile.set(d.profile, [...(byProfile.get(d.profile) ?? []), d]);
    const twins = [...byProfile].find(([, ds]) => ds.length > 1);
    if (twins) {
      const [profile, ds] = twins;
      // Keep this brain if it is one of them, else the most recently active one.
      const sorted = [...ds].sort((a, b) => Number(b.isThisBrain) - Number(a.isThisBrain) || (b.lastActivityMs ?? 0) - (a.lastActivityMs ?? 0));
      const keep = sorted[0]!;
      const from = sorted[1]!;
      const days = Math.round(ctx.recentMs / 86_400_000);
      return [
        {
          id: "state-dirs",
          status: "warn",
          finding: `two brains: ${ds.length} dirs of profile ${profile} were active in the last ${days}d: ${list(ds.map((d) => describeDir(d, ctx.now)))}${unread}`,
          fix: `One brain per assistant: keep ${keep.dir}; stop the gateway of ${from.dir} (as its user: \`onebrain gateway status\`), import it with \`onebrain migrate --from ${from.dir}\`, then archive it (\`mv ${from.dir} ${from.dir}.old\`).`,
          details,
        },
      ];
    }
    const migrate = foreign.length
      ? `; also ${foreign.map((d) => describeDir(d, ctx.now)).join(", ")}: \`onebrain import openclaw --from DIR\` imports it`
      : "";
    const finding =
      mine.length === 0
        ? `no onebrain state dir in ${scan.homesScanned} home(s)`
        : `${mine.length} brain dir(s) in ${scan.homesScanned} home(s), one active per profile: ${list(mine.map((d) => describeDir(d, ctx.now)))}`;
    return [{ id: "state-dirs", status: "ok", finding: finding + migrate + unread, details }];
  },
};
