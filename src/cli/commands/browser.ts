/**
 * `onebrain browser status|start|stop|tabs|open|navigate|snapshot|act|screenshot|pdf|focus|close`:
 * thin calls to the running gateway's browser control service (docs/browser.md).
 * `--profile` after `browser` names the browser profile; before it, the brain (cli/browser/argv.ts).
 * A plain `browser status` is answered before this module loads (cli/browser/fast-status.ts).
 */
import fs from "node:fs";
import path from "node:path";
import type { BrowserStatus, ProfileStatus } from "../../browser/manager.ts";
import type { TabInfo } from "../../browser/session.ts";
import { resolvePaths } from "../../paths/paths.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { splitProfiles } from "../browser/argv.ts";
import { callControl, targetOf, type ControlAnswer } from "../browser/client.ts";
import { profileLine, statusLines } from "../browser/view.ts";
import type { GlobalOptions } from "../brain.ts";
import { hintProfileOf } from "../brain.ts";
import { printJson, printLines, setHintProfile } from "../output.ts";

interface Opts {
  json?: boolean;
  out?: string;
  fullPage?: boolean;
  tab?: string;
}

async function target() {
  const split = splitProfiles(process.argv.slice(2));
  setHintProfile(hintProfileOf(split.brain));
  const paths = resolvePaths({ profile: split.brain });
  return { t: await targetOf(paths), profile: split.browser };
}

function q(profile: string | undefined, extra: Record<string, string | undefined> = {}): string {
  const p = new URLSearchParams();
  if (profile) p.set("profile", profile);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : "";
}

const json = (a: ControlAnswer): any => ("json" in a ? a.json : null);

/** `browser status`. */
export async function statusCommand(_global: GlobalOptions, opts: Opts): Promise<void> {
  const { t, profile } = await target();
  const s = json(await callControl(t, "GET", `/status${q(profile)}`, undefined, 5000)) as BrowserStatus;
  if (opts.json) return printJson({ ok: true, controlPort: t.port, ...s });
  printLines(statusLines(s, t.port));
}

/** `browser start` / `browser stop`. */
export function lifecycleCommand(which: "start" | "stop") {
  return async (_global: GlobalOptions, opts: Opts): Promise<void> => {
    const { t, profile } = await target();
    const p = json(await callControl(t, "POST", `/${which}${q(profile)}`, {}, 60_000)) as ProfileStatus;
    if (opts.json) return printJson({ ok: true, ...p });
    printLines([profileLine(p).trimStart()]);
  };
}

function tabLine(tab: TabInfo): string {
  return `${tab.current ? "*" : " "} ${tab.id}  ${tab.title ? `${tab.title.slice(0, 40)}  ` : ""}${tab.url}`;
}

/** `browser tabs`. */
export async function tabsCommand(_global: GlobalOptions, opts: Opts): Promise<void> {
  const { t, profile } = await target();
  const { tabs } = json(await callControl(t, "GET", `/tabs${q(profile)}`, undefined, 10_000)) as { tabs: TabInfo[] };
  if (opts.json) return printJson({ ok: true, tabs });
  printLines(tabs.length ? tabs.map(tabLine) : ["no tabs"]);
}

/** `browser open URL` and `browser navigate URL`. */
export function gotoCommand(which: "open" | "navigate") {
  return async (_global: GlobalOptions, opts: Opts, args: string[]): Promise<void> => {
    const { t, profile } = await target();
    const path = which === "open" ? "/tabs/open" : "/navigate";
    const { tab } = json(await callControl(t, "POST", `${path}${q(profile)}`, { url: args[0], ...(opts.tab ? { tab: opts.tab } : {}) })) as { tab: TabInfo };
    if (opts.json) return printJson({ ok: true, tab });
    printLines([tabLine(tab)]);
  };
}

/** `browser focus TAB` and `browser close TAB`. */
export function tabCommand(which: "focus" | "close") {
  return async (_global: GlobalOptions, opts: Opts, args: string[]): Promise<void> => {
    const { t, profile } = await target();
    const answer = json(await callControl(t, "POST", `/tabs/${which}${q(profile)}`, { tab: args[0] }));
    if (opts.json) return printJson({ ok: true, ...answer });
    printLines([which === "close" ? `closed ${args[0]}` : tabLine((answer as { tab: TabInfo }).tab)]);
  };
}

/** `browser snapshot`: the accessibility tree with refs, as the agent sees it. */
export async function snapshotCommand(_global: GlobalOptions, opts: Opts): Promise<void> {
  const { t, profile } = await target();
  const s = json(await callControl(t, "GET", `/snapshot${q(profile, { tab: opts.tab })}`)) as { tab: TabInfo; snapshot: string; truncated: boolean };
  if (opts.json) return printJson({ ok: true, ...s });
  process.stdout.write(`${s.tab.url}\n${s.snapshot}\n${s.truncated ? "(cut: the page is larger)\n" : ""}`);
}

/** `browser act JSON`: one action by ref, e.g. '{"kind":"click","ref":"e3"}'. */
export async function actCommand(_global: GlobalOptions, opts: Opts, args: string[]): Promise<void> {
  const { t, profile } = await target();
  let action: unknown;
  try {
    action = JSON.parse(args[0] ?? "");
  } catch {
    throw new OnebrainError("USAGE", `Cannot read ${JSON.stringify(args[0] ?? "")} as an action: expected JSON such as '{"kind":"click","ref":"e3"}'`);
  }
  const { tab } = json(await callControl(t, "POST", `/act${q(profile)}`, { ...(action as object), ...(opts.tab ? { tab: opts.tab } : {}) })) as {
    tab: TabInfo;
  };
  if (opts.json) return printJson({ ok: true, tab });
  printLines([tabLine(tab)]);
}

/** `browser screenshot [--out FILE] [--full-page]` and `browser pdf [--out FILE]`: written to a file. */
export function fileCommand(which: "screenshot" | "pdf") {
  return async (_global: GlobalOptions, opts: Opts): Promise<void> => {
    const { t, profile } = await target();
    const answer = await callControl(t, "GET", `/${which}${q(profile, { tab: opts.tab, ...(opts.fullPage ? { fullPage: "1" } : {}) })}`);
    if (!("bytes" in answer)) throw new OnebrainError("INTERNAL", `The ${which} came back as JSON`);
    const ext = which === "pdf" ? "pdf" : "png";
    const file = path.resolve(opts.out ?? `${which}-${new Date().toISOString().replace(/[:.]/g, "-")}.${ext}`);
    fs.writeFileSync(file, answer.bytes);
    if (opts.json) return printJson({ ok: true, path: file, bytes: answer.bytes.length, type: answer.type });
    printLines([`wrote ${file} (${answer.bytes.length} bytes)`]);
  };
}
