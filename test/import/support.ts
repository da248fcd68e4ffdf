/**
 * Helpers of the `onebrain import openclaw` tests: the sources (the hand-made Clawdbot 2026.1
 * fixture, a state dir made by the real OpenClaw in the test-tools cache) copied to a temp dir,
 * a hash of every file of a tree (the source must be byte-identical afterwards), and the import
 * run as the built CLI with its JSON report.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { brainEnv, repoRoot, runCli, tmpDir, type CliResult } from "../helpers/gateway.ts";

export const CLAWDBOT_FIXTURE = path.join(repoRoot, "test", "fixtures", "import", "clawdbot-2026.1");

/** The OpenClaw version whose state dir `scripts/install.sh --test-tools` makes (scripts/test-tools/make-openclaw-state.sh). */
export const OPENCLAW_STATE_VERSION = "2026.9.6";
export const OPENCLAW_STATE_CACHE = path.join(
  process.env.ONEBRAIN_TEST_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "onebrain-test-tools"),
  `openclaw-state-${OPENCLAW_STATE_VERSION}`,
);

/** Why the real-OpenClaw import test cannot run, or null when the cached state dir is there. */
export function openclawStateMissing(): string | null {
  return fs.existsSync(path.join(OPENCLAW_STATE_CACHE, "ok"))
    ? null
    : `no state dir made by OpenClaw ${OPENCLAW_STATE_VERSION} at ${OPENCLAW_STATE_CACHE}: run bash scripts/install.sh --test-tools (it makes one once, in a few minutes)`;
}

/** A copy of the Clawdbot fixture: `home` (HOME of its user, with .clawdbot, clawd, clawd-work) and `tmp` (its TMPDIR). */
export function copyClawdbot(): { root: string; home: string; state: string; tmp: string; brain: string } {
  const root = tmpDir("onebrain-import-");
  fs.cpSync(CLAWDBOT_FIXTURE, path.join(root, "src"), { recursive: true });
  const home = path.join(root, "src", "home");
  return { root, home, state: path.join(home, ".clawdbot"), tmp: path.join(root, "src", "tmp"), brain: path.join(root, "brain") };
}

/** sha256 of every file (and the target of every symlink) under `dir`, by relative path; directories listed too. */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      const p = path.join(dir, r);
      if (e.isSymbolicLink()) out[r] = `link:${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[`${r}/`] = "dir";
        walk(r);
      } else out[r] = crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
    }
  };
  walk("");
  return out;
}

/** The environment of an import into `brain` whose user's HOME is `home`. */
export function importEnv(brain: string, home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = brainEnv(brain, { HOME: home, ...extra });
  for (const k of [
    "OPENCLAW_STATE_DIR",
    "OPENCLAW_CONFIG_PATH",
    "OPENCLAW_HOME",
    "OPENCLAW_GATEWAY_PORT",
    "CLAWDBOT_STATE_DIR",
    "CLAWDBOT_CONFIG_PATH",
    "CLAWDBOT_GATEWAY_PORT",
    "MOLTBOT_STATE_DIR",
    "MOLTBOT_CONFIG_PATH",
  ])
    if (!(k in extra)) delete env[k];
  return env;
}

/** `onebrain import openclaw ...args --json`, with its parsed report. */
export async function importJson(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult & { report: any }> {
  const r = await runCli(["import", "openclaw", ...args, "--json"], env, 30_000);
  let report: any = null;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    report = null;
  }
  return { ...r, report };
}

/** Every `what` (and `why`) of a report section's took or left list, as lines. */
export function itemsOf(report: any, section: string, which: "took" | "left"): string[] {
  return (report.sections[section][which] as Array<{ what: string; why?: string }>).map((i) => (i.why ? `${i.what}: ${i.why}` : i.what));
}
