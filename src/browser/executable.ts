/**
 * Which browser to launch and how: the executable (config, then the usual names on PATH), headless
 * or not (no display: headless), and the sandbox (off only as root or in a container, where
 * Chromium's sandbox cannot start; said so in `status`).
 */
import fs from "node:fs";
import path from "node:path";

/** Names tried on PATH, in order: Debian's chromium first. */
export const EXECUTABLE_NAMES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome"] as const;

/** The executable found, or why none was. */
export type ExecutableChoice = { path: string; source: "config" | "PATH" } | { path: null; why: string };

function runnable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The browser executable: browser.executablePath when set (it must be runnable), else the first known name on PATH. */
export function findExecutable(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): ExecutableChoice {
  if (configured !== undefined) {
    return runnable(configured)
      ? { path: configured, source: "config" }
      : { path: null, why: `browser.executablePath ${JSON.stringify(configured)} is not a runnable file` };
  }
  const dirs = (env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":").filter((d) => d !== "");
  for (const name of EXECUTABLE_NAMES) {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      if (runnable(file)) return { path: file, source: "PATH" };
    }
  }
  return { path: null, why: `none of ${EXECUTABLE_NAMES.join(", ")} is on PATH (Debian: apt-get install chromium)` };
}

/** A decision and why it was made, for `browser status`. */
export interface Decided {
  value: boolean;
  why: string;
}

/** Headless unless a profile or browser.headless says otherwise; with no display it must be. */
export function decideHeadless(configured: boolean | undefined, env: NodeJS.ProcessEnv = process.env): Decided {
  if (configured !== undefined) return { value: configured, why: "set in the config" };
  const display = env.DISPLAY || env.WAYLAND_DISPLAY;
  return display
    ? { value: false, why: `a display is set (${env.DISPLAY ? "DISPLAY" : "WAYLAND_DISPLAY"})` }
    : { value: true, why: "no display (DISPLAY and WAYLAND_DISPLAY unset)" };
}

/** Whether this process runs in a container (Docker, Podman, systemd-nspawn, LXC). */
export function inContainer(env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = fs.existsSync): boolean {
  if (env.container) return true;
  return exists("/.dockerenv") || exists("/run/.containerenv");
}

/** Chromium's sandbox needs user namespaces that root and most containers do not give it. */
export function decideNoSandbox(configured: boolean | undefined, o: { uid?: number; env?: NodeJS.ProcessEnv; exists?: (p: string) => boolean } = {}): Decided {
  if (configured !== undefined) return { value: configured, why: "set in the config" };
  const uid = o.uid ?? process.getuid?.() ?? -1;
  if (uid === 0) return { value: true, why: "running as root: Chromium refuses its sandbox as root, so --no-sandbox is passed" };
  if (inContainer(o.env, o.exists)) return { value: true, why: "running in a container: the sandbox cannot start there, so --no-sandbox is passed" };
  return { value: false, why: "the sandbox is on" };
}

/** The command line of a launch: a quiet browser for a server, its DevTools on loopback only. */
export function launchArgs(o: { cdpPort: number; userDataDir: string; headless: boolean; noSandbox: boolean }): string[] {
  return [
    `--remote-debugging-port=${o.cdpPort}`,
    "--remote-debugging-address=127.0.0.1",
    `--user-data-dir=${o.userDataDir}`,
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-breakpad",
    "--disable-client-side-phishing-detection",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--metrics-recording-only",
    "--password-store=basic",
    "--use-mock-keychain",
    // /dev/shm is 64 MB in most containers: Chromium would crash tabs writing there.
    "--disable-dev-shm-usage",
    "--mute-audio",
    ...(o.headless ? ["--headless=new", "--hide-scrollbars"] : []),
    ...(o.noSandbox ? ["--no-sandbox"] : []),
    "about:blank",
  ];
}
