/** `onebrain setup`: state dir, config with a generated token, workspace. */
import { setupBrain } from "../../setup/setup.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { describeSource, printJson, printLines, rows } from "../output.ts";

/** The command. */
export default function setupCommand(global: GlobalOptions, opts: { force?: boolean; json?: boolean }): void {
  const r = setupBrain(brainPaths(global), { force: Boolean(opts.force) });
  if (opts.json) return printJson({ ok: true, ...r });
  printLines([
    r.config === "kept" ? "setup: already set up (config kept; --force replaces it)" : "setup: done",
    ...rows([
      ["state dir", r.stateDir],
      ["config", r.configPath],
      ["workspace", r.workspace],
      ["port", `${r.port} (${describeSource({ source: r.portSource, from: r.portFrom }, r.configPath)})`],
      ["token", r.token ? `${r.token} (in the config; \`onebrain config get gateway.auth.token --reveal\` shows it)` : "none"],
    ]),
    ...r.changed.map((c) => `  + ${c}`),
    "next: onebrain gateway",
  ]);
}
