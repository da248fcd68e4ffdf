/**
 * The Host of a request as RFC 9112 defines it, on a real gateway over raw TCP: exactly one Host
 * header on HTTP/1.1 (else 400), and an absolute-form target's authority checked like Host (it
 * wins over the header). Each case is a way around the DNS-rebinding check of a gateway without
 * auth if the request were read naively.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gatewayFor } from "./raw-ws.ts";
import { answerStatus, assertAlive, sendAndRead, upgradeRequest } from "./hostile.ts";

const TOKEN = "tok-host-header-3f9b7d5e8a1c";

/** The status line's code and the JSON body of a raw request's answer (a plain request asks for Connection: close, so the answer ends). */
async function answer(port: number, request: string): Promise<{ status: number; body: any; head: string }> {
  const text = await sendAndRead(port, /\r\nUpgrade:/.test(request) ? request : request.replace("\r\n", "\r\nConnection: close\r\n"));
  const [head = "", body = ""] = text.split("\r\n\r\n");
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]), head, body: body ? JSON.parse(body) : null };
}

test("a request with two Host headers is answered 400, on a route and on the upgrade, whichever Host comes first", async (t) => {
  const gw = await gatewayFor(t, {});
  const pairs: [string, string][] = [
    ["127.0.0.1", "evil.example"],
    ["evil.example", "127.0.0.1"],
    ["127.0.0.1", "127.0.0.1"],
  ];
  for (const [first, second] of pairs) {
    const r = await answer(gw.port, `GET /api/status HTTP/1.1\r\nHost: ${first}\r\nHost: ${second}\r\n\r\n`);
    assert.equal(r.status, 400, `Host ${first} then ${second}: ${r.head}`);
    assert.equal(r.body.error.code, "BAD_REQUEST");
    assert.equal(r.body.error.message, "the request has 2 Host headers; HTTP/1.1 allows exactly one");
    assert.match(r.head, /\r\nConnection: close/i);
    const up = upgradeRequest(gw.port, { Host: first }).replace("\r\n\r\n", `\r\nHost: ${second}\r\n\r\n`);
    assert.equal(await answerStatus(gw.port, up), 400, `upgrade with Host ${first} then ${second}`);
  }
  await assertAlive(gw);
});

test("an HTTP/1.1 request or upgrade without Host is answered 400; HTTP/1.0 needs none", async (t) => {
  const gw = await gatewayFor(t, {});
  const noHost = upgradeRequest(gw.port).replace(`Host: 127.0.0.1:${gw.port}\r\n`, "");
  assert.doesNotMatch(noHost, /Host:/);
  const r = await answer(gw.port, noHost);
  assert.equal(r.status, 400, r.head);
  assert.equal(r.body.error.message, "an HTTP/1.1 request must have a Host header");
  assert.equal(await answerStatus(gw.port, "GET /api/status HTTP/1.1\r\n\r\n"), 400);
  assert.match(await sendAndRead(gw.port, "GET /healthz HTTP/1.0\r\n\r\n"), /^HTTP\/1\.1 200 /);
});

test("an absolute-form target is checked like Host and wins over the Host header: a foreign authority is 421, the gateway's own is served", async (t) => {
  const gw = await gatewayFor(t, { gateway: { allowedHosts: ["onebrain.internal"] } });
  for (const authority of ["evil.example", `evil.example:${gw.port}`, "127.0.0.1.evil.example"]) {
    for (const route of ["/api/status", "/healthz", "/"]) {
      const r = await answer(gw.port, `GET http://${authority}${route} HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n\r\n`);
      assert.equal(r.status, 421, `GET http://${authority}${route} with a loopback Host: ${r.head}`);
      assert.equal(r.body.error.code, "MISDIRECTED_REQUEST");
    }
    const up = upgradeRequest(gw.port).replace("GET /ws ", `GET http://${authority}/ws `);
    assert.equal(await answerStatus(gw.port, up), 421, `upgrade to http://${authority}/ws with a loopback Host`);
  }
  for (const authority of [`127.0.0.1:${gw.port}`, "localhost", "onebrain.internal"]) {
    const r = await answer(gw.port, `GET http://${authority}/api/status?x=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n`);
    assert.equal(r.status, 200, `GET http://${authority}/api/status with Host evil.example: ${r.head}`);
    assert.equal(r.body.pid, gw.pid, "routed by the target's path");
    const up = upgradeRequest(gw.port, { Host: "evil.example" }).replace("GET /ws ", `GET ws://${authority}/ws `);
    assert.equal(await answerStatus(gw.port, up), 101, `upgrade to ws://${authority}/ws with Host evil.example`);
  }
  const check = await answer(gw.port, `GET http://127.0.0.1/api/ws-check?attempt=abcdefgh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  assert.equal(check.body.attempt, "abcdefgh", "the query of an absolute-form target is read");
  for (const bad of ["http://user:pw@127.0.0.1/api/status", "ftp://127.0.0.1/api/status", "http://[zz/api/status"]) {
    assert.equal(await answerStatus(gw.port, `GET ${bad} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`), 400, bad);
  }
  await assertAlive(gw);
});

test("with auth set, a doubled or missing Host is still a bad request, while a foreign authority meets the secret", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN } } });
  assert.equal(await answerStatus(gw.port, `GET /api/status HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`), 400);
  assert.equal(await answerStatus(gw.port, upgradeRequest(gw.port).replace(`Host: 127.0.0.1:${gw.port}\r\n`, "")), 400);
  assert.equal(await answerStatus(gw.port, `GET http://evil.example/api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`), 401);
});
