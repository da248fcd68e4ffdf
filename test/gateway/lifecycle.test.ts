import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { inspectLock } from "../../src/lock/inspect.ts";
import type { EventFrame } from "../../src/protocol/frames.ts";
import { httpGet, startGateway, tmpDir } from "../helpers/gateway.ts";
import { accepts, bounded, reapAll, track } from "./support.ts";

after(reapAll);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`on ${signal} a connected client gets a shutdown event and a 1001 close, the process exits 0 and frees the brain`, bounded, async () => {
    const gw = track(await startGateway());
    const conn = await connectGateway({ url: `ws://127.0.0.1:${gw.port}` });
    const shutdown = new Promise<EventFrame>((resolve) => conn.onEvent((e) => e.event === "shutdown" && resolve(e)));
    gw.kill(signal);
    const [event, closed, end] = await Promise.all([shutdown, conn.closed, gw.exited]);
    assert.match(JSON.stringify(event.payload), new RegExp(`received ${signal}`));
    assert.equal(closed.code, 1001);
    assert.equal(end.code, 0, end.stderr);
    assert.equal(end.signal, null);

    const lock = inspectLock(path.join(gw.stateDir, "brain.lock"), path.join(gw.stateDir, "brain.owner.json"));
    assert.equal(lock.status, "free");
    assert.equal(lock.owner, null);
    assert.equal(fs.existsSync(path.join(gw.stateDir, "brain.owner.json")), false);
    assert.equal(await accepts(gw.port), false);

    const again = track(await startGateway({ stateDir: gw.stateDir, port: gw.port }));
    assert.equal((await again.stop()).code, 0);
  });
}

test("a SIGTERM the moment the gateway says it is listening still stops it cleanly, every time", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  for (let round = 1; round <= 10; round++) {
    const gw = track(await startGateway({ stateDir }));
    gw.kill("SIGTERM");
    const end = await gw.exited;
    assert.deepEqual([end.code, end.signal], [0, null], `round ${round}: killed instead of stopped:\n${end.stderr}`);
    assert.equal(fs.existsSync(path.join(stateDir, "brain.owner.json")), false, `round ${round}: the owner record was left behind`);
  }
});

test("/healthz answers 200 ok without secrets and /readyz lists its components to a local caller", bounded, async () => {
  const token = "tok-healthz-0123456789-secret";
  const gw = track(await startGateway({ config: { gateway: { auth: { token } } } }));
  try {
    const health = await httpGet(gw.port, "/healthz");
    assert.equal(health.status, 200);
    assert.equal(health.body.ok, true);
    const text = JSON.stringify(health.body);
    assert.ok(!text.includes(token) && !text.includes(token.slice(-6)), `healthz leaks the token: ${text}`);
    assert.ok(!text.includes(gw.stateDir), `healthz leaks the state dir: ${text}`);

    const ready = await httpGet(gw.port, "/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ready, true);
    const names = (ready.body.components as Array<{ name: string; ok: boolean }>).map((c) => c.name);
    for (const name of ["lock", "http", "eventLoop", "lifecycle"]) assert.ok(names.includes(name), `readyz lacks ${name}: ${names.join(", ")}`);
    assert.ok(ready.body.components.every((c: { ok: boolean }) => c.ok));
    assert.ok(!JSON.stringify(ready.body).includes(token));
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});
