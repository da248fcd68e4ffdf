import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { credentialFingerprints, fingerprint } from "../../src/diagnostics/doctor/credentials.ts";
import { entropyBits, MIN_SECRET_BITS } from "../../src/diagnostics/doctor/exposure.ts";
import { mountOf, NETWORK_FS, parseMountInfo } from "../../src/diagnostics/doctor/environment.ts";
import { clawGatewayKind, isOnebrainGatewayArgv } from "../../src/diagnostics/doctor/argv.ts";
import { proxyTarget } from "../../src/diagnostics/doctor/proxy.ts";
import { hostHomes } from "../../src/diagnostics/doctor/state-dirs.ts";
import { expandSpecifiers, parseUnitText, splitWords } from "../../src/diagnostics/doctor/unit-file.ts";
import { tmpDir } from "../helpers/gateway.ts";

test("reads Environment= with quotes and several assignments per line, User=, WorkingDirectory= and ExecStart= of a unit", () => {
  const unit = parseUnitText(
    [
      "[Unit]",
      "Description=onebrain gateway",
      "Environment=NOT_SERVICE=1",
      "[Service]",
      'Environment="HOME=/srv/ada home" ONEBRAIN_PROFILE=work',
      "Environment=ONEBRAIN_STATE_DIR=%h/brains/work \\",
      "  ONEBRAIN_CONFIG_PATH=/etc/onebrain/work.json",
      "EnvironmentFile=-/etc/default/onebrain",
      "User=ada",
      "WorkingDirectory=-/srv/ada",
      "ExecStart=/usr/bin/node /opt/onebrain/bin/onebrain.js --profile 'work' gateway",
      "# Environment=ONEBRAIN_STATE_DIR=/commented",
    ].join("\n"),
    "/etc/systemd/system/onebrain-gateway-work.service",
  );
  assert.equal(unit.name, "onebrain-gateway-work");
  assert.deepEqual(unit.environment, {
    HOME: "/srv/ada home",
    ONEBRAIN_PROFILE: "work",
    ONEBRAIN_STATE_DIR: "%h/brains/work",
    ONEBRAIN_CONFIG_PATH: "/etc/onebrain/work.json",
  });
  assert.deepEqual(unit.environmentFiles, ["/etc/default/onebrain"]);
  assert.equal(unit.user, "ada");
  assert.equal(unit.workingDirectory, "/srv/ada");
  assert.deepEqual(unit.execStart, ["/usr/bin/node", "/opt/onebrain/bin/onebrain.js", "--profile", "work", "gateway"]);
  assert.equal(expandSpecifiers(unit.environment.ONEBRAIN_STATE_DIR!, "/srv/ada", "ada"), "/srv/ada/brains/work");
  assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ["a", "b c", "d e", "f g"]);
});

test("fingerprints channel credentials without keeping the token, equal for equal tokens", () => {
  const token = "123456789:AAH-secret-bot-token-value";
  const a = credentialFingerprints({ channels: { telegram: { botToken: token, allowFrom: ["x"] } }, gateway: { auth: { token: "not-a-channel-token" } } });
  const b = credentialFingerprints({ channels: { telegram: { accounts: [{ botToken: token }] } } });
  assert.deepEqual(a, [{ path: "channels.telegram.botToken", fingerprint: fingerprint(token) }]);
  assert.equal(b[0]!.path, "channels.telegram.accounts[0].botToken");
  assert.equal(a[0]!.fingerprint, b[0]!.fingerprint);
  assert.equal(a[0]!.fingerprint.length, 12);
  assert.ok(!JSON.stringify([a, b]).includes(token));
  assert.deepEqual(credentialFingerprints({ gateway: { auth: { token } } }), [], "the gateway's own token is not a bot credential");
});

test("estimates a secret's entropy: a setup token passes, repetitions and short words do not", () => {
  assert.ok(entropyBits(crypto.randomBytes(32).toString("base64url")) >= MIN_SECRET_BITS);
  assert.ok(entropyBits(crypto.randomBytes(24).toString("hex")) >= MIN_SECRET_BITS, "24 random bytes in hex are 24 bytes");
  assert.ok(entropyBits(crypto.randomBytes(16).toString("hex")) < MIN_SECRET_BITS);
  assert.ok(entropyBits("x".repeat(60)) < 10);
  assert.ok(entropyBits("password123password123password123") < MIN_SECRET_BITS);
  assert.ok(entropyBits("hunter2") < 64);
});

test("finds the mount of a path from mountinfo, longest mount point first, and knows network filesystems", () => {
  const text = [
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
    "60 27 0:50 / /srv/nfs rw,relatime shared:1 - nfs4 fileserver:/export/home rw,vers=4.2",
    "61 27 0:51 / /srv/nfs\\040share rw - cifs //nas/share rw",
  ].join("\n");
  const mounts = parseMountInfo(text);
  assert.equal(mountOf("/srv/nfs/ada/.onebrain", mounts)?.fsType, "nfs4");
  assert.equal(mountOf("/srv/nfs share/x", mounts)?.fsType, "cifs");
  assert.equal(mountOf("/srv/nfsother", mounts)?.fsType, "ext4");
  assert.ok(NETWORK_FS.test("nfs4") && NETWORK_FS.test("cifs") && NETWORK_FS.test("fuse.sshfs"));
  assert.ok(!NETWORK_FS.test("ext4") && !NETWORK_FS.test("overlay") && !NETWORK_FS.test("tmpfs"));
});

test("recognises onebrain and OpenClaw-family gateways by their command line, and not their status commands", () => {
  assert.ok(isOnebrainGatewayArgv(["node", "--max-semi-space-size=1", "/opt/onebrain/bin/onebrain.js", "gateway", "--port", "19001"]));
  assert.ok(isOnebrainGatewayArgv(["/usr/local/bin/onebrain", "--profile", "work", "gateway", "run"]));
  assert.ok(!isOnebrainGatewayArgv(["/usr/local/bin/onebrain", "gateway", "status"]));
  assert.ok(!isOnebrainGatewayArgv(["node", "/srv/other/gateway.js"]));
  assert.equal(clawGatewayKind(["openclaw-gateway"]), "openclaw");
  assert.equal(clawGatewayKind(["node", "/usr/lib/node_modules/clawdbot/dist/index.js", "gateway", "--port", "18789"]), "clawdbot");
  assert.equal(clawGatewayKind(["moltbot", "gateway"]), "moltbot");
  assert.equal(clawGatewayKind(["openclaw", "gateway", "status"]), null);
  assert.equal(clawGatewayKind(["openclaw", "agent"]), null);
});

test("turns a proxy address into the WebSocket URL and the ws-check URL behind it", () => {
  assert.deepEqual(proxyTarget("https://onebrain.example.com/"), {
    wsUrl: "wss://onebrain.example.com/ws",
    checkUrl: "https://onebrain.example.com/api/ws-check",
    secure: true,
  });
  assert.deepEqual(proxyTarget("http://10.0.0.5:8080/brain/"), {
    wsUrl: "ws://10.0.0.5:8080/brain/ws",
    checkUrl: "http://10.0.0.5:8080/brain/api/ws-check",
    secure: false,
  });
  assert.equal(proxyTarget("ws://127.0.0.1:18789/ws").secure, true, "loopback may carry the token");
  assert.throws(
    () => proxyTarget("ftp://x/"),
    (e: Error & { code?: string }) => e.code === "USAGE",
  );
});

test("lists every user's home from the passwd file, /root and /home", () => {
  const dir = tmpDir();
  const passwd = path.join(dir, "passwd");
  fs.writeFileSync(
    passwd,
    ["root:x:0:0:root:/root:/bin/bash", "ada:x:1000:1000::/srv/ada:/bin/sh", "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin", ""].join("\n"),
  );
  fs.mkdirSync(path.join(dir, "home", "bob"), { recursive: true });
  assert.deepEqual(hostHomes(passwd, path.join(dir, "home")).sort(), ["/root", "/srv/ada", path.join(dir, "home", "bob")].sort());
});
