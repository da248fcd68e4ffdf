/** `onebrain config validate`: exit 0 when valid, else the config error's own exit code. */
import { validateConfigFile } from "../../config/edit.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines, reportError } from "../output.ts";

/** The command. */
export default function configValidate(global: GlobalOptions, opts: { json?: boolean }): void {
  const r = validateConfigFile(brainPaths(global));
  if (r.ok) {
    if (opts.json) printJson(r);
    else printLines([`valid: ${r.file}${r.exists ? "" : " (missing: defaults apply)"}`]);
    return;
  }
  reportError(r.error, Boolean(opts.json));
}
