/**
 * `onebrain config get KEY`: the value in force and where it came from (env, file, profile,
 * default). The value alone goes to stdout, so `$(onebrain config get gateway.port)` stays a
 * value; the source goes to stderr. A key that nothing sets prints nothing and says so.
 */
import { getConfigValue } from "../../config/edit.ts";
import { loadBrainConfig } from "../../config/load.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { describeSource, printJson } from "../output.ts";

/** The command. */
export default function configGet(global: GlobalOptions, opts: { json?: boolean; reveal?: boolean }, [key]: string[]): void {
  const paths = brainPaths(global);
  const v = getConfigValue(loadBrainConfig(paths), key!, { reveal: Boolean(opts.reveal), profile: paths.profile, stateDir: paths.stateDir });
  if (opts.json) return printJson({ ...v, configPath: paths.configPath });
  if (!v.set) {
    process.stderr.write(`${v.key} is not set (no default, nothing in the environment); \`onebrain config set ${v.key} VALUE\` sets it\n`);
    return;
  }
  process.stdout.write(`${typeof v.value === "string" ? v.value : JSON.stringify(v.value, null, 2)}\n`);
  process.stderr.write(`source: ${describeSource(v, paths.configPath)}\n`);
}
