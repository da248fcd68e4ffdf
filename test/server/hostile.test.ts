/**
 * The hostile-input suite: what an attacker on the network can send a real gateway process, and
 * what must hold afterwards (the process alive and serving, memory bounded, the log kept).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { httpGet } from "../helpers/gateway.ts";
import { gatewayFor } from "./raw-ws.ts";
import { answerStatus, assertAlive, getWithHost, repeat, sendAndRead, sendAndReset, upgradeRequest } from "./hostile.ts";

const TOKEN = "tok-hostile-5e8a1c3f9b7d";

test("an upgrade refused for its Origin or its rate limit and reset by the client 1,000 times leaves the gateway serving", async (t) => {
  // The limiter counts per client address; a trusted proxy lets this test be a different address
  // (198.51.100.7) than the liveness checks from 127.0.0.1.
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN }, authFailuresPerMinute: 1, trustedProxies: ["127.0.0.1", "::1"] } });
  const foreign = upgradeRequest(gw.port, { Origin: "http://evil.example" });
  assert.match(await sendAndRead(gw.port, foreign), /^HTTP\/1\.1 403 /, "a foreign Origin is refused with 403");
  await repeat(1000, 10, () => sendAndReset(gw.port, foreign));
  await assertAlive(gw, { token: TOKEN });

  const proxied = { "X-Forwarded-For": "198.51.100.7" };
  assert.equal((await httpGet(gw.port, "/api/status", { authorization: "Bearer wrong", ...proxied })).status, 401);
  const limited = upgradeRequest(gw.port, proxied);
  assert.match(await sendAndRead(gw.port, limited), /^HTTP\/1\.1 429 /, "the failing address is refused with 429");
  await repeat(1000, 10, () => sendAndReset(gw.port, limited));
  await assertAlive(gw, { token: TOKEN });
});

test("a gateway without auth refuses a rebound Host with 421, on every route and the WebSocket, and answers its own names", async (t) => {
  const gw = await gatewayFor(t, { gateway: { allowedHosts: ["onebrain.internal"] } });
  for (const host of ["evil.example", `evil.example:${gw.port}`, "127.0.0.1.evil.example", "localhost.evil.example", "", "[::ffff:10.0.0.1]"]) {
    for (const route of ["/api/status", "/healthz", "/readyz", "/", "/api/ws-check?attempt=abcdefgh"]) {
      assert.equal(await answerStatus(gw.port, `GET ${route} HTTP/1.1\r\nHost: ${host}\r\n\r\n`), 421, `${route} with Host ${JSON.stringify(host)}`);
    }
    assert.equal(await answerStatus(gw.port, upgradeRequest(gw.port, { Host: host })), 421, `upgrade with Host ${JSON.stringify(host)}`);
  }
  const refused = await getWithHost(gw.port, "/api/status", "evil.example");
  assert.equal(refused.body.error.code, "MISDIRECTED_REQUEST");
  assert.doesNotMatch(JSON.stringify(refused.body), /"pid"|"home"|"hostname"/, "nothing about the host leaks");
  for (const host of [`127.0.0.1:${gw.port}`, "127.0.0.1", `localhost:${gw.port}`, "LOCALHOST", `[::1]:${gw.port}`, "[::1]", "onebrain.internal", "onebrain.internal:443"]) {
    const res = await getWithHost(gw.port, "/api/status", host);
    assert.equal(res.status, 200, `Host ${host}`);
    assert.equal(res.body.pid, gw.pid);
    assert.equal(await answerStatus(gw.port, upgradeRequest(gw.port, { Host: host })), 101, `upgrade with Host ${host}`);
  }
  await assertAlive(gw);
});

test("with auth set, a foreign Host gets the usual answers: the secret is the defence", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN } } });
  assert.equal((await getWithHost(gw.port, "/api/status", "evil.example")).status, 401);
  assert.equal((await getWithHost(gw.port, "/api/status", "evil.example", { authorization: `Bearer ${TOKEN}` })).status, 200);
  assert.equal(await answerStatus(gw.port, upgradeRequest(gw.port, { Host: "evil.example" })), 101);
});
