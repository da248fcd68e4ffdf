/** What the console needs from a running gateway: upgrade diagnostics, a live log subscription, and status facts. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { connectGateway } from "../../src/client/gateway-client.ts";
import type { EventFrame } from "../../src/protocol/frames.ts";
import { httpGet, startGateway } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "./support.ts";

after(reapAll);

/** Resolves with the first event that `match` accepts (also among those already received). */
function nextEvent(
  events: EventFrame[],
  onEvent: (fn: (e: EventFrame) => void) => void,
  match: (e: EventFrame) => boolean,
  timeoutMs = 15_000,
): Promise<EventFrame> {
  const seen = events.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no matching event in time")), timeoutMs);
    onEvent((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      resolve(e);
    });
  });
}

test(
  "a WebSocket request that arrives as plain HTTP gets 426 with the proxy fix, and ws-check tells it from a real upgrade and a refusal",
  bounded,
  async () => {
    const gw = track(await startGateway());
    try {
      const plain = await httpGet(gw.port, "/ws?attempt=plainhttp01");
      assert.equal(plain.status, 426);
      assert.match(plain.body.error.message, /arrived as plain HTTP/);
      assert.match(plain.body.error.message, /proxy_set_header Upgrade \$http_upgrade/);
      assert.deepEqual(pick((await httpGet(gw.port, "/api/ws-check?attempt=plainhttp01")).body), { seen: true, upgraded: false, refused: null });

      const c = await connectGateway({ url: `ws://127.0.0.1:${gw.port}/ws?attempt=upgraded001` });
      await c.close();
      assert.deepEqual(pick((await httpGet(gw.port, "/api/ws-check?attempt=upgraded001")).body), { seen: true, upgraded: true, refused: null });

      await assert.rejects(connectGateway({ url: `ws://127.0.0.1:${gw.port}/ws?attempt=foreign0001`, origin: "https://evil.example" }));
      const refused = (await httpGet(gw.port, "/api/ws-check?attempt=foreign0001")).body;
      assert.equal(refused.refused.status, 403);
      assert.match(refused.refused.reason, /origin "https:\/\/evil\.example" is not allowed/);

      assert.deepEqual(pick((await httpGet(gw.port, "/api/ws-check?attempt=neverseen01")).body), { seen: false, upgraded: false, refused: null });
      assert.equal((await httpGet(gw.port, "/api/ws-check?attempt=../x")).status, 400);
    } finally {
      await gw.stop();
    }
  },
);

const pick = (r: { seen: boolean; upgraded: boolean; refused: unknown }) => ({ seen: r.seen, upgraded: r.upgraded, refused: r.refused });

test("logs.tail with follow pushes every later line as log events, none repeated, until logs.unfollow", bounded, async () => {
  const gw = track(await startGateway());
  const c = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, clientId: "console-follow" });
  try {
    const page = await c.request<{ lines: string[]; cursor: number; following: boolean }>("logs.tail", { limit: 5, follow: true });
    assert.equal(page.following, true);
    // Another client connecting writes a "client connected" line after the page was taken.
    const other = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, clientId: "log-line-maker" });
    await other.close();
    const ev = await nextEvent(c.events, c.onEvent, (e) => e.event === "log" && JSON.stringify(e.payload).includes("log-line-maker"));
    const payload = ev.payload as { lines: string[]; cursor: number; reset: boolean };
    assert.ok(payload.cursor > page.cursor);
    assert.equal(payload.reset, false);
    const all = [...page.lines, ...c.events.filter((e) => e.event === "log").flatMap((e) => (e.payload as { lines: string[] }).lines)];
    assert.equal(new Set(all).size, all.length, "no line twice");

    assert.deepEqual(await c.request("logs.unfollow"), { following: false });
    const count = c.events.filter((e) => e.event === "log").length;
    const third = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, clientId: "after-unfollow" });
    await third.close();
    // The follower polls every 250 ms: a second is four chances to (wrongly) push a line.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(c.events.filter((e) => e.event === "log").length, count);
  } finally {
    await c.close();
    await gw.stop();
  }
});

test("status names the lock owner, the fencing epoch, the channels and the model's health; sessions carry their channel", bounded, async () => {
  const gw = track(await startGateway());
  const c = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, clientId: "console-status" });
  try {
    await c.request("chat.send", { text: "hello", idempotencyKey: "k-status-1" });
    await nextEvent(c.events, c.onEvent, (e) => e.event === "chat" && (e.payload as { state: string }).state === "final");
    const s = await c.request<any>("status");
    assert.equal(s.lock.pid, gw.child.pid);
    assert.equal(s.lock.instanceId, s.instanceId);
    assert.equal(s.lock.phase, "running");
    assert.equal(s.pipeline.epoch, 1);
    assert.deepEqual(
      s.channels.map((ch: { id: string; state: string }) => [ch.id, ch.state]),
      [["webchat", "connected"]],
    );
    // No model is configured here: the chat got the not-configured reply, which is neither.
    assert.deepEqual([s.model.configured, s.model.lastSuccessAt, s.model.lastFailureAt], [false, null, null]);
    const { sessions } = await c.request<{ sessions: Array<{ key: string; channel: string | null }> }>("sessions.list");
    assert.deepEqual(
      sessions.map((x) => x.channel),
      ["webchat"],
    );
  } finally {
    await c.close();
    await gw.stop();
  }
});
