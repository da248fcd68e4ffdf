/**
 * `onebrain restore FILE`: puts a backup in place of the brain's database. It takes the brain
 * lock itself, so it refuses while a gateway holds the brain, and no gateway can start meanwhile.
 */
import path from "node:path";
import { lockForMaintenance } from "../../lock/brain-lock.ts";
import { describeHolder, type LockState } from "../../lock/inspect.ts";
import { GatewayLockError, hasCode } from "../../shared/errors.ts";
import { restoreStore } from "../../store/backup.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { formatBytes, printJson, printLines, rows } from "../output.ts";

/** The command. */
export default function restoreCommand(global: GlobalOptions, opts: { json?: boolean }, [file]: string[]): void {
  const paths = brainPaths(global);
  const backupFile = path.resolve(file!);
  let lock;
  try {
    lock = lockForMaintenance(paths);
  } catch (err) {
    if (!hasCode(err, "GATEWAY_LOCK_HELD")) throw err;
    const state = err.details.lock as LockState;
    throw new GatewayLockError(`Refusing to restore: this brain (state dir ${paths.stateDir}) is held by ${describeHolder(state)}.`, {
      details: err.details,
      hint: `Stop it first${state.holderPid ? ` (kill -TERM ${state.holderPid}, or stop its service)` : ""}, then run \`onebrain restore ${backupFile}\` again.`,
      cause: err,
    });
  }
  let r;
  try {
    r = restoreStore(backupFile, paths.storePath);
  } finally {
    lock.release();
  }
  if (opts.json) return printJson({ ok: true, ...r });
  printLines([
    `restore: ${r.storeFile} now holds ${r.restoredFrom}`,
    ...rows([
      ["size", formatBytes(r.bytes)],
      ["schema", `version ${r.schemaVersion}`],
      ["previous", r.kept ? `kept as ${r.kept}${r.keptWal ? ` (with its WAL ${r.keptWal})` : ""}` : "none (there was no database)"],
    ]),
    "next: onebrain gateway   (it starts on the restored database)",
  ]);
}
