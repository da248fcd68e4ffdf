import { test } from "node:test";
import assert from "node:assert/strict";
import type os from "node:os";
import { isLoopbackAddress, planBind, tailnetAddress } from "../../src/server/bind.ts";
import { assertSafeBind, resolveAuth } from "../../src/server/auth.ts";
import { hasCode } from "../../src/shared/errors.ts";

type Interfaces = ReturnType<typeof os.networkInterfaces>;
const iface = (address: string, family: "IPv4" | "IPv6" = "IPv4") =>
  ({ address, family, netmask: "", mac: "", internal: false, cidr: null }) as unknown as os.NetworkInterfaceInfo;
const withTailnet: Interfaces = { eth0: [iface("192.168.1.5")], tailscale0: [iface("100.101.102.103"), iface("fd7a::1", "IPv6")] };
const noTailnet: Interfaces = { eth0: [iface("192.168.1.5"), iface("100.128.0.1")] };

test("loopback binds 127.0.0.1 and, when the host has it, ::1", () => {
  const plan = planBind({ bind: "loopback", customBindHost: undefined });
  assert.deepEqual(plan.hosts, ["127.0.0.1"]);
  assert.deepEqual(plan.optionalHosts, ["::1"]);
  assert.equal(plan.loopbackOnly, true);
});

test("lan binds 0.0.0.0 and is not loopback-only", () => {
  assert.deepEqual(planBind({ bind: "lan", customBindHost: undefined }), { mode: "lan", hosts: ["0.0.0.0"], optionalHosts: [], loopbackOnly: false });
});

test("tailnet binds the host's 100.64.0.0/10 address and is an error when there is none", () => {
  assert.equal(tailnetAddress(withTailnet), "100.101.102.103");
  assert.deepEqual(planBind({ bind: "tailnet", customBindHost: undefined }, withTailnet).hosts, ["100.101.102.103"]);
  assert.equal(tailnetAddress(noTailnet), undefined, "100.128.0.1 is outside 100.64.0.0/10");
  assert.throws(
    () => planBind({ bind: "tailnet", customBindHost: undefined }, noTailnet),
    (e) => hasCode(e, "BIND_FAILED") && /100\.64\.0\.0\/10/.test((e as Error).message),
  );
});

test("custom needs customBindHost, and a custom loopback address counts as loopback", () => {
  assert.throws(
    () => planBind({ bind: "custom", customBindHost: undefined }),
    (e) => hasCode(e, "BIND_FAILED") && /customBindHost/.test((e as Error).message),
  );
  assert.equal(planBind({ bind: "custom", customBindHost: "127.0.0.2" }).loopbackOnly, true);
  assert.equal(planBind({ bind: "custom", customBindHost: "10.1.2.3" }).loopbackOnly, false);
});

test("off loopback, no auth or an auth mode without its secret is refused; a token makes it safe", () => {
  const lan = planBind({ bind: "lan", customBindHost: undefined });
  assert.throws(
    () => assertSafeBind(lan, resolveAuth({}, {}), 18789),
    (e) =>
      hasCode(e, "INSECURE_BIND") &&
      (e as Error).message === "refusing to bind gateway to 0.0.0.0:18789 without auth (set gateway.auth.token or ONEBRAIN_GATEWAY_TOKEN)",
  );
  assert.throws(
    () => assertSafeBind(lan, resolveAuth({ mode: "password" }, {}), 18789),
    (e) => hasCode(e, "INSECURE_BIND"),
  );
  assert.doesNotThrow(() => assertSafeBind(lan, resolveAuth({}, { ONEBRAIN_GATEWAY_TOKEN: "t".repeat(32) }), 18789));
  assert.doesNotThrow(() => assertSafeBind(planBind({ bind: "loopback", customBindHost: undefined }), resolveAuth({}, {}), 18789));
});

test("env secrets win over config and the mode is inferred from what is set", () => {
  assert.equal(resolveAuth({ token: "from-config" }, { ONEBRAIN_GATEWAY_TOKEN: "from-env" }).token, "from-env");
  assert.equal(resolveAuth({ token: "x" }, {}).mode, "token");
  assert.equal(resolveAuth({ password: "x" }, {}).mode, "password");
  assert.equal(resolveAuth({}, {}).mode, "none");
});

test("loopback addresses include 127/8, ::1 and IPv4-mapped loopback", () => {
  for (const a of ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"]) assert.equal(isLoopbackAddress(a), true, a);
  for (const a of ["10.0.0.1", "::ffff:10.0.0.1", "", undefined]) assert.equal(isLoopbackAddress(a), false, String(a));
});
