/**
 * The watchdog in real gateway processes: a second gateway on one Telegram token finds its channel
 * in conflict (the first holds the host-wide lease). Past `alerts.afterMs` exactly one alert goes
 * to the other channel (Slack) and one to a webhook (signed, with an Idempotency-Key), never to
 * Telegram itself; it stays one alert while the conflict lasts; once the first gateway stops and
 * the channel polls again, exactly one recovery message follows on each.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeSlack } from "../helpers/fake-slack.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { httpGet, runCli, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { sleep, until } from "../helpers/wait.ts";

const model = new FakeModelServer();
const tg = new FakeTelegram();
const slack = new FakeSlack();
const running: RunningGateway[] = [];
const posts: Array<{ headers: http.IncomingHttpHeaders; body: string; at: number }> = [];
const hook = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    posts.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
    res.writeHead(204).end();
  });
});
const SIGNING_KEY = "alert-signing-key-for-the-test";

before(async () => {
  await Promise.all([model.start(), tg.start(), slack.start(), new Promise<void>((r) => hook.listen(0, "127.0.0.1", r))]);
});
after(async () => {
  for (const g of running) await g.stop();
  hook.close();
  await Promise.all([model.close(), tg.close(), slack.close()]);
});

const telegramState = async (g: RunningGateway) =>
  ((await httpGet(g.port, "/api/status")).body.channels as Array<Record<string, any>>).find((c) => c.id === "telegram");

test(
  "a Telegram channel in conflict: one alert on Slack and one webhook within the threshold, none on Telegram, then one recovery each",
  { timeout: 120_000 },
  async () => {
    const token = "7400001:AAAlertTestTokenxxxxxxxxxxxxxxxxxxxxxx";
    tg.addBot(token, "alert_test_bot");
    const leaseDir = tmpDir("onebrain-lease-");
    const models = { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } };
    const first = await startGateway({
      config: { models, channels: { telegram: { apiRoot: tg.apiRoot, pollTimeoutSeconds: 1 } } },
      env: { TELEGRAM_BOT_TOKEN: token, ONEBRAIN_LEASE_DIR: leaseDir },
    });
    running.push(first);
    await until("the first gateway polls", async () => (await telegramState(first))?.state === "connected");

    const ops = slack.channel("ops");
    const afterMs = 1500;
    const second = await startGateway({
      config: {
        models,
        channels: { telegram: { apiRoot: tg.apiRoot, pollTimeoutSeconds: 1 }, slack: { apiRoot: slack.apiUrl, statusReaction: "" } },
        alerts: {
          targets: [
            { channel: "slack", target: ops },
            { channel: "telegram", target: "999" },
            { urlEnv: "ALERT_HOOK_URL", secretEnv: "ALERT_HOOK_KEY" },
          ],
          afterMs,
          recoverAfterMs: 1000,
          checkIntervalMs: 200,
        },
      },
      env: {
        TELEGRAM_BOT_TOKEN: token,
        SLACK_APP_TOKEN: slack.appToken,
        SLACK_BOT_TOKEN: slack.botToken,
        ONEBRAIN_LEASE_DIR: leaseDir,
        ALERT_HOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts/secret-path`,
        ALERT_HOOK_KEY: SIGNING_KEY,
      },
    });
    running.push(second);
    await until("the second gateway's telegram is in conflict", async () => (await telegramState(second))?.state === "conflict");
    const conflictSeen = Date.now();

    const alerted = await until("the alert on Slack", () => slack.botMessages(ops).length >= 1 && slack.botMessages(ops), 15_000);
    const delay = Date.now() - conflictSeen;
    assert.ok(delay <= afterMs + 3000, `the alert came ${delay} ms after the conflict (threshold ${afterMs} ms)`);
    assert.match(alerted[0]!.text, /^onebrain alert from \S+: telegram@7400001 is in conflict: token in use by pid \d+/);
    await until("the alert's webhook", () => posts.length >= 1, 10_000);

    // The conflict goes on: still one alert, and nothing ever went to Telegram (the broken channel).
    await sleep(3000);
    assert.equal(slack.botMessages(ops).length, 1, "one alert, not a flood");
    assert.equal(posts.length, 1);
    assert.equal(tg.sentTo(999, token).length, 0, "no alert about Telegram goes to Telegram");
    const alert = JSON.parse(posts[0]!.body);
    assert.deepEqual([alert.type, alert.condition, alert.closedAt], ["alert", "channel:telegram@7400001", null]);
    assert.equal(alert.text, alerted[0]!.text, "the webhook carries the chat line");
    const signature = crypto.createHmac("sha256", SIGNING_KEY).update(posts[0]!.body).digest("hex");
    assert.equal(posts[0]!.headers["x-onebrain-signature-256"], `sha256=${signature}`);
    assert.match(String(posts[0]!.headers["idempotency-key"]), /^onebrain-alert-\d+-\d+-open$/);

    const status = await runCli(["alerts", "status", "--json"], second.env);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.equal(s.via, "gateway");
    assert.deepEqual(
      s.open.map((a: { condition: string }) => a.condition),
      ["channel:telegram@7400001"],
    );
    assert.deepEqual(s.open[0].sends.map((x: { target: string; state: string }) => [x.target, x.state]).sort(), [
      [`slack:${ops}`, "delivered"],
      ["webhook $ALERT_HOOK_URL", "sent"],
    ]);
    assert.ok(!status.stdout.includes("secret-path") && !status.stdout.includes(SIGNING_KEY), "no secret in the status");
    const overall = await runCli(["status"], second.env);
    assert.match(overall.stdout, /alerts\s+1 open: channel:telegram@7400001 for \d+/);

    // The first gateway goes away: the second takes the lease at its next recheck and polls.
    await first.stop();
    await until("the second gateway's telegram polls", async () => (await telegramState(second))?.state === "connected", 60_000);
    await until("the recovery on Slack", () => slack.botMessages(ops).length >= 2, 15_000);
    await until("the recovery's webhook", () => posts.length >= 2, 10_000);
    await sleep(1500);
    const said = slack.botMessages(ops).map((m) => m.text);
    assert.equal(said.length, 2, "one alert, one recovery");
    assert.match(said[1]!, /^onebrain recovered on \S+: channel telegram@7400001 is fine again after \d+/);
    assert.equal(posts.length, 2);
    assert.deepEqual(
      [JSON.parse(posts[1]!.body).type, posts[1]!.headers["idempotency-key"]],
      ["recovery", String(posts[0]!.headers["idempotency-key"]).replace(/open$/, "recovery")],
    );
    const closed = JSON.parse((await runCli(["alerts", "status", "--json"], second.env)).stdout);
    assert.deepEqual([closed.open.length, closed.recent[0].condition], [0, "channel:telegram@7400001"]);
  },
);
