import { after, test } from "node:test";
import assert from "node:assert/strict";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { runCli, spawnCli, startGateway } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "./support.ts";

after(reapAll);

test("logs prints the file log as pretty lines, --json as raw pino lines, and never a token", bounded, async () => {
  const token = "tok_".padEnd(40, "z");
  const gw = track(await startGateway({ config: { gateway: { auth: { token } } } }));
  try {
    const pretty = await runCli(["logs", "--lines", "20"], gw.env);
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.match(pretty.stdout, /INFO\s+gateway listening/);
    const json = await runCli(["logs", "--json"], gw.env);
    const lines = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; level: number });
    assert.ok(lines.some((l) => l.msg === "gateway listening"));
    assert.ok(!json.stdout.includes(token) && !pretty.stdout.includes(token));
  } finally {
    await gw.stop();
  }
});

test("logs --follow prints lines written after it started", bounded, async () => {
  const gw = track(await startGateway());
  const follow = track(spawnCli(["logs", "--follow", "--json", "--lines", "1"], gw.env));
  try {
    await follow.waitFor("gateway listening");
    const c = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, clientId: "log-follow-test" });
    await c.close();
    await follow.waitFor('"clientId":"log-follow-test"');
  } finally {
    follow.kill("SIGINT");
    await follow.exited;
    await gw.stop();
  }
});
