import { after, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { brainEnv, freePort, runCli, spawnCli, startGateway, tmpDir } from "../helpers/gateway.ts";
import { bounded, foreignHttpServer, outcome, reapAll, track } from "./support.ts";

after(reapAll);

test("--force --yes stops an identified foreign listener on the port and then starts", bounded, async () => {
  const port = await freePort();
  const foreign = await foreignHttpServer(port);
  const stateDir = path.join(tmpDir(), "state");
  const gw = track(spawnCli(["gateway", "--port", String(port), "--force", "--yes"], brainEnv(stateDir)));
  assert.equal(await outcome(gw), "running");
  await foreign.exited;
  assert.match(gw.stderr(), new RegExp(`in the way is pid ${foreign.pid}, user \\S+, not a onebrain gateway`));
  assert.match(gw.stderr(), /command: .*node/);
  gw.kill("SIGTERM");
  assert.equal((await gw.exited).code, 0);
});

test("--force refuses to stop a healthy gateway of another brain and leaves it running", bounded, async () => {
  const other = track(await startGateway());
  const stateDir = path.join(tmpDir(), "state");
  const r = await runCli(["gateway", "--port", String(other.port), "--force", "--yes"], brainEnv(stateDir));
  assert.equal(r.code, 14, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `will not stop pid ${other.pid}: it is a healthy onebrain gateway of another brain \\(${other.stateDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)`,
    ),
  );
  assert.equal(other.child.exitCode, null, "the other brain is still running");
  assert.equal((await other.stop()).code, 0);
});

test("--force --yes replaces the gateway that holds this same brain", bounded, async () => {
  const first = track(await startGateway());
  const port2 = await freePort();
  const second = track(spawnCli(["gateway", "--port", String(port2), "--force", "--yes"], first.env));
  assert.equal(await outcome(second), "running");
  assert.equal((await first.exited).code, 0, "the old gateway got SIGTERM and drained cleanly");
  assert.match(second.stderr(), new RegExp(`in the way is pid ${first.pid}, user \\S+, onebrain gateway of`));
  second.kill("SIGTERM");
  assert.equal((await second.exited).code, 0);
});

test("--force without --yes and without a terminal asks nobody and stops nothing", bounded, async () => {
  const port = await freePort();
  const foreign = await foreignHttpServer(port);
  try {
    const r = await runCli(["gateway", "--port", String(port), "--force"], brainEnv(path.join(tmpDir(), "state")));
    assert.equal(r.code, 14, r.stderr);
    assert.match(r.stderr, /Not stopping pid \d+ without confirmation/);
    assert.match(r.stderr, /pass --yes/);
    assert.equal(foreign.child.exitCode, null);
  } finally {
    await foreign.stop();
  }
});
