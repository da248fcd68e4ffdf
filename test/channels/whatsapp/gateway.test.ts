/**
 * WhatsApp in real gateway processes, against the fake WhatsApp server (test/helpers/fake-whatsapp.ts)
 * reached through the adapter's boundary (ONEBRAIN_WHATSAPP_LIBRARY):
 * - `channels login whatsapp` while a gateway runs: the gateway links, the terminal shows the QR
 *   code, the channel connects without a restart and answers; logout stops it and tells WhatsApp;
 * - the failure states (a Bad MAC burst, 515, a replaced session, logged out from the phone) each
 *   give their state and next step in words, while Telegram in the same gateway keeps answering.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { authDir, readLinked } from "../../../src/channels/whatsapp/auth-store.ts";
import { connectGateway } from "../../../src/client/gateway-client.ts";
import { whatsappDriver } from "../contract/whatsapp-driver.ts";
import { FakeModelServer } from "../../helpers/fake-model.ts";
import { FakeTelegram } from "../../helpers/fake-telegram.ts";
import { FakeWhatsApp } from "../../helpers/fake-whatsapp.ts";
import { brainRows, runCli, spawnCli, startGateway, tmpDir, type RunningGateway } from "../../helpers/gateway.ts";
import { eventually } from "../telegram-support.ts";

const ME = "4915100000001";
const FRIEND = "4915100000002@s.whatsapp.net";
const model = new FakeModelServer();
const wa = new FakeWhatsApp();
const tg = new FakeTelegram();
const running: RunningGateway[] = [];

before(async () => {
  await model.start();
  await wa.start();
  await tg.start();
});
after(async () => {
  for (const g of running) await g.stop();
  await model.close();
  await wa.stop();
  await tg.close();
});

async function gateway(stateDir: string, telegram = false): Promise<RunningGateway> {
  const g = await startGateway({
    stateDir,
    config: {
      models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
      channels: {
        whatsapp: { allowFrom: ["+4915100000002"], decryptFailureThreshold: 3 },
        ...(telegram ? { telegram: { apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, allowFrom: ["5501"] } } : {}),
      },
    },
    env: { ...wa.env(), ONEBRAIN_LEASE_DIR: tmpDir("onebrain-lease-"), ...(telegram ? { TELEGRAM_BOT_TOKEN: tg.token } : { TELEGRAM_BOT_TOKEN: undefined }) },
  });
  running.push(g);
  return g;
}

type Line = { id: string; state: string; detail?: string; reason?: string; code?: string; token?: { source: string; masked: string } | null };
async function whatsappLine(g: RunningGateway): Promise<Line | undefined> {
  const r = await runCli(["channels", "status", "--json"], g.env);
  return (JSON.parse(r.stdout).channels as Line[]).find((c) => c.id === "whatsapp");
}

async function waitState(g: RunningGateway, state: string, ms = 10_000, detail?: RegExp): Promise<Line> {
  let last: Line | undefined;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    last = await whatsappLine(g);
    if (last?.state === state && (!detail || detail.test(last.detail ?? ""))) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`whatsapp never became ${state}; last: ${JSON.stringify(last)}`);
}

const repliesTo = (id: string) => wa.sent.filter((s) => s.quotedId === id);

/** Telegram in the same gateway answers a message now. */
async function telegramAnswers(text: string): Promise<void> {
  const before = tg.sentTo(5501).length;
  tg.userSays(5501, text);
  await eventually(() => tg.sentTo(5501).length > before, 10_000, `telegram answers "${text}"`);
  assert.equal(tg.sentTo(5501).at(-1)!.plain, `echo: ${text}`);
}

test(
  "a running gateway links WhatsApp from `channels login whatsapp` (QR in the terminal), connects without a restart, answers; logout unlinks",
  { timeout: 90_000 },
  async () => {
    const stateDir = tmpDir("onebrain-wa-gw-");
    const g = await gateway(stateDir);
    assert.equal((await whatsappLine(g)) ?? null, null, "nothing linked: no WhatsApp channel");

    const login = spawnCli(["channels", "login", "whatsapp"], g.env);
    await login.waitFor("Linked devices > Link a device, and scan:", 20_000);
    assert.match(login.stdout(), /the running gateway links/);
    assert.match(login.stdout(), /[█▀▄]/, "the QR code is drawn in the terminal");
    wa.scan(ME, "Ada");
    const done = await login.exited;
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.match(done.stdout, new RegExp(`Linked: \\+${ME}\\. The running gateway connects it now`));

    const line = await waitState(g, "connected");
    assert.deepEqual(line.token, { source: "linked", masked: "+491…001" });
    assert.equal(readLinked(authDir(stateDir)).account, ME);
    const id = wa.userSays(ME, FRIEND, "hello after linking");
    await eventually(() => repliesTo(id).length === 1, 10_000, "the reply");
    assert.equal(repliesTo(id)[0]!.text, "echo: hello after linking");
    await eventually(() => wa.reads.some((r) => r.id === id), 5000, "the read receipt");

    const out = await runCli(["channels", "logout", "whatsapp", "--json"], g.env);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { ok: true, unlinked: `+${ME}`, toldWhatsApp: true, via: "gateway" });
    const stopped = await waitState(g, "stopped");
    assert.match(stopped.detail ?? "", /no device is linked/);
    assert.equal(readLinked(authDir(stateDir)).account, null, "the keys are gone");
    assert.equal(wa.online(ME), false);
  },
);

test("a link by pairing code through the gateway's RPC; a second login while linked is refused naming the number", { timeout: 60_000 }, async () => {
  const g = await gateway(tmpDir("onebrain-wa-gw-"));
  const login = spawnCli(["channels", "login", "whatsapp", "--phone", `+${ME}`, "--json"], g.env);
  await login.waitFor('"event":"code"', 20_000);
  const code = JSON.parse(
    login
      .stdout()
      .trim()
      .split("\n")
      .find((l) => l.includes('"code"'))!,
  ).code as string;
  assert.equal(wa.codes.at(-1)!.phone, ME);
  wa.enterCode(code);
  const done = await login.exited;
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(JSON.parse(done.stdout.trim().split("\n").at(-1)!), { ok: true, linked: `+${ME}`, via: "gateway" });
  await waitState(g, "connected");
  const again = await runCli(["channels", "login", "whatsapp", "--json"], g.env);
  assert.equal(again.code, 92);
  assert.match(JSON.parse(again.stdout).error.message, new RegExp(`A device is linked already \\(\\+${ME}\\): unlink it first`));
  await runCli(["channels", "logout", "whatsapp"], g.env);
});

test(
  "Bad MAC burst, 515, rate limited, a replaced session, logged out from the phone: each its state and next step, and Telegram keeps answering",
  { timeout: 150_000 },
  async () => {
    const stateDir = tmpDir("onebrain-wa-gw-");
    let g = await gateway(stateDir, true);
    const login = spawnCli(["channels", "login", "whatsapp", "--json"], g.env);
    await login.waitFor('"event":"qr"', 20_000);
    wa.scan(ME);
    assert.equal((await login.exited).code, 0);
    await waitState(g, "connected");
    await telegramAnswers("before trouble");

    // Messages that cannot be decrypted: past the threshold (3 here), degraded with the re-link hint; still answering.
    for (let i = 0; i < 3; i++) wa.undecryptable(ME, FRIEND, "Bad MAC");
    const degraded = await waitState(g, "degraded", 10_000, /decrypted/);
    assert.match(degraded.detail ?? "", /3 messages could not be decrypted in 10 min \(Bad MAC\).*onebrain channels login whatsapp/);
    const id1 = wa.userSays(ME, FRIEND, "still there?");
    await eventually(() => repliesTo(id1).length === 1, 10_000, "a reply while degraded");
    await telegramAnswers("while whatsapp is degraded");

    // 515: WhatsApp wants a fresh connection: at once, and answering again.
    const connectsBefore = wa.receipts.length;
    wa.disconnect(ME, 515, "Stream Errored (restart required)");
    await eventually(() => wa.online(ME), 5000, "reconnected after 515");
    const id2 = wa.userSays(ME, FRIEND, "after the restart");
    await eventually(() => repliesTo(id2).length === 1, 10_000, "a reply after 515");
    assert.ok(wa.receipts.length > connectsBefore);

    // Rate limited: the reply waits (nothing lost), and the channel says so in words.
    wa.failSends(ME, 429, "rate-overlimit");
    const limited = wa.userSays(ME, FRIEND, "are you rate limited?");
    const slow = await waitState(g, "degraded", 10_000, /rate-limiting/);
    assert.match(slow.detail ?? "", /WhatsApp is rate-limiting this number's sends \(.*rate-overlimit.*\): replies wait and go in \d+ s/);
    assert.equal(repliesTo(limited).length, 0);
    await telegramAnswers("while whatsapp is rate limited");

    // Replaced by another session of the same keys: conflict, in words, with a long wait (no fight).
    wa.disconnect(ME, 440, "Stream Errored (conflict)");
    const conflict = await waitState(g, "conflict");
    assert.match(conflict.detail ?? "", /connection replaced: another program logged in with this device's keys .*trying again in 60 s/);
    await telegramAnswers("while whatsapp is replaced");
    const status = await runCli(["channels", "status"], g.env);
    assert.equal(status.code, 3, "a channel in conflict makes channels status exit UNHEALTHY (3)");
    assert.match(status.stdout, /whatsapp\s+CONFLICT/);

    // A new gateway connects again; then the phone unlinks the device: failed, WHATSAPP_LOGGED_OUT, keys gone.
    await g.stop();
    g = await gateway(stateDir, true);
    await waitState(g, "connected");
    // The rate-limited reply waited out its time in the outbox, across the restart, and went once.
    await eventually(() => wa.sent.some((m) => m.text === "echo: are you rate limited?"), 45_000, "the rate-limited reply");
    wa.unlinkFromPhone(ME);
    const failed = await waitState(g, "failed");
    assert.equal(failed.code, "WHATSAPP_LOGGED_OUT");
    assert.match(failed.reason ?? "", /logged out: the device was unlinked on the phone.*Link it again: onebrain channels login whatsapp/);
    assert.equal(readLinked(authDir(stateDir)).account, null);
    const text = await runCli(["channels", "status"], g.env);
    assert.match(text.stdout, /\[WHATSAPP_LOGGED_OUT\] logged out/);
    await telegramAnswers("after whatsapp was logged out");
    assert.equal(new Set(wa.sent.filter((m) => m.text === "echo: are you rate limited?").map((m) => m.id)).size, 1, "the rate-limited reply went, once");
    // Readiness names the channel that needs the operator (an alert can go out on Telegram); the gateway keeps serving.
    const health = JSON.parse((await runCli(["health", "--json"], g.env)).stdout);
    assert.match(JSON.stringify(health), /whatsapp/);
  },
);

test(
  "self-chat: 100 messages from the owner get 100 replies, and our replies, handed back to us even after a kill -9, start 0 runs",
  { timeout: 120_000 },
  async () => {
    const stateDir = tmpDir("onebrain-wa-gw-");
    whatsappDriver().prepare!(stateDir);
    let g = await gateway(stateDir);
    await waitState(g, "connected");
    const self = `${ME}@s.whatsapp.net`;
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(wa.ownerSays(ME, `note to self ${i}`));
    const mine = () => wa.sent.filter((m) => m.jid === self && m.text.startsWith("echo: note to self"));
    await eventually(() => new Set(mine().map((m) => m.id)).size === 100, 60_000, "100 replies in the self-chat");
    const runs = () => Number(brainRows(stateDir, "SELECT count(*) AS n FROM runs r JOIN inbound i ON i.id = r.inbound_id WHERE i.channel = 'whatsapp'")[0]!.n);
    await eventually(() => runs() === 100, 10_000, "100 runs");
    // Baileys emitted each reply back at once (from us, in the self-chat): none became a run.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(runs(), 100);

    // A new process, with nothing in memory: the number's other devices hand our replies back; still no run.
    g.kill("SIGKILL");
    await g.exited;
    g = await gateway(stateDir);
    await waitState(g, "connected");
    for (const m of mine()) wa.relay(m);
    await eventually(() => wa.pending(ME) === 0, 10_000, "the relayed replies received");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(runs(), 100, "0 runs on our own messages");
    assert.equal(new Set(mine().map((m) => m.id)).size, 100, "and no reply to them");
    const again = wa.ownerSays(ME, "one more");
    await eventually(() => wa.sent.some((m) => m.jid === self && m.text === "echo: one more"), 10_000, "the owner is still answered");
    assert.ok(again);
  },
);

test(
  "hostile input to the link RPC is refused in words without echoing it; cancel, logout and a second start are safe when idle or under way",
  { timeout: 60_000 },
  async () => {
    const stateDir = tmpDir("onebrain-wa-gw-");
    const g = await gateway(stateDir);
    const conn = await connectGateway({ url: `ws://127.0.0.1:${g.port}`, timeoutMs: 5000 });
    try {
      const refused = async (params: unknown) => {
        const err = (await conn.request("whatsapp.link.start", params).then(
          () => null,
          (e: unknown) => e,
        )) as { message: string; details: { wireCode?: string; wire?: { code?: string } } } | null;
        assert.ok(err, `refused: ${JSON.stringify(params).slice(0, 80)}`);
        assert.equal(err.details.wireCode, "INVALID_REQUEST");
        return err;
      };
      await refused({ phone: 4915100000001 });
      await refused({ timeoutSeconds: 0 });
      await refused({ timeoutSeconds: "60" });
      const huge = await refused({ phone: `sk-secret-${"9".repeat(100_000)}` });
      assert.ok(huge.message.length < 400 && !huge.message.includes("sk-secret"), huge.message.slice(0, 200));
      const bad = await refused({ phone: "+0 not a number sk-secret" });
      assert.equal(bad.details.wire?.code, "USAGE");
      assert.match(bad.message, /as a phone number: expected E\.164/);

      assert.equal((await conn.request<{ state: string }>("whatsapp.link.cancel", {})).state, "idle");
      assert.deepEqual(await conn.request("whatsapp.logout", {}), { unlinked: null, toldWhatsApp: false });
      const qrsBefore = wa.qrs.length;
      const [a, b] = await Promise.all([
        conn.request<{ startedAt: number }>("whatsapp.link.start", {}),
        conn.request<{ startedAt: number }>("whatsapp.link.start", {}),
      ]);
      assert.equal(a.startedAt, b.startedAt, "one link, not two");
      await eventually(() => wa.qrs.length > qrsBefore, 10_000, "a QR code");
      const cancelled = await conn.request<{ state: string; error: string }>("whatsapp.link.cancel", {});
      assert.equal(cancelled.state, "cancelled");
      assert.equal(readLinked(authDir(stateDir)).account, null, "nothing half-linked");
      assert.equal((await runCli(["health", "--json"], g.env)).code, 0, "the gateway is well");
    } finally {
      await conn.close();
    }
  },
);
