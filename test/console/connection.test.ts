/**
 * The console's connection against a real gateway process, through Node's standard WebSocket
 * and fetch: handshake, auth refusal, a killed and restarted gateway, a frozen one, and the
 * proxies that break WebSockets.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { freePort, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { nodeLink, sleep, startProxy, waitForLink, type TestLink } from "./support.ts";

const gateways: RunningGateway[] = [];
const links: TestLink[] = [];
after(async () => {
  for (const l of links) l.conn.stop();
  for (const g of gateways) if (g.child.exitCode === null && g.child.signalCode === null) await g.stop();
});

async function gateway(opts: Parameters<typeof startGateway>[0] = {}): Promise<RunningGateway> {
  const g = await startGateway(opts);
  gateways.push(g);
  return g;
}

function link(...args: Parameters<typeof nodeLink>): TestLink {
  const l = nodeLink(...args);
  links.push(l);
  return l;
}

const fast = { backoff: { baseMs: 100, maxMs: 400 } };

test("connects to its own origin's /ws as onebrain-console in ui mode and reports the instance and fencing epoch", async () => {
  const g = await gateway();
  const { conn, dialled } = link(g.port);
  conn.start();
  const s = await waitForLink(conn, (x) => x.state === "connected", "connected");
  assert.match(dialled[0]!, new RegExp(`^ws://127\\.0\\.0\\.1:${g.port}/ws\\?attempt=[A-Za-z0-9_-]{22}$`));
  assert.equal(typeof s.hello?.server.instanceId, "string");
  assert.equal(typeof s.epoch, "number");
  assert.equal(s.generation, 1);
  const health = await conn.request<{ ok: boolean; instanceId: string }>("health");
  assert.equal(health.instanceId, s.hello!.server.instanceId);
  await g.waitFor(/client connected.*clientId=onebrain-console.*mode=ui/);
  conn.stop();
});

test("a refused token ends in auth-failed with no retry until a new token is given", async () => {
  const g = await gateway({ env: { ONEBRAIN_GATEWAY_TOKEN: "right-token-123456" } });
  const { conn, dialled } = link(g.port, fast);
  conn.start("wrong-token");
  const failed = await waitForLink(conn, (x) => x.state === "auth-failed", "auth-failed");
  assert.equal(failed.manual, true);
  assert.equal(failed.nextRetryAt, null);
  await sleep(1_000);
  assert.equal(dialled.length, 1, "no second attempt with a refused secret");
  assert.equal(conn.snapshot.state, "auth-failed");
  conn.setSecret("right-token-123456");
  await waitForLink(conn, (x) => x.state === "connected", "connected with the new token");
  conn.stop();
});

test("a gateway that needs a token and got none asks to sign in instead of retrying", async () => {
  const g = await gateway({ env: { ONEBRAIN_GATEWAY_TOKEN: "right-token-123456" } });
  const { conn } = link(g.port, fast);
  conn.start(null);
  const s = await waitForLink(conn, (x) => x.state === "sign-in", "sign-in");
  assert.match(s.detail, /needs a token or password/);
  conn.stop();
});

test("a killed gateway shows reconnecting with growing attempt numbers, and its restart is reported as replaced", async () => {
  const port = await freePort();
  const stateDir = path.join(tmpDir(), "state");
  const first = await gateway({ port, stateDir });
  const { conn } = link(port, fast);
  conn.start();
  const before = await waitForLink(conn, (x) => x.state === "connected", "connected");
  first.kill("SIGKILL");
  await first.exited;
  const r1 = await waitForLink(conn, (x) => x.state === "reconnecting", "reconnecting");
  assert.equal(r1.attempt, 1);
  assert.ok(r1.nextRetryAt! > Date.now() - 50, "a retry is scheduled");
  const r3 = await waitForLink(conn, (x) => x.state === "reconnecting" && x.attempt >= 3, "attempt 3");
  assert.equal(r3.hello, null);
  await assert.rejects(conn.request("health"), { code: "LINK_DOWN" });

  await gateway({ port, stateDir });
  const back = await waitForLink(conn, (x) => x.state === "replaced", "replaced");
  assert.notEqual(back.hello!.server.instanceId, before.hello!.server.instanceId);
  assert.ok(back.epoch! > before.epoch!, "the restarted brain has a newer fencing epoch");
  assert.equal(back.generation, 2);
  assert.equal(back.attempt, 0);
  conn.acknowledgeReplaced();
  assert.equal(conn.snapshot.state, "connected");
  conn.stop();
});

test("a link with no frame for 2.5 tick intervals is dropped and redialled; the same instance answering is not 'replaced'", async () => {
  const g = await gateway({ config: { gateway: { ws: { pingIntervalMs: 300 } } } });
  const { conn } = link(g.port, { ...fast, openTimeoutMs: 500, checkTimeoutMs: 300 });
  conn.start();
  const up = await waitForLink(conn, (x) => x.state === "connected", "connected");
  assert.equal(up.hello!.policy.tickIntervalMs, 300);
  process.kill(g.pid, "SIGSTOP");
  try {
    const dead = await waitForLink(conn, (x) => x.state === "reconnecting", "reconnecting after silence", 3_000);
    assert.match(dead.detail, /No word from the gateway/);
  } finally {
    process.kill(g.pid, "SIGCONT");
  }
  const back = await waitForLink(conn, (x) => x.state === "connected" && x.generation > up.generation, "connected again");
  assert.equal(back.epoch, up.epoch);
  assert.equal(back.hello!.server.instanceId, up.hello!.server.instanceId);
  conn.stop();
});

test("nothing listening is unreachable, retried with backoff", async () => {
  const port = await freePort();
  const { conn } = link(port, fast);
  conn.start();
  const s = await waitForLink(conn, (x) => x.state === "unreachable" && x.attempt >= 2, "unreachable, attempt 2");
  assert.equal(s.manual, false);
  assert.match(s.detail, /Nothing answered/);
  conn.stop();
});

test("a proxy that passes the WebSocket request on as plain HTTP is diagnosed proxy-no-upgrade and not retried", async () => {
  const g = await gateway();
  const proxy = await startProxy(g.port, "plain-http");
  try {
    const { conn, dialled } = link(proxy.port, fast);
    conn.start();
    const s = await waitForLink(conn, (x) => x.state === "proxy-no-upgrade", "proxy-no-upgrade");
    assert.equal(s.manual, true);
    await sleep(600);
    assert.equal(dialled.length, 1, "no automatic retry");
    conn.retryNow();
    await waitForLink(conn, (x) => x.state === "proxy-no-upgrade" && dialled.length === 2, "diagnosed again after retry");
    conn.stop();
  } finally {
    await proxy.close();
  }
});

test("a proxy answering 502 is diagnosed proxy-error with the status, and retried", async () => {
  const g = await gateway();
  const proxy = await startProxy(g.port, "bad-gateway");
  try {
    const { conn } = link(proxy.port, fast);
    conn.start();
    const s = await waitForLink(conn, (x) => x.state === "proxy-error" && x.attempt >= 2, "proxy-error, attempt 2");
    assert.equal(s.httpStatus, 502);
    assert.equal(s.manual, false);
    conn.stop();
  } finally {
    await proxy.close();
  }
});
