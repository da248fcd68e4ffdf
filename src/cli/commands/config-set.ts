/** `onebrain config set KEY VALUE`: validated, atomic, mode kept, previous file kept as .bak. */
import { parseCliValue, setConfigValue } from "../../config/edit.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";

/** The command. */
export default function configSet(global: GlobalOptions, opts: { json?: boolean }, [key, text]: string[]): void {
  const file = brainPaths(global).configPath;
  const r = setConfigValue(file, key!, parseCliValue(key!, text!));
  if (opts.json) return printJson({ ok: true, file, ...r });
  printLines([
    `set ${r.key} = ${JSON.stringify(r.value)} in ${file}${r.backup ? ` (previous file: ${r.backup})` : ""}`,
    "a running gateway picks up auth, origins, proxies and log levels at once; other keys after a restart",
  ]);
}
