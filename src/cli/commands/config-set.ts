/** `onebrain config set KEY VALUE`: validated, atomic, mode kept, previous file kept as .bak. */
import { parseCliValue, setConfigValue } from "../../config/edit.ts";
import { isHotKey } from "../../config/hot-keys.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";

/** The command. */
export default function configSet(global: GlobalOptions, opts: { json?: boolean }, [key, text]: string[]): void {
  const file = brainPaths(global).configPath;
  const r = setConfigValue(file, key!, parseCliValue(key!, text!));
  const applies = isHotKey(r.key) ? "now" : "restart";
  if (opts.json) return printJson({ ok: true, file, ...r, applies });
  printLines([
    `set ${r.key} = ${JSON.stringify(r.value)} in ${file}${r.backup ? ` (previous file: ${r.backup})` : ""}`,
    applies === "now" ? "a running gateway applies it at once" : "a running gateway applies it after a restart (onebrain gateway restart)",
  ]);
}
