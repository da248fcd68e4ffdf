/**
 * `onebrain channels status` and `onebrain pairing list|approve` as real processes: from the
 * running gateway over RPC, and from the config and the store (under the brain lock) when no
 * gateway runs. The bot token never appears in any output.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { requestPairing } from "../../src/channels/pairing.ts";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { openStore } from "../../src/store/db.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { brainEnv, runCli, startGateway, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";

const tg = new FakeTelegram();
before(() => tg.start());
after(async () => {
  reapAll();
  await tg.close();
});

const secretPart = () => tg.token.split(":")[1]!;

/** A stopped brain with pairing requests from two senders already in its store. */
function brainWithRequests(): { stateDir: string; codes: string[] } {
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, {});
  const store = openStore(path.join(stateDir, "brain.db"));
  try {
    const now = Date.now();
    const a = requestPairing(store, { channel: "telegram", account: "7000001", sender: "501", senderName: "ada", peer: "501", now });
    const b = requestPairing(store, { channel: "telegram", account: "7000001", sender: "502", peer: "502", now: now + 1 });
    return { stateDir, codes: [a.code, b.code] };
  } finally {
    store.close();
  }
}

test(
  "without a gateway, channels status says so plainly and shows the config: token source (masked), apiRoot, lease; --probe asks getMe from the CLI",
  bounded,
  async () => {
    const stateDir = path.join(tmpDir(), "state");
    writeConfig(stateDir, { channels: { telegram: { apiRoot: tg.apiRoot } } });
    const env = brainEnv(stateDir, { TELEGRAM_BOT_TOKEN: tg.token, ONEBRAIN_LEASE_DIR: path.join(tmpDir(), "leases") });
    const text = await runCli(["channels", "status"], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /the gateway is not running/);
    assert.match(text.stdout, /telegram\s+NOT RUNNING\s+account 7000001/);
    assert.match(text.stdout, new RegExp(`token\\s+env TELEGRAM_BOT_TOKEN \\(700…000\\), api ${tg.apiRoot.replace(/\./g, "\\.")}`));
    assert.match(text.stdout, /lease\s+free \(nobody polls this token\)/);
    const json = await runCli(["channels", "status", "--probe", "--json"], env);
    assert.equal(json.code, 0, json.stderr);
    const s = JSON.parse(json.stdout);
    assert.deepEqual(s.gateway, { running: false, pid: null, note: "the gateway is not running: this is what the config sets up" });
    assert.equal(s.channels[0].token.source, "env");
    assert.equal(s.channels[0].probe.ok, true);
    assert.deepEqual(s.channels[0].probe.identity, { id: 7000001, username: "onebrain_test_bot", name: "onebrain_test" });
    for (const r of [text, json]) assert.ok(!(r.stdout + r.stderr).includes(secretPart()), "the token is never printed");
  },
);

test("a revoked token makes the probe fail with exit 3 and says why", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { channels: { telegram: { apiRoot: tg.apiRoot, botToken: tg.token } } });
  tg.failNext("getMe", { code: 401, description: "Unauthorized" });
  const r = await runCli(["channels", "status", "--probe"], brainEnv(stateDir, { ONEBRAIN_LEASE_DIR: path.join(tmpDir(), "leases") }));
  assert.equal(r.code, 3);
  assert.match(r.stdout, /probe\s+FAILED after \d+ ms: getMe failed: the token was refused \(401 Unauthorized/);
  assert.match(r.stdout, /token\s+config \(700…000\)/);
});

test("without a gateway, pairing list and approve work on the store; a wrong code is a usage error naming the code", bounded, async () => {
  const { stateDir, codes } = brainWithRequests();
  const env = brainEnv(stateDir);
  const list = await runCli(["pairing", "list", "--json"], env);
  assert.equal(list.code, 0, list.stderr);
  const l = JSON.parse(list.stdout);
  assert.equal(l.via, "store");
  assert.deepEqual(
    l.pairings.map((p: any) => [p.state, p.sender, p.name, p.code]),
    [
      ["pending", "502", null, codes[1]],
      ["pending", "501", "ada", codes[0]],
    ],
  );
  const wrong = await runCli(["pairing", "approve", "telegram", "ZZZZZZZZ"], env);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /no pending pairing with code ZZZZZZZZ for telegram \(expired codes are removed after 1 h\)/);
  assert.match(wrong.stderr, /next: `onebrain pairing list` shows the pending codes/);
  // Operators type codes in lower case; it still matches.
  const ok = await runCli(["pairing", "approve", "telegram", codes[0]!.toLowerCase(), "--json"], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { approved: true, channel: "telegram", sender: "501", name: "ada", via: "store" });
  const text = await runCli(["pairing", "list"], env);
  assert.match(text.stdout, /^pairing: 1 pending, 1 approved \(from the store; the gateway is not running\)/);
  assert.match(text.stdout, /approved\s+telegram\s+ada \(501\)\s+.+ ago by onebrain-cli/);
  assert.match(text.stdout, new RegExp(`next: onebrain pairing approve telegram ${codes[1]}`));
  assert.ok(!text.stdout.includes(codes[0]!), "an approved sender's code is not shown");
});

test("with a gateway running, pairing goes through it (never behind its back), and an unknown code is INVALID_REQUEST on the wire", bounded, async () => {
  const { stateDir, codes } = brainWithRequests();
  // No bot token: this gateway runs WebChat only (whatever the machine has in TELEGRAM_BOT_TOKEN).
  const gw = track(await startGateway({ stateDir, env: { TELEGRAM_BOT_TOKEN: undefined } }));
  try {
    const conn = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, timeoutMs: 5000 });
    try {
      const listed = await conn.request<{ pairings: Array<{ code: string | null; state: string }> }>("pairing.list", { channel: "telegram" });
      assert.deepEqual(
        listed.pairings.map((p) => p.code),
        [codes[1], codes[0]],
      );
      await assert.rejects(conn.request("pairing.approve", { channel: "telegram", code: "NOPE2345" }), (err: any) => {
        assert.equal(err.details.wireCode, "INVALID_REQUEST");
        assert.equal(err.message, "no pending pairing with code NOPE2345 for telegram (expired codes are removed after 1 h)");
        return true;
      });
      await assert.rejects(conn.request("pairing.approve", { channel: "telegram" }), (err: any) => err.details.wireCode === "INVALID_REQUEST");
    } finally {
      await conn.close();
    }
    const ok = await runCli(["pairing", "approve", "telegram", codes[1]!, "--json"], gw.env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { approved: true, channel: "telegram", sender: "502", name: null, via: "gateway" });
    const again = await runCli(["pairing", "approve", "telegram", codes[1]!], gw.env);
    assert.equal(again.code, 2, "a code is used once");
    const list = JSON.parse((await runCli(["pairing", "list", "--json"], gw.env)).stdout);
    assert.equal(list.via, "gateway");
    assert.deepEqual(
      list.pairings.map((p: any) => [p.sender, p.state, p.approvedBy]),
      [
        ["502", "approved", "onebrain-cli"],
        ["501", "pending", null],
      ],
    );
    const status = await runCli(["channels", "status", "--json"], gw.env);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.deepEqual([s.gateway.running, s.gateway.pid], [true, gw.pid]);
    assert.ok(s.channels.some((c: any) => c.id === "webchat" && c.state === "connected"));
  } finally {
    await gw.stop();
  }
});
