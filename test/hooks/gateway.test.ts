/**
 * Webhooks in a real gateway with the fake model: a delivery to /hooks/agent runs once and
 * GET /hooks/runs/ID follows it to delivered; a wake puts a system line into the main session; a
 * GitHub-style mapping is signed (no token: GitHub cannot send one), rendered from body and
 * headers and keyed by X-GitHub-Delivery; a rotated token works at once; ONEBRAIN_HOOKS_TOKEN
 * overrides the file; `hooks status` reads it all from the running gateway; /metrics counts them.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { runCli } from "../helpers/gateway.ts";
import { reapAll } from "../gateway/support.ts";
import { get, hookConfig, hookGateway, post, rows, settled, sign } from "./support.ts";

const fake = new FakeModelServer();
before(() => fake.start());
after(async () => {
  await fake.close();
  reapAll();
});

const seen = (text: string) => fake.requests.filter((r) => JSON.stringify(r.body).includes(text)).length;

test("a delivery to /hooks/agent runs once, is announced to webchat, and GET /hooks/runs/ID follows it to delivered", { timeout: 60_000 }, async () => {
  const { gw, token, base } = await hookGateway(hookConfig(fake));
  try {
    const sent = await post(
      base,
      "/hooks/agent",
      { message: "build 7 failed on main", deliver: { channel: "webchat", target: "operator" }, name: "ci" },
      { token },
    );
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.match(sent.body.runId, /^hk_[a-z2-7]{16}$/);
    assert.deepEqual(Object.keys(sent.body), ["runId"]);
    assert.equal(sent.headers.get("location"), `/hooks/runs/${sent.body.runId}`);
    const view = await settled(base, token, sent.body.runId);
    assert.equal(view.state, "delivered", JSON.stringify(view));
    assert.equal(view.hook, "agent");
    assert.deepEqual(view.reply, { text: "echo: build 7 failed on main", delivery: { channel: "webchat", target: "operator", state: "delivered" } });
    const inbound = rows(gw.stateDir, "SELECT channel, account, message_id AS id, session_key AS s, sender, state FROM inbound WHERE channel = 'hook'");
    assert.deepEqual(inbound, [
      { channel: "hook", account: "agent", id: sent.body.runId, s: "agent:main:hook:agent", sender: "hook:agent/ci", state: "answered" },
    ]);
    assert.equal(rows(gw.stateDir, "SELECT count(*) AS n FROM runs")[0]!.n, 1);
    assert.equal(seen("build 7 failed on main"), 1, "the model was asked once");
    const status = await runCli(["hooks", "status", "--json"], gw.env);
    const s = JSON.parse(status.stdout);
    assert.equal(s.via, "gateway");
    assert.equal(s.deliveries.agent, 1);
    assert.equal(s.recent[0].id, sent.body.runId);
    assert.equal(s.recent[0].state, "delivered");
  } finally {
    await gw.stop();
  }
});

test("/hooks/wake puts a [system event] line into the main session and announces nothing by default", { timeout: 60_000 }, async () => {
  const { gw, token, base } = await hookGateway(hookConfig(fake));
  try {
    const sent = await post(base, "/hooks/wake", { text: "disk /var is 91% full" }, { token });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const view = await settled(base, token, sent.body.runId);
    assert.equal(view.state, "answered");
    assert.equal(view.reply.delivery, null);
    assert.equal(view.reply.text, "echo: [system event] disk /var is 91% full");
    const lines = rows(
      gw.stateDir,
      "SELECT m.role, m.content FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.session_key = 'agent:main:main' ORDER BY m.id",
    );
    assert.deepEqual(lines, [
      { role: "user", content: "[system event] disk /var is 91% full" },
      { role: "assistant", content: "echo: [system event] disk /var is 91% full" },
    ]);
    assert.equal(rows(gw.stateDir, "SELECT count(*) AS n FROM outbox")[0]!.n, 0, "no delivery");
  } finally {
    await gw.stop();
  }
});

test(
  "a GitHub-style mapping: the signature alone opens it, the template reads body and headers, X-GitHub-Delivery is the key",
  { timeout: 60_000 },
  async () => {
    const secret = "gh-webhook-secret-for-tests";
    const config = hookConfig(fake, {
      hooks: {
        mappings: {
          github: {
            message: "GitHub {{headers.x-github-event}} on {{body.repository.full_name}}: {{body.head_commit.message}}",
            secretEnv: "GH_HOOK_SECRET",
            auth: "signature",
            deliver: { channel: "webchat", target: "operator" },
          },
        },
      },
    });
    const { gw, token, base } = await hookGateway(config, { env: { GH_HOOK_SECRET: secret } });
    try {
      const body = JSON.stringify({ repository: { full_name: "acme/app" }, head_commit: { message: "fix: null check" } });
      const headers = (delivery: string, signature = sign(body, secret)) => ({
        "x-github-event": "push",
        "x-github-delivery": delivery,
        "x-hub-signature-256": signature,
      });
      const first = await post(base, "/hooks/github", body, { headers: headers("72d3162e-cc78-11e3-81ab-4c9367dc0958") });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const again = await post(base, "/hooks/github", body, { headers: headers("72d3162e-cc78-11e3-81ab-4c9367dc0958") });
      assert.deepEqual([again.status, again.body], [200, { runId: first.body.runId, duplicate: true }]);
      const view = await settled(base, token, first.body.runId);
      assert.equal(view.state, "delivered");
      assert.equal(view.reply.text, "echo: GitHub push on acme/app: fix: null check");
      const other = await post(base, "/hooks/github", body, { headers: headers("another-delivery") });
      assert.equal(other.status, 202);
      assert.notEqual(other.body.runId, first.body.runId);
      const wrong = await post(base, "/hooks/github", body, { headers: headers("third", sign(body, "not-the-secret")) });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, "HOOK_UNAUTHORIZED");
      assert.match(wrong.body.error.message, /wrong X-Hub-Signature-256 signature/);
      assert.equal(rows(gw.stateDir, "SELECT count(*) AS n FROM hook_deliveries WHERE hook = 'github'")[0]!.n, 2);
      assert.deepEqual(
        rows(gw.stateDir, "SELECT idempotency_key AS k FROM hook_deliveries ORDER BY rowid").map((r) => r.k),
        ["github:72d3162e-cc78-11e3-81ab-4c9367dc0958", "github:another-delivery"],
      );
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /^onebrain_hook_deliveries_total\{hook="github",outcome="accepted"\} 2$/m);
      assert.match(metrics, /^onebrain_hook_deliveries_total\{hook="github",outcome="duplicate"\} 1$/m);
      assert.match(metrics, /^onebrain_hook_refusals_total\{status="401"\} 1$/m);
    } finally {
      await gw.stop();
    }
  },
);

test("a rotated token works at once without a restart; ONEBRAIN_HOOKS_TOKEN overrides the file", { timeout: 60_000 }, async () => {
  const { gw, token, base } = await hookGateway(hookConfig(fake));
  try {
    assert.equal((await post(base, "/hooks/agent", { message: "one" }, { token })).status, 202);
    const rotated = await runCli(["hooks", "token", "--rotate", "--json"], gw.env);
    const fresh = JSON.parse(rotated.stdout).token as string;
    assert.equal((await post(base, "/hooks/agent", { message: "two" }, { token })).status, 401, "the old token stops working at once");
    assert.equal((await post(base, "/hooks/agent", { message: "three" }, { headers: { "x-onebrain-hook-token": fresh } })).status, 202);
  } finally {
    await gw.stop();
  }
  const envToken = "obh_set-by-the-container-environment";
  const { gw: second, base: base2 } = await hookGateway(hookConfig(fake), { stateDir: gw.stateDir, token: false, env: { ONEBRAIN_HOOKS_TOKEN: envToken } });
  try {
    const file = JSON.parse((await runCli(["hooks", "token", "--rotate", "--json"], second.env)).stdout).token as string;
    assert.equal((await post(base2, "/hooks/agent", { message: "four" }, { token: file })).status, 401, "the file is not used while the env sets a token");
    assert.equal((await post(base2, "/hooks/agent", { message: "five" }, { token: envToken })).status, 202);
    const s = JSON.parse((await runCli(["hooks", "status", "--json"], second.env)).stdout);
    assert.deepEqual(s.token, { source: "env", createdAt: null, problem: null });
    const run = await get(base2, `/hooks/runs/hk_aaaaaaaaaaaaaaaa`, envToken);
    assert.equal(run.status, 404);
  } finally {
    await second.stop();
  }
});
