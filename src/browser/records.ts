/**
 * The brain's record of the browsers it launched (table `browsers`, one row per profile). A row is
 * written the moment a browser is spawned and removed once its group is dead, so whatever a row
 * names at the next start was left by a gateway that died: it is reaped (leader pid + start time
 * must still match, so a recycled pid is never signalled) and the row dropped.
 */
import { reapProcessGroups, type ReapOutcome } from "../proc/groups.ts";
import { defaultProcFs, type ProcFs } from "../proc/process.ts";
import type { StoreHandle } from "../store/handle.ts";

/** A recorded browser. */
export interface BrowserRecord {
  profile: string;
  pid: number;
  pgid: number;
  startTime: number | null;
  cdpPort: number;
  userDataDir: string;
  executable: string;
  epoch: number;
  startedAt: number;
}

const COLUMNS = "profile, pid, pgid, proc_start AS startTime, cdp_port AS cdpPort, user_data_dir AS userDataDir, executable, epoch, started_at AS startedAt";

/** Records a spawned browser (replacing the profile's earlier row); committed before it returns. */
export function recordBrowser(store: StoreHandle, r: BrowserRecord): void {
  store.commitNow(() =>
    store
      .prepare(
        `INSERT INTO browsers (profile, pid, pgid, proc_start, cdp_port, user_data_dir, executable, epoch, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (profile) DO UPDATE SET pid = excluded.pid, pgid = excluded.pgid, proc_start = excluded.proc_start, cdp_port = excluded.cdp_port,
           user_data_dir = excluded.user_data_dir, executable = excluded.executable, epoch = excluded.epoch, started_at = excluded.started_at`,
      )
      .run(r.profile, r.pid, r.pgid, r.startTime, r.cdpPort, r.userDataDir, r.executable, r.epoch, r.startedAt),
  );
}

/** Drops a profile's row, only if it still names that process (a newer launch keeps its own). */
export function forgetBrowser(store: StoreHandle, profile: string, pid: number): void {
  store.commitNow(() => store.prepare("DELETE FROM browsers WHERE profile = ? AND pid = ?").run(profile, pid));
}

/** Every recorded browser. */
export function listBrowsers(store: StoreHandle): BrowserRecord[] {
  return store.prepare(`SELECT ${COLUMNS} FROM browsers ORDER BY profile`).all() as unknown as BrowserRecord[];
}

/** What reaping a record did. */
export type BrowserReap = ReapOutcome & { profile: string; cdpPort: number };

/** Kills the groups of browsers that earlier gateways of this brain recorded (any epoch before `epoch`), then forgets them. */
export function reapLeftBrowsers(store: StoreHandle, epoch: number, procFs: ProcFs = defaultProcFs): BrowserReap[] {
  const left = listBrowsers(store).filter((r) => r.epoch < epoch);
  const outcomes = reapProcessGroups(left, procFs);
  store.commitNow(() => {
    for (const r of left) store.prepare("DELETE FROM browsers WHERE profile = ? AND pid = ? AND epoch = ?").run(r.profile, r.pid, r.epoch);
  });
  return outcomes.map((o, i) => ({ ...o, profile: left[i]!.profile, cdpPort: left[i]!.cdpPort }));
}
