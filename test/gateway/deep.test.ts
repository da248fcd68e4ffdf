import { after, test } from "node:test";
import assert from "node:assert/strict";
import { freePort, runCli, startGateway } from "../helpers/gateway.ts";
import { bounded, foreignHttpServer, reapAll, track } from "./support.ts";

after(reapAll);

interface Check {
  id: string;
  status: string;
  finding: string;
}

test("status --deep names a foreign process on a derived port and does not flag the brain's own gateway", bounded, async () => {
  // Taken before the start: the gateway then serves the canvas on its own port only.
  const port = await freePort();
  const canvas = port + 4;
  const foreign = await foreignHttpServer(canvas);
  const gw = track(await startGateway({ port }));
  try {
    const r = await runCli(["status", "--deep", "--json"], gw.env);
    assert.equal(r.code, 0, r.stderr);
    const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
    const ports = checks.find((c) => c.id === "ports")!;
    assert.equal(ports.status, "warn");
    assert.match(ports.finding, new RegExp(`canvas ${canvas}: pid ${foreign.pid}`));
    assert.ok(!ports.finding.includes(`pid ${gw.pid}`), "the gateway's own port is not a finding");
    assert.deepEqual(
      checks.filter((c) => c.status === "fail").map((c) => c.id),
      [],
    );
  } finally {
    await foreign.stop();
    await gw.stop();
  }
});

test("status --deep fails on a config readable by others and says how to fix it", bounded, async () => {
  const gw = track(await startGateway({ config: { gateway: { auth: { token: "x".repeat(40) } } } }));
  try {
    const fs = await import("node:fs");
    fs.chmodSync(`${gw.stateDir}/onebrain.json`, 0o644);
    const r = await runCli(["status", "--deep"], gw.env);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /FAIL config-mode .* is 0644: secrets in it are readable by others\s+\(fix: chmod 600 /);
    assert.ok(!r.stdout.includes("x".repeat(40)));
  } finally {
    await gw.stop();
  }
});
