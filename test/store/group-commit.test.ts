import { test } from "node:test";
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openStore } from "../../src/store/db.ts";
import { migrations } from "../../src/store/migrations/index.ts";
import type { Migration } from "../../src/store/migrate.ts";
import { hasCode } from "../../src/shared/errors.ts";
import { storeFile, thrown } from "./fixtures.ts";

const insert = "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at) VALUES ('webchat', 'default', ?, 'k', 'p', 't', 1)";

/** What another connection (another process, say `backup`) sees as committed. */
function committedIds(file: string): string[] {
  const other = new DatabaseSync(file, { readOnly: true });
  try {
    return other
      .prepare("SELECT message_id FROM inbound ORDER BY id")
      .all()
      .map((r) => String(r.message_id));
  } finally {
    other.close();
  }
}

test("grouped writes of one turn of the event loop share one commit, and `durable` resolves only once it is on disk", async () => {
  const file = storeFile();
  const store = openStore(file);
  try {
    const a = store.grouped(() => store.prepare(insert).run("a").changes);
    const b = store.grouped(() => store.prepare(insert).run("b").changes);
    assert.equal(a.value, 1, "the value is there at once");
    assert.equal(a.durable, b.durable, "one group, one commit");
    assert.deepEqual(committedIds(file), [], "nothing is committed before the turn ends");
    let resolved = false;
    void a.durable.then(() => (resolved = true));
    await Promise.resolve();
    assert.equal(resolved, false);
    await a.durable;
    assert.deepEqual(committedIds(file), ["a", "b"]);
    const c = store.grouped(() => store.prepare(insert).run("c"));
    assert.notEqual(c.durable, a.durable, "the next turn opens a new group");
    await c.durable;
    assert.deepEqual(committedIds(file), ["a", "b", "c"]);
  } finally {
    store.close();
  }
});

test("a grouped write that throws undoes only itself; the rest of its group commits", async () => {
  const file = storeFile();
  const store = openStore(file);
  try {
    const ok = store.grouped(() => store.prepare(insert).run("ok"));
    const err = thrown(() =>
      store.grouped(() => {
        store.prepare(insert).run("half");
        store.prepare(insert).run("ok"); // UNIQUE (channel, account, message_id)
      }),
    );
    assert.match(String(err.message), /UNIQUE/);
    await ok.durable;
    assert.deepEqual(committedIds(file), ["ok"]);
  } finally {
    store.close();
  }
});

test("a transaction commits the open group first, so it is as durable on return as it always was", async () => {
  const file = storeFile();
  const store = openStore(file);
  try {
    const g = store.grouped(() => store.prepare(insert).run("grouped"));
    store.transaction(() => store.prepare(insert).run("tx"));
    assert.deepEqual(committedIds(file), ["grouped", "tx"]);
    await g.durable;
    assert.throws(
      () => store.transaction(() => store.grouped(() => 1)),
      (e) => hasCode(e, "INTERNAL"),
      "no group inside a transaction",
    );
  } finally {
    store.close();
  }
});

test("closing the store commits the open group", async () => {
  const file = storeFile();
  const store = openStore(file);
  const g = store.grouped(() => store.prepare(insert).run("last"));
  store.close();
  await g.durable;
  assert.deepEqual(committedIds(file), ["last"]);
});

test("a group whose COMMIT fails is rolled back and every writer in it gets STORE_WRITE_FAILED", async () => {
  // A deferred foreign key is checked at COMMIT: the one way to make a real COMMIT fail on demand.
  const deferred: Migration = {
    version: migrations.length + 1,
    name: "deferred-fk",
    up: (db) =>
      db.exec(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT; CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED) STRICT",
      ),
  };
  const file = storeFile();
  const store = openStore(file, { migrations: [...migrations, deferred] });
  try {
    const fine = store.grouped(() => store.prepare(insert).run("lost"));
    const orphan = store.grouped(() => store.prepare("INSERT INTO child (parent_id) VALUES (42)").run());
    for (const g of [fine, orphan]) await assert.rejects(g.durable, (e) => hasCode(e, "STORE_WRITE_FAILED") && /brain\.db/.test((e as Error).message));
    assert.deepEqual(committedIds(file), []);
    const next = store.grouped(() => store.prepare(insert).run("after"));
    await next.durable;
    assert.deepEqual(committedIds(file), ["after"], "the store goes on working after a failed group");
  } finally {
    store.close();
  }
});
