import { test } from "node:test";
import assert from "node:assert/strict";
import { describePortHolder, exitStatusName, unavailable } from "../../src/service/lifecycle.ts";
import { foregroundCommand } from "../../src/service/install.ts";

test("a failed unit's exit status is named by its registry code", () => {
  assert.equal(exitStatusName(20), "20 (CONFIG_INVALID)");
  assert.equal(exitStatusName(10), "10 (GATEWAY_LOCK_HELD)");
  assert.equal(exitStatusName(134), "134");
});

test("whoever holds the port is named: another brain by its state dir, anything else by its command", () => {
  assert.equal(
    describePortHolder({ address: "127.0.0.1", pid: 41, user: "ada", command: "node bin/onebrain.js gateway", stateDir: "/home/ada/.onebrain" }),
    "the onebrain gateway of /home/ada/.onebrain (pid 41, user ada)",
  );
  assert.equal(
    describePortHolder({ address: "::1", pid: 7, user: "www-data", command: "nginx: master process", stateDir: null }),
    "pid 7, user www-data: nginx: master process",
  );
  assert.equal(
    describePortHolder({ address: "0.0.0.0", pid: null, user: null, command: null, stateDir: null }),
    "a process this user cannot see (another user's?)",
  );
});

test("without systemd the error carries the foreground command, for text and --json alike", () => {
  const foreground = foregroundCommand({ program: "onebrain", profile: undefined, env: { ONEBRAIN_STATE_DIR: "/srv/brain" } });
  const e = unavailable({ systemd: { running: false, reason: "systemd is not running here" }, foreground }, "start the gateway as a service");
  assert.equal(e.code, "SERVICE_UNAVAILABLE");
  assert.equal(e.exitCode, 50);
  assert.equal(e.message, "Cannot start the gateway as a service: systemd is not running here");
  assert.ok(e.hint?.endsWith(": ONEBRAIN_STATE_DIR=/srv/brain onebrain gateway run"));
  assert.deepEqual(e.toJSON().details, { foreground });
});
