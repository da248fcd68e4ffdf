/**
 * The hostile-input suite: what an attacker on the network can send a real gateway process, and
 * what must hold afterwards (the process alive and serving, memory bounded, the log kept).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { httpGet, startGateway, tmpDir } from "../helpers/gateway.ts";
import { eventually, gatewayFor } from "./raw-ws.ts";
import { answerStatus, assertAlive, blast, getWithHost, MiB, repeat, sendAndRead, sendAndReset, upgradeRequest, watchRss, type OutFrame } from "./hostile.ts";

const TOKEN = "tok-hostile-5e8a1c3f9b7d";
const mb = (bytes: number) => (bytes / MiB).toFixed(0);

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
  for (const host of [
    `127.0.0.1:${gw.port}`,
    "127.0.0.1",
    `localhost:${gw.port}`,
    "LOCALHOST",
    `[::1]:${gw.port}`,
    "[::1]",
    "onebrain.internal",
    "onebrain.internal:443",
  ]) {
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

test("400 pipelined logs.tail of 4 MiB each on one connection hold a bounded amount of memory, released for reuse, and the excess is refused with TOO_MANY_REQUESTS", async (t) => {
  // A 6 MiB log, so every request has a full 4 MiB to read.
  const stateDir = path.join(tmpDir(), "state");
  fs.mkdirSync(path.join(stateDir, "logs"), { recursive: true });
  const line = `${JSON.stringify({ level: 30, time: 0, msg: "x".repeat(180) })}\n`;
  fs.writeFileSync(path.join(stateDir, "logs", "gateway.log"), line.repeat(Math.ceil((6 * MiB) / line.length)));
  const gw = await startGateway({ stateDir, config: { gateway: { auth: { token: TOKEN } } } });
  t.after(() => gw.stop());
  const tails = Array.from({ length: 400 }, (_, i) =>
    JSON.stringify({ type: "req", id: `t${i}`, method: "logs.tail", params: { cursor: 0, limit: 5000, maxBytes: 4 * MiB } }),
  );
  const attack = () => watchRss(gw.pid, () => blast(gw.port, tails, { auth: { token: TOKEN }, expect: tails.length, timeoutMs: 60_000 }));

  const first = await attack();
  assert.equal(first.value.closeCode, null, "the client that reads its answers is not cut off");
  assert.equal((first.value.answers.ok ?? 0) + (first.value.answers.TOO_MANY_REQUESTS ?? 0), 400, JSON.stringify(first.value.answers));
  assert.ok(first.value.answers.ok! >= 256, "gateway.ws.maxInflight (256) requests run at once");
  assert.ok(first.value.answers.TOO_MANY_REQUESTS! > 0, "the rest are refused at once");
  assert.ok(
    first.peak - first.before < 300 * MiB,
    `RSS grew by ${((first.peak - first.before) / MiB).toFixed(0)} MiB (from ${(first.before / MiB).toFixed(0)} MiB)`,
  );

  const second = await attack();
  t.diagnostic(
    `RSS MiB: before ${mb(first.before)}, peak ${mb(first.peak)}, after ${mb(first.after)}; second attack peak ${mb(second.peak)}, after ${mb(second.after)}; answers ${JSON.stringify(first.value.answers)}`,
  );
  assert.ok(second.value.answers.ok! >= 256);
  assert.ok(
    second.peak < first.peak + 64 * MiB,
    `the second attack reuses the first one's memory: peak ${(second.peak / MiB).toFixed(0)} MiB after ${(first.peak / MiB).toFixed(0)} MiB`,
  );
  await assertAlive(gw, { token: TOKEN });
});

test("1,000 upgrades with a 15 KB Origin (a hundred times the log's size) neither rotate an earlier auth failure out of the log nor grow it by more than a few lines", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN } }, logging: { maxFileBytes: 64 * 1024, maxFiles: 1 } });
  const logFile = path.join(gw.stateDir, "logs", "gateway.log");
  const logText = () =>
    [logFile, `${logFile}.1`]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f, "utf8"))
      .join("");
  assert.equal((await httpGet(gw.port, "/api/status", { authorization: "Bearer tok-the-attacker-guessed" })).status, 401);
  await eventually(() => logText().includes('"msg":"auth failed"'), "the auth failure is in the log");
  const before = logText().length;

  const huge = upgradeRequest(gw.port, { Origin: `http://${"a".repeat(15_000)}.example` });
  await repeat(1000, 20, () => sendAndReset(gw.port, huge));
  await assertAlive(gw, { token: TOKEN });

  const text = logText();
  assert.ok(text.includes('"msg":"auth failed"'), "the earlier auth failure is still in the log");
  assert.ok(text.length - before < 16 * 1024, `the log grew by ${text.length - before} bytes`);
  const refusals = text.split("\n").filter((l) => l.includes("refused WebSocket from a foreign origin"));
  assert.ok(refusals.length >= 1 && refusals.length <= 10, `${refusals.length} refusal lines`);
  for (const line of refusals) assert.ok(line.length < 1000, `a refusal line of ${line.length} chars`);

  // A client reconnecting in a loop is rate limited the same way.
  await repeat(300, 10, () => blast(gw.port, [], { auth: { token: TOKEN }, expect: 0 }));
  const connects = () =>
    logText()
      .split("\n")
      .filter((l) => l.includes('"msg":"client connected"')).length;
  await eventually(() => connects() >= 100, "100 connects are logged");
  assert.equal(connects(), 100, "the first 100 connects of the minute are logged, then none");
  assert.ok(logText().includes('"msg":"auth failed"'), "the earlier auth failure is still in the log");
});

// Frames an authenticated connection answers with an error and stays open for.
const answered = (i: number): string[] => [
  `{"type":"req","id":"w${i}","method":"logs.tail","params":{"cursor":"zero","limit":-1}}`,
  `{"type":"res","id":"w${i}","ok":true}`,
  `{"type":"req","id":"w${i}","method":null}`,
  `{"type":"req","id":"w${i}","method":"chat.send","params":{"text":5,"idempotencyKey":[]}}`,
  `{"type":"req","id":"w${i}","method":"health","extra":{"a":1}}`,
  JSON.stringify({ type: "req", id: `${i}`.padEnd(4_000, "9"), method: "health" }),
  JSON.stringify({ type: "req", id: `u${i}`, method: "no.such.method".padEnd(128, "x") }),
  `{"type":"req","id":"c${i}","method":"connect","params":{}}`,
  `{"type":"req","id":"d${i}","method":"health","params":${"[".repeat(1000)}${"]".repeat(1000)}}`,
];
const ANSWERED_KINDS = answered(0).length;

// Frames that end a connection: the first one closes it, the rest arrive at a socket being closed.
const closers = (i: number, preAuth: boolean): OutFrame[] => [
  `{"type":"req","id":"g${i}","method":"health"`,
  "\u0000\u0001 not json at all",
  `[1,2,3]`,
  `{"type":"req","id":${i},"method":"health"}`,
  "null",
  { bytes: Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0xc3, 0x28, 0x7d]), binary: false },
  { bytes: Buffer.from("binary frame"), binary: true },
  "x".repeat(preAuth ? 70 * 1024 : 2 * MiB),
];

test("100,000 malformed frames in two passes, before and after auth, leave the gateway serving and its memory flat after the first pass", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN } } });
  const pass = async () => {
    let sent = 0;
    // 40,000 frames on four authenticated connections, every one answered with an error.
    const perConn = 10_000;
    const frames = Array.from({ length: perConn }, (_, i) => answered(i)[i % ANSWERED_KINDS]!);
    const results = await Promise.all(Array.from({ length: 4 }, () => blast(gw.port, frames, { auth: { token: TOKEN }, expect: perConn, timeoutMs: 60_000 })));
    for (const r of results) {
      assert.equal(r.closeCode, null, "malformed requests with an id are answered, not closed");
      assert.equal(
        Object.values(r.answers).reduce((a, b) => a + b, 0),
        perConn,
      );
      assert.deepEqual(Object.keys(r.answers).sort(), ["ALREADY_CONNECTED", "INVALID_REQUEST", "UNKNOWN_METHOD"]);
      sent += perConn;
    }
    // 10,000 frames on 100 connections, half of them authenticated: each burst closes its socket.
    await repeat(100, 10, async (n) => {
      const preAuth = n % 2 === 0;
      const kinds = closers(n, preAuth);
      // Start with a different kind on each connection; the oversized one only once in a while.
      const burst = Array.from({ length: 100 }, (_, i) => kinds[(n + i) % (kinds.length - 1)]!);
      if (n % 10 === 0) burst[0] = kinds[kinds.length - 1]!;
      const r = await blast(gw.port, burst, { ...(preAuth ? { connect: false } : { auth: { token: TOKEN } }), expect: Infinity, timeoutMs: 10_000 });
      assert.notEqual(r.closeCode, null, "the server closed the connection");
      sent += burst.length;
    });
    return sent;
  };

  const first = await watchRss(gw.pid, pass);
  assert.equal(first.value, 50_000);
  await assertAlive(gw, { token: TOKEN });
  const second = await watchRss(gw.pid, pass);
  await assertAlive(gw, { token: TOKEN });
  t.diagnostic(
    `RSS MiB: before ${mb(first.before)}, after pass 1 ${mb(first.after)} (peak ${mb(first.peak)}), after pass 2 ${mb(second.after)} (peak ${mb(second.peak)})`,
  );
  // Generous: V8 may still grow its heap a step after pass 1 (up to ~50 MiB seen), while a leak of
  // even 2 KB per frame would add 100 MiB.
  assert.ok(
    second.after - first.after < 96 * MiB,
    `RSS after pass 1 ${(first.after / MiB).toFixed(0)} MiB, after pass 2 ${(second.after / MiB).toFixed(0)} MiB`,
  );
});
