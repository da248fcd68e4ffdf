/**
 * Sends in doubt can be checked with the platform instead of guessed:
 *   - outbox.send_floor: the newest platform message id the channel knew in the conversation when
 *     the send (or its latest part) started, and after a delivery the id of its last part. After a
 *     crash, a message of ours found above it in that conversation can only be the part in doubt.
 *   - outbox_target: the newest floor of a conversation is looked up at each send (an index seek).
 */
import type { Migration } from "../migrate.ts";

const migration: Migration = {
  version: 4,
  name: "send-floor",
  up(db) {
    db.exec(`
ALTER TABLE outbox ADD COLUMN send_floor INTEGER;
CREATE INDEX outbox_target ON outbox (channel, account, target, send_floor);
`);
  },
};

export default migration;
