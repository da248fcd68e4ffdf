/** `onebrain config get KEY`. */
import { getConfigValue } from "../../config/edit.ts";
import { loadConfig } from "../../config/load.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";

/** The command. */
export default function configGet(global: GlobalOptions, opts: { json?: boolean; reveal?: boolean }, [key]: string[]): void {
  const v = getConfigValue(loadConfig(brainPaths(global).configPath), key!, { reveal: Boolean(opts.reveal) });
  if (opts.json) printJson(v);
  else printLines([typeof v.value === "string" ? v.value : JSON.stringify(v.value, null, 2) ?? "undefined"]);
}
