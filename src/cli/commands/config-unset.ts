/** `onebrain config unset KEY`: back to the default. */
import { unsetConfigValue } from "../../config/edit.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";

/** The command. */
export default function configUnset(global: GlobalOptions, opts: { json?: boolean }, [key]: string[]): void {
  const file = brainPaths(global).configPath;
  const r = unsetConfigValue(file, key!);
  if (opts.json) return printJson({ ok: true, file, ...r });
  printLines([`unset ${r.key} in ${file}${r.backup ? ` (previous file: ${r.backup})` : ""}`]);
}
