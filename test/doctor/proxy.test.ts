import { after, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { brainEnv, startGateway, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { nginxBinary, startNginx } from "../helpers/nginx.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { check, doctorCli, quietPort } from "./support.ts";

after(reapAll);

const TOKEN = "proxy-test-token-0123456789abcdefghijklmnopqrstuvwxyz";
const noNginx = nginxBinary() === null ? "nginx is not installed (apt-get install nginx-light)" : false;

/** A gateway with a token and a 3 s heartbeat, so the idle test is short. */
async function gateway() {
  return track(await startGateway({ port: await quietPort(), config: { gateway: { auth: { token: TOKEN }, ws: { pingIntervalMs: 3000 } } } }));
}

/** A plain HTTP server (no WebSocket at all) answering every request with `status`. */
async function plainServer(status: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const upgradeLost = status === 426 && req.url?.startsWith("/ws");
    res.writeHead(upgradeLost ? 426 : status, { "content-type": "text/html" }).end(upgradeLost ? "Upgrade Required" : "<html>a catch-all page</html>");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

async function stoppedBrainEnv() {
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway: { port: await quietPort() } });
  return brainEnv(stateDir);
}

test("--url straight at a gateway completes a real WebSocket handshake", bounded, async () => {
  const gw = await gateway();
  try {
    const { report } = await doctorCli(["--url", `http://127.0.0.1:${gw.port}/`], gw.env);
    const c = check(report, "proxy");
    assert.equal(c.status, "ok", c.finding);
    assert.match(
      c.finding,
      new RegExp(
        `^the WebSocket handshake through ws://127\\.0\\.0\\.1:${gw.port}/ws works \\(upgrade \\+ hello in \\d+ ms\\); idle timeout not tested \\(add --deep\\)$`,
      ),
    );
    assert.ok(!JSON.stringify(report).includes(TOKEN));
  } finally {
    await gw.stop();
  }
});

test("--url at a server that answers 426 without upgrading reports the missing upgrade", bounded, async () => {
  const s = await plainServer(426);
  try {
    const { r, report } = await doctorCli(["--url", s.url], await stoppedBrainEnv());
    assert.equal(r.code, 31);
    const c = check(report, "proxy");
    assert.equal(c.status, "fail");
    assert.match(c.finding, /^the proxy dropped the WebSocket upgrade: GET \/ws reached the gateway as plain HTTP, HTTP 426$/);
    assert.match(c.fix!, /proxy_set_header Upgrade \$http_upgrade/);
  } finally {
    await s.close();
  }
});

test("--url at a catch-all page that answers 200 says the upgrade got no 101 and never reached a gateway", bounded, async () => {
  const s = await plainServer(200);
  try {
    const c = check((await doctorCli(["--url", s.url], await stoppedBrainEnv())).report, "proxy");
    assert.equal(c.status, "fail");
    assert.match(c.finding, /was answered with HTTP 200 instead of 101; \/api\/ws-check does not answer through it either/);
  } finally {
    await s.close();
  }
});

test("--url at an address where nothing listens fails with the connection error", bounded, async () => {
  const c = check((await doctorCli(["--url", `http://127.0.0.1:${await quietPort()}/`], await stoppedBrainEnv())).report, "proxy");
  assert.equal(c.status, "fail");
  assert.match(c.finding, /cannot connect to ws:\/\/127\.0\.0\.1:\d+\/ws: ECONNREFUSED/);
});

test(
  "through nginx that passes the upgrade the handshake works; without the upgrade headers the gateway confirms the request arrived as plain HTTP",
  { ...bounded, skip: noNginx },
  async () => {
    const gw = await gateway();
    const good = await startNginx({ upstreamPort: gw.port, upgrade: true });
    const bad = await startNginx({ upstreamPort: gw.port, upgrade: false });
    try {
      const ok = check((await doctorCli(["--url", good.url], gw.env)).report, "proxy");
      assert.equal(ok.status, "ok", ok.finding);
      const { r, report } = await doctorCli(["--url", bad.url], gw.env);
      assert.equal(r.code, 31);
      const c = check(report, "proxy");
      assert.equal(c.status, "fail");
      assert.match(
        c.finding,
        /^the proxy dropped the WebSocket upgrade: GET \/ws reached the gateway as plain HTTP, HTTP 426 \(the gateway confirms: attempt doctor-[\w-]+ arrived without its Upgrade header\)$/,
      );
      assert.ok(
        bad.accessLog().some((l) => /^GET \/api\/ws-check\?attempt=doctor-[\w-]+ 200$/.test(l)),
        bad.accessLog().join("\n"),
      );
    } finally {
      await Promise.all([good.stop(), bad.stop()]);
      await gw.stop();
    }
  },
);

test(
  "--deep holds the socket idle: a proxy read timeout shorter than the heartbeat fails, a longer one passes at the first ping",
  { ...bounded, skip: noNginx },
  async () => {
    const gw = await gateway();
    const short = await startNginx({ upstreamPort: gw.port, readTimeout: "1s" });
    const long = await startNginx({ upstreamPort: gw.port, readTimeout: "90s" });
    try {
      const [a, b] = await Promise.all([doctorCli(["--url", short.url, "--deep"], gw.env), doctorCli(["--url", long.url, "--deep"], gw.env)]);
      const cut = check(a.report, "proxy");
      assert.equal(cut.status, "fail");
      assert.match(cut.finding, /^the proxy closed an idle WebSocket after (0\.9|1\.\d) s \(code 1006\), before the gateway's ping interval \(3\.0 s\)/);
      assert.match(cut.fix!, /proxy_read_timeout 90s/);
      const held = check(b.report, "proxy");
      assert.equal(held.status, "ok", held.finding);
      assert.match(held.finding, /an idle socket stayed open until the gateway's (ping|tick) at [23]\.\d s$/);
    } finally {
      await Promise.all([short.stop(), long.stop()]);
      await gw.stop();
    }
  },
);

test("--url at a proxy whose Host a gateway without auth refuses (421) says to add the name to gateway.allowedHosts", bounded, async () => {
  const s = await plainServer(421);
  try {
    const c = check((await doctorCli(["--url", s.url], await stoppedBrainEnv())).report, "proxy");
    assert.equal(c.status, "fail");
    assert.match(c.finding, /was answered with HTTP 421 instead of 101/);
    assert.match(c.fix!, /gateway\.allowedHosts/);
  } finally {
    await s.close();
  }
});
