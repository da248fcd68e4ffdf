/** How the browser commands print a profile and the control service's status, for people. */
import type { BrowserStatus, ProfileStatus } from "../../browser/manager.ts";

/** One profile on one line: kind, running or not, pid, CDP port or URL. */
export function profileLine(p: ProfileStatus): string {
  const where = p.kind === "remote" ? (p.cdpUrl ?? "") : `cdp ${p.cdpPort ?? "?"}`;
  const state = p.running ? `running  pid ${p.pid ?? "-"}` : "stopped";
  return `  ${p.profile.padEnd(12)} ${p.kind.padEnd(8)} ${state.padEnd(18)} ${where}${p.running && p.startedAt ? `  since ${p.startedAt}` : ""}`;
}

/** `browser status` for people: the service, headless and sandbox with their reasons, each profile. */
export function statusLines(s: BrowserStatus, controlPort: number): string[] {
  const head = s.enabled
    ? `browser control: 127.0.0.1:${controlPort}, ${s.executable ?? "no executable (remote profiles only)"}${s.sandbox.value ? `, --no-sandbox (${s.sandbox.why})` : ""}`
    : `browser control: off (${s.why})`;
  const headless = s.profiles.find((p) => p.headless)?.headless;
  return [head, ...(headless ? [`  headless: ${headless.value ? "yes" : "no"} (${headless.why})`] : []), ...s.profiles.map(profileLine)];
}
