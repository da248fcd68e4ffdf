/** `onebrain backup [--out FILE]`: a consistent copy of the brain's database; safe while the gateway runs (it only reads). */
import path from "node:path";
import { backupStore, defaultBackupPath } from "../../store/backup.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { formatBytes, printJson, printLines, rows } from "../output.ts";

/** The command. */
export default async function backupCommand(global: GlobalOptions, opts: { out?: string; json?: boolean }): Promise<void> {
  const paths = brainPaths(global);
  const out = opts.out ? path.resolve(opts.out) : defaultBackupPath(paths.stateDir);
  const r = await backupStore(paths.storePath, out);
  if (opts.json) return printJson({ ok: true, store: paths.storePath, ...r });
  printLines([
    `backup: wrote ${r.out}`,
    ...rows([
      ["from", paths.storePath],
      ["size", formatBytes(r.bytes)],
      ["schema", `version ${r.schemaVersion}`],
      ["took", `${r.ms} ms`],
    ]),
    `next: copy it off this machine; to go back to it: stop the gateway, then \`onebrain restore ${r.out}\``,
  ]);
}
