/** `onebrain logs [--follow] [--json]`: the file log, read from outside the gateway. */
import path from "node:path";
import { loadBrainConfig } from "../../config/load.ts";
import { followLog, formatLogLine, tailLog } from "../../logging/tail.ts";
import { wantsColor } from "../../logging/console.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";

/** The command. */
export default async function logsCommand(global: GlobalOptions, opts: { follow?: boolean; lines?: string; json?: boolean }): Promise<void> {
  const paths = brainPaths(global);
  const { config } = loadBrainConfig(paths);
  const file = config.logging.file ? path.resolve(paths.stateDir, config.logging.file) : path.join(paths.logDir, "gateway.log");
  const limit = Math.max(1, Math.min(5000, Number(opts.lines ?? 100) || 100));
  const color = wantsColor(process.stdout);
  const print = (lines: string[]) => {
    if (lines.length) process.stdout.write(`${lines.map((l) => (opts.json ? l : formatLogLine(l, "pretty", { color }))).join("\n")}\n`);
  };
  if (!opts.follow) {
    const r = await tailLog({ file, limit });
    if (r.lines.length === 0 && r.size === 0) process.stderr.write(`no log lines yet in ${file}\n`);
    print(r.lines);
    return;
  }
  const ac = new AbortController();
  process.once("SIGINT", () => ac.abort());
  process.once("SIGTERM", () => ac.abort());
  await followLog(
    file,
    (lines, info) => {
      if (info.reset) process.stderr.write("-- log rotated --\n");
      print(lines);
    },
    { intervalMs: 500, signal: ac.signal, limit },
  );
}
