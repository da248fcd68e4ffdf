/**
 * Who holds a CDP port: this brain's browser, another brain's (recognised by its user-data-dir
 * under that brain's state dir), or a stranger. Read from /proc, never by connecting: a port of
 * someone else's browser is named, skipped, and never touched.
 */
import { describeListener, findListeners, type Listener } from "../proc/listeners.ts";
import { defaultProcFs, type ProcFs } from "../proc/process.ts";
import { OnebrainError } from "../shared/errors.ts";
import { parseUserDataDir, type BrowserProfile } from "./profiles.ts";

/** A listener on a CDP port, and whose it is. */
export interface PortHolder {
  port: number;
  pid: number | null;
  /** A onebrain brain's browser: its state dir and profile. */
  brain: { stateDir: string; profile: string } | null;
  /** One line naming it. */
  who: string;
}

/** The user-data-dir a browser process was started with, if any. */
export function userDataDirArg(argv: readonly string[]): string | null {
  const arg = argv.find((a) => a.startsWith("--user-data-dir="));
  return arg ? arg.slice("--user-data-dir=".length) : null;
}

function describe(l: Listener): PortHolder {
  const dir = l.process ? userDataDirArg(l.process.argv) : null;
  const brain = dir ? parseUserDataDir(dir) : null;
  const who = brain ? `the browser of brain ${brain.stateDir} (profile ${brain.profile}, pid ${l.process?.pid})` : describeListener(l);
  return { port: l.port, pid: l.process?.pid ?? null, brain, who };
}

/** The holders of the given ports (one entry per port; IPv4 and IPv6 listeners of one process counted once). */
export function portHolders(ports: readonly number[], procFs: ProcFs = defaultProcFs): Map<number, PortHolder> {
  const out = new Map<number, PortHolder>();
  for (const l of findListeners(ports, procFs)) if (!out.has(l.port)) out.set(l.port, describe(l));
  return out;
}

/** The port a launch of `profile` should use, and the ports skipped because someone else holds them. */
export function chooseCdpPort(
  profile: BrowserProfile,
  range: { first: number; last: number },
  inUse: ReadonlySet<number>,
  holders: (ports: readonly number[]) => Map<number, PortHolder> = (ports) => portHolders(ports),
): { port: number; skipped: PortHolder[] } {
  if (profile.cdpPort === null) throw new Error(`profile ${profile.name} has no CDP port (remote)`);
  if (profile.kind === "pinned") {
    const held = holders([profile.cdpPort]).get(profile.cdpPort);
    if (held || inUse.has(profile.cdpPort)) {
      const who = held?.who ?? "another profile of this brain";
      throw new OnebrainError(
        "BROWSER_PORT_CONFLICT",
        `Profile ${profile.name} is pinned to CDP port ${profile.cdpPort}, which ${who} holds: onebrain will not attach to or kill it`,
        {
          hint: `stop that browser, or give browser.profiles.${profile.name}.cdpPort another port`,
          details: { port: profile.cdpPort, holder: held ?? null },
        },
      );
    }
    return { port: profile.cdpPort, skipped: [] };
  }
  const size = range.last - range.first + 1;
  const order = Array.from({ length: size }, (_, i) => range.first + ((profile.cdpPort! - range.first + i) % size));
  const held = holders(order);
  const skipped: PortHolder[] = [];
  for (const port of order) {
    if (inUse.has(port)) continue;
    const h = held.get(port);
    if (h) {
      skipped.push(h);
      continue;
    }
    return { port, skipped };
  }
  throw new OnebrainError(
    "BROWSER_PORT_CONFLICT",
    `Every CDP port ${range.first}-${range.last} is taken (first: ${skipped[0]?.who ?? "this brain's own browsers"})`,
    {
      hint: "stop what holds them, or move the range with browser.controlPort (the CDP range is controlPort+9 .. +108)",
    },
  );
}
