/** `alerts.*` in the config file: defaults, and a wrong target refused with the key and what was expected, never showing a URL. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { alertsSchema } from "../../src/config/schema-alerts.ts";
import { runCli, tmpDir } from "../helpers/gateway.ts";

test("with nothing set the watchdog has no target and the documented defaults", () => {
  const c = alertsSchema.parse({});
  assert.deepEqual(
    { ...c, watch: { ...c.watch } },
    {
      enabled: true,
      targets: [],
      afterMs: 120_000,
      recoverAfterMs: 60_000,
      checkIntervalMs: 5_000,
      replyFailures: 3,
      watch: { readiness: true, channels: true, cron: true, replies: true },
    },
  );
});

test("each wrong target is refused naming its key and what a target is, and a webhook URL is never shown", async () => {
  const cases: Array<[unknown, RegExp]> = [
    [[{ channel: "slack" }], /alerts\.targets\.0: expected target with channel/],
    [[{ url: "https://hooks.example.com/T0/B0/SECRETPART", urlEnv: "X" }], /alerts\.targets\.0: expected url or urlEnv, not both/],
    [[{ channel: "slack", target: "C1", url: "https://hooks.example.com/T0/B0/SECRETPART" }], /not both in one target/],
    [[{ url: "ftp://files.example.com/" }], /alerts\.targets\.0\.url: expected an http\(s\) URL/],
    [[{ target: "C1" }], /expected channel and target \(a chat\), or url or urlEnv \(a webhook\)/],
    [[{ channel: "slack", target: "C1", when: "always" }], /alerts\.targets\.0\.when: unknown key/],
    ["slack", /alerts\.targets: expected a list of alert targets/],
  ];
  const dir = tmpDir("onebrain-alerts-config-");
  for (const [value, expected] of cases) {
    const r = await runCli(["config", "set", "alerts.targets", JSON.stringify(value), "--json"], { ...process.env, ONEBRAIN_STATE_DIR: dir });
    assert.equal(r.code, 20, `${JSON.stringify(value)}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, expected);
    assert.ok(!(r.stdout + r.stderr).includes("SECRETPART"), "the URL is not shown");
  }
  assert.equal(fs.existsSync(path.join(dir, "onebrain.json")), false, "nothing was written");
});
