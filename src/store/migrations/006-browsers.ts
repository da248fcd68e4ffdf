/**
 * The browser control service (issue 15): each browser onebrain launched, recorded the moment it
 * is spawned, so the next gateway of this brain can reap what a dead one left (identity by leader
 * pid + start time, as the exec groups of tool_calls), and doctor can tell a brain's own browser
 * from an orphan or a stranger. One row per profile: a profile runs one browser at a time.
 */
import type { Migration } from "../migrate.ts";

const migration: Migration = {
  version: 6,
  name: "browsers",
  up(db) {
    db.exec(`
CREATE TABLE browsers (
  profile TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  pgid INTEGER NOT NULL,
  proc_start INTEGER,
  cdp_port INTEGER NOT NULL CHECK (cdp_port BETWEEN 1 AND 65535),
  user_data_dir TEXT NOT NULL,
  executable TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  started_at INTEGER NOT NULL
) STRICT;
`);
  },
};

export default migration;
