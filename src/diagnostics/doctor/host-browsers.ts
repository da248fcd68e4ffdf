/**
 * The browsers running on this host, as doctor sees them from /proc command lines: each main
 * Chromium/Chrome process (not its renderers, zygotes or helpers), its user-data-dir, its CDP
 * port, and the brain it belongs to when its user-data-dir has the shape onebrain gives its
 * profiles (`<stateDir>/browser/<profile>/user-data`).
 */
import path from "node:path";
import { parseUserDataDir } from "../../browser/profiles.ts";

/** One browser process. */
export interface HostBrowser {
  pid: number;
  userDataDir: string | null;
  cdpPort: number | null;
  /** The brain whose profile this is, by its user-data-dir. */
  brain: { stateDir: string; profile: string } | null;
}

const BROWSER_NAME = /^(chrom(e|ium)(-browser)?|google-chrome(-stable|-beta|-unstable)?|headless_shell)$/;

/** The browser a command line is, or null (not a browser, or one of its child processes). */
export function parseBrowserArgv(pid: number, argv: readonly string[]): HostBrowser | null {
  if (!argv.length || !BROWSER_NAME.test(path.basename(argv[0]!))) return null;
  if (argv.some((a) => a.startsWith("--type="))) return null;
  const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? null;
  const dir = flag("user-data-dir");
  const port = Number(flag("remote-debugging-port"));
  return { pid, userDataDir: dir, cdpPort: Number.isInteger(port) && port > 0 ? port : null, brain: dir ? parseUserDataDir(dir) : null };
}

/** Every browser among `cmdlines` (pid -> NUL-separated command line). */
export function hostBrowsers(cmdlines: ReadonlyMap<number, string>): HostBrowser[] {
  const out: HostBrowser[] = [];
  for (const [pid, cmdline] of cmdlines) {
    // Cheap test first: most processes are not browsers.
    if (!/chrom|headless_shell/i.test(cmdline.slice(0, 200))) continue;
    const b = parseBrowserArgv(
      pid,
      cmdline.split("\0").filter((s) => s !== ""),
    );
    if (b) out.push(b);
  }
  return out.sort((a, b) => a.pid - b.pid);
}
