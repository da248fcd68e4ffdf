/**
 * The gateway-wide budget for unsent WebSocket bytes, against a real gateway and real sockets
 * whose clients stop reading: each stays under its own limit, but together they pass
 * gateway.ws.maxTotalBufferedBytes, and the client holding the most is closed until the rest fit;
 * the gateway logs it, counts it in /metrics and keeps serving.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { WebSocket } from "ws";
import { frameText } from "../../src/protocol/raw-data.ts";
import { httpGet, startGateway, tmpDir } from "../helpers/gateway.ts";
import { eventually } from "./raw-ws.ts";
import { assertAlive, MiB } from "./hostile.ts";

const TOKEN = "tok-outbound-7c2e9a4b1d3f";
const BUDGET = 4 * MiB;

/** A client that connects, then stops reading for good and asks for `tails` log pages of 4 MiB. */
function neverReads(port: number, tails: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    ws.on("error", () => {});
    ws.on("open", () =>
      ws.send(
        JSON.stringify({
          type: "req",
          id: "c",
          method: "connect",
          params: { minProtocol: 1, maxProtocol: 1, client: { id: "sloth", version: "0", platform: "test", mode: "test" }, auth: { token: TOKEN } },
        }),
      ),
    );
    ws.on("message", (data) => {
      const text = frameText(data);
      if (!text.startsWith('{"type":"res"')) return;
      if (!text.includes('"ok":true')) return reject(new Error(`connect refused: ${text.slice(0, 200)}`));
      ws.pause(); // from here on, nothing is read: what the gateway writes stays queued
      for (let i = 0; i < tails; i++)
        ws.send(JSON.stringify({ type: "req", id: `t${i}`, method: "logs.tail", params: { cursor: 0, limit: 5000, maxBytes: 4 * MiB } }));
      resolve(ws);
    });
  });
}

async function metric(port: number, name: string): Promise<number> {
  const text = String((await httpGet(port, "/metrics", { authorization: `Bearer ${TOKEN}` })).body);
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

test("clients that never read are closed, most unsent bytes first, once all of them together pass gateway.ws.maxTotalBufferedBytes", async (t) => {
  // A 6 MiB log, so every page asked for is a full 4 MiB.
  const stateDir = path.join(tmpDir(), "state");
  fs.mkdirSync(path.join(stateDir, "logs"), { recursive: true });
  const line = `${JSON.stringify({ level: 30, time: 0, msg: "x".repeat(180) })}\n`;
  fs.writeFileSync(path.join(stateDir, "logs", "gateway.log"), line.repeat(Math.ceil((6 * MiB) / line.length)));
  const gw = await startGateway({ stateDir, config: { gateway: { auth: { token: TOKEN }, ws: { maxTotalBufferedBytes: BUDGET } } } });
  t.after(() => gw.stop());

  // A socket that is not read takes tens of MiB into the kernel's buffers first (tcp_rmem can
  // reach 32 MiB on loopback): 12 pages of 4 MiB each are sure to leave some unsent in the gateway.
  const sloths = await Promise.all(Array.from({ length: 6 }, () => neverReads(gw.port, 12)));
  t.after(() => sloths.forEach((s) => s.terminate()));

  await eventually(
    async () => (await metric(gw.port, 'onebrain_ws_slow_consumers_closed_total\\{limit="gateway"\\}')) >= 1,
    "a client is closed for the budget",
    30_000,
  );
  // Once the largest holders are gone, what is left unsent fits the budget again.
  await eventually(async () => (await metric(gw.port, "onebrain_ws_unsent_bytes")) <= BUDGET, "the unsent bytes fit the budget", 30_000);
  const log = fs.readFileSync(path.join(stateDir, "logs", "gateway.log"), "utf8");
  assert.match(log, /closing the client with the most unsent bytes \(\d+\.\d MB\): all clients' unsent bytes passed gateway\.ws\.maxTotalBufferedBytes/);
  assert.equal(await metric(gw.port, 'onebrain_ws_slow_consumers_closed_total\\{limit="connection"\\}'), 0, "no client passed its own limit");
  await assertAlive(gw, { token: TOKEN });
});
