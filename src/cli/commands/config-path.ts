/** `onebrain config path`. */
import { configPathInfo } from "../../config/edit.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";

/** The command. */
export default function configPath(global: GlobalOptions, opts: { json?: boolean }): void {
  const info = configPathInfo(brainPaths(global));
  if (opts.json) printJson(info);
  else printLines([info.path]);
}
