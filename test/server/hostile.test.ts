/**
 * The hostile-input suite: what an attacker on the network can send a real gateway process, and
 * what must hold afterwards (the process alive and serving, memory bounded, the log kept).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { httpGet } from "../helpers/gateway.ts";
import { gatewayFor } from "./raw-ws.ts";
import { assertAlive, repeat, sendAndRead, sendAndReset, upgradeRequest } from "./hostile.ts";

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
