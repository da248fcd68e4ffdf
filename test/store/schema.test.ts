import { test } from "node:test";
import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { ENDED_REASONS, INBOUND_STATES, MESSAGE_ROLES, OUTBOX_STATES, RUN_STATES } from "../../src/store/rows.ts";
import { newStore } from "./fixtures.ts";

const T = 1_700_000_000_000;

/** Inserts one row of each kind that the others can point at; returns their ids. */
function seed(db: DatabaseSync): { inbound: number; session: number; run: number } {
  const inbound = db
    .prepare(
      "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at) VALUES ('webchat', 'default', 'm1', 'k', 'peer', 'hi', ?) RETURNING id",
    )
    .get(T)!.id as number;
  const session = db.prepare("INSERT INTO sessions (session_key, agent_id, started_at, last_activity_at) VALUES ('k', 'main', ?, ?) RETURNING id").get(T, T)!
    .id as number;
  const run = db
    .prepare("INSERT INTO runs (inbound_id, session_id, state, started_at, epoch) VALUES (?, ?, 'running', ?, 1) RETURNING id")
    .get(inbound, session, T)!.id as number;
  return { inbound, session, run };
}

const outbox = (db: DatabaseSync, key: string, state = "pending") =>
  db
    .prepare(
      "INSERT INTO outbox (idempotency_key, channel, account, target, text, state, created_at, epoch) VALUES (?, 'webchat', 'default', 'ada', 'hello', ?, ?, 1)",
    )
    .run(key, state, T);

test("a second inbound message with the same (channel, account, message_id) is rejected", () => {
  const store = newStore();
  try {
    seed(store.db);
    assert.throws(
      () =>
        store.db
          .prepare(
            "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at) VALUES ('webchat', 'default', 'm1', 'k', 'peer', 'again', 0)",
          )
          .run(),
      /UNIQUE constraint failed: inbound/,
    );
    // The same id from another account or channel is a different message.
    store.db
      .prepare(
        "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at) VALUES ('webchat', 'other', 'm1', 'k', 'peer', 'hi', 0)",
      )
      .run();
    store.db
      .prepare(
        "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at) VALUES ('telegram', 'default', 'm1', 'k', 'peer', 'hi', 0)",
      )
      .run();
    assert.equal(store.db.prepare("SELECT state FROM inbound WHERE id = 1").get()!.state, "pending");
  } finally {
    store.close();
  }
});

test("a session key has at most one live session, and ended ones keep theirs", () => {
  const store = newStore();
  try {
    const { session } = seed(store.db);
    const open = () => store.db.prepare("INSERT INTO sessions (session_key, agent_id, started_at, last_activity_at) VALUES ('k', 'main', ?, ?)").run(T, T);
    assert.throws(open, /UNIQUE constraint failed: sessions.session_key/);
    store.db.prepare("UPDATE sessions SET ended_at = ?, ended_reason = 'reset' WHERE id = ?").run(T, session);
    open();
    assert.throws(open, /UNIQUE constraint failed/);
    assert.equal(store.db.prepare("SELECT count(*) AS n FROM sessions WHERE session_key = 'k'").get()!.n, 2);
  } finally {
    store.close();
  }
});

test("an outbox idempotency key is written at most once", () => {
  const store = newStore();
  try {
    outbox(store.db, "reply:1");
    assert.throws(() => outbox(store.db, "reply:1"), /UNIQUE constraint failed: outbox.idempotency_key/);
    assert.equal(
      store.db
        .prepare(
          "INSERT OR IGNORE INTO outbox (idempotency_key, channel, account, target, text, created_at, epoch) VALUES ('reply:1', 'c', 'a', 't', 'x', 0, 1)",
        )
        .run().changes,
      0,
    );
  } finally {
    store.close();
  }
});

test("CHECK constraints reject states, roles and reasons outside their lists", () => {
  const store = newStore();
  try {
    const { inbound, session, run } = seed(store.db);
    const db = store.db;
    assert.throws(() => db.prepare("UPDATE inbound SET state = 'done' WHERE id = ?").run(inbound), /CHECK constraint failed/);
    assert.throws(() => db.prepare("UPDATE runs SET state = 'pending' WHERE id = ?").run(run), /CHECK constraint failed/);
    assert.throws(() => db.prepare("UPDATE sessions SET ended_at = 1, ended_reason = 'bored' WHERE id = ?").run(session), /CHECK constraint failed/);
    assert.throws(() => outbox(db, "k", "sent"), /CHECK constraint failed/);
    assert.throws(
      () => db.prepare("INSERT INTO messages (session_id, role, content, created_at) VALUES (?, 'robot', 'x', 0)").run(session),
      /CHECK constraint failed/,
    );
    outbox(db, "reply:1");
    assert.throws(() => db.prepare("UPDATE outbox SET attempts = -1").run(), /CHECK constraint failed/);
  } finally {
    store.close();
  }
});

test("every value the row types list is accepted by the schema", () => {
  const store = newStore();
  try {
    const { inbound, session, run } = seed(store.db);
    const db = store.db;
    for (const s of INBOUND_STATES) db.prepare("UPDATE inbound SET state = ? WHERE id = ?").run(s, inbound);
    for (const s of RUN_STATES) db.prepare("UPDATE runs SET state = ? WHERE id = ?").run(s, run);
    for (const r of ENDED_REASONS) db.prepare("UPDATE sessions SET ended_at = 1, ended_reason = ? WHERE id = ?").run(r, session);
    for (const r of MESSAGE_ROLES)
      db.prepare("INSERT INTO messages (session_id, role, content, created_at, inbound_id, run_id) VALUES (?, ?, 'x', 0, ?, ?)").run(session, r, inbound, run);
    OUTBOX_STATES.forEach((s, i) => outbox(db, `k${i}`, s));
  } finally {
    store.close();
  }
});

test("STRICT tables refuse a value of the wrong type instead of storing it", () => {
  const store = newStore();
  try {
    assert.throws(
      () =>
        store.db
          .prepare(
            "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at) VALUES ('c', 'a', 'm', 'k', 'peer', 't', 'yesterday')",
          )
          .run(),
      /cannot store TEXT value in INTEGER column/,
    );
  } finally {
    store.close();
  }
});

test("foreign keys are enforced, and deleting a session deletes its transcript", () => {
  const store = newStore();
  try {
    const db = store.db;
    const { session } = seed(db);
    assert.throws(
      () => db.prepare("INSERT INTO messages (session_id, role, content, created_at) VALUES (999, 'user', 'x', 0)").run(),
      /FOREIGN KEY constraint failed/,
    );
    assert.throws(
      () => db.prepare("INSERT INTO runs (inbound_id, session_id, state, started_at, epoch) VALUES (999, ?, 'running', 0, 1)").run(session),
      /FOREIGN KEY constraint failed/,
    );
    assert.throws(
      () =>
        db
          .prepare(
            "INSERT INTO outbox (inbound_id, idempotency_key, channel, account, target, text, created_at, epoch) VALUES (999, 'k', 'c', 'a', 't', 'x', 0, 1)",
          )
          .run(),
      /FOREIGN KEY constraint failed/,
    );
    const other = db.prepare("INSERT INTO sessions (session_key, agent_id, started_at, last_activity_at) VALUES ('k2', 'main', 0, 0) RETURNING id").get()!
      .id as number;
    db.prepare("INSERT INTO messages (session_id, role, content, created_at) VALUES (?, 'user', 'x', 0)").run(other);
    db.prepare("DELETE FROM sessions WHERE id = ?").run(other);
    assert.equal(db.prepare("SELECT count(*) AS n FROM messages").get()!.n, 0);
    assert.equal(db.prepare("SELECT count(*) AS n FROM sessions").get()!.n, 1);
  } finally {
    store.close();
  }
});
