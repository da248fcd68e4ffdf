/**
 * The WhatsApp auth state on disk: Baileys' creds and keys round-trip (Buffers, protobuf app-state
 * keys), the directory is 0700 and the files 0600, and a kill -9 in the middle of key batches
 * leaves every batch whole or absent, with a store that still loads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openAuthStore } from "../../../src/channels/whatsapp/auth-store.ts";
import { loadBaileys } from "../../../src/channels/whatsapp/baileys.ts";
import { binNodeFlags, tmpDir } from "../../helpers/gateway.ts";
import { prng } from "../../helpers/prng.ts";

test("fresh creds are Baileys' own, and they and the keys read back the same after a reopen, in a 0700 dir and 0600 files", async () => {
  const lib = await loadBaileys();
  const dir = path.join(tmpDir("onebrain-wa-auth-"), "whatsapp", "default");
  const a = openAuthStore(dir, lib);
  assert.equal(a.linked(), false);
  assert.equal(a.account(), null);
  const noise = a.state.creds.noiseKey as { public: Buffer; private: Buffer };
  assert.ok(Buffer.isBuffer(noise.public) && noise.public.length === 32);
  await a.state.keys.set({
    session: { "4915123456789.0": { chain: Buffer.from("ratchet") } },
    "pre-key": { "1": { public: Buffer.alloc(32, 1), private: Buffer.alloc(32, 2) }, "2": { public: Buffer.alloc(32, 3), private: Buffer.alloc(32, 4) } },
    "app-state-sync-key": { AAAA: { keyData: Buffer.from("k"), timestamp: 1700000000 } },
  });
  await a.state.keys.set({ "pre-key": { "2": null } });
  a.state.creds.me = { id: "4915123456789:7@s.whatsapp.net", name: "Ada" };
  a.saveCreds();
  a.close();
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  for (const f of fs.readdirSync(dir)) assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);

  const b = openAuthStore(dir, lib);
  assert.equal(b.linked(), true);
  assert.equal(b.account(), "4915123456789");
  assert.deepEqual((b.state.creds.noiseKey as { public: Buffer }).public, noise.public);
  const keys = await b.state.keys.get("pre-key", ["1", "2"]);
  assert.deepEqual(Object.keys(keys), ["1"]);
  assert.deepEqual((keys["1"] as { private: Buffer }).private, Buffer.alloc(32, 2));
  const session = await b.state.keys.get("session", ["4915123456789.0"]);
  assert.deepEqual((session["4915123456789.0"] as { chain: Buffer }).chain, Buffer.from("ratchet"));
  const appKey = (await b.state.keys.get("app-state-sync-key", ["AAAA"])).AAAA as { keyData: Uint8Array; constructor: { name: string } };
  assert.equal(appKey.constructor.name, "AppStateSyncKeyData", "revived as the protobuf Baileys expects");
  assert.deepEqual(Buffer.from(appKey.keyData), Buffer.from("k"));
  b.wipe();
  assert.equal(b.linked(), false);
  assert.deepEqual(await b.state.keys.get("pre-key", ["1"]), {});
  b.close();
});

test("kill -9 in the middle of 812-key batches, 8 times: every batch is whole or absent, and the store loads", { timeout: 120_000 }, async () => {
  const lib = await loadBaileys();
  const dir = path.join(tmpDir("onebrain-wa-crash-"), "auth");
  const rand = prng(16);
  for (let round = 0; round < 8; round++) {
    const child = spawn(process.execPath, [...binNodeFlags, path.join(import.meta.dirname, "auth-writer.ts"), dir], { stdio: ["ignore", "pipe", "inherit"] });
    let committed = -1;
    child.stdout.on("data", (c: Buffer) => {
      const lines = c.toString().trim().split("\n");
      committed = Number(lines.at(-1));
    });
    // Wait for a first batch, then kill at a random moment of the following ones.
    while (committed < 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20 + Math.floor(rand() * 300)));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    const db = new DatabaseSync(path.join(dir, "auth.db"), { readOnly: true });
    assert.equal((db.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check, "ok");
    const perBatch = db
      .prepare("SELECT substr(id, 1, instr(id, '-') - 1) AS batch, count(*) AS n FROM kv WHERE type = 'pre-key' GROUP BY batch")
      .all() as Array<{
      batch: string;
      n: number;
    }>;
    db.close();
    for (const b of perBatch) assert.equal(b.n, 812, `batch ${b.batch} of round ${round} is whole`);
    const store = openAuthStore(dir, lib);
    const last = store.state.creds.nextPreKeyId as number;
    assert.ok(last >= (committed + 1) * 812, "the creds written after the last printed batch are there");
    const sample = await store.state.keys.get("pre-key", [`${committed}-811`]);
    assert.deepEqual((sample[`${committed}-811`] as { private: Buffer }).private, Buffer.alloc(32, 811 % 256));
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
