import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  accessFor,
  foregroundCommand,
  installFiles,
  lookupUser,
  prepareStateDir,
  removeUnitFile,
  shebangNodeFlags,
  writeUnitFile,
} from "../../src/service/install.ts";
import { systemdAvailability, unitDir, parseShow } from "../../src/service/systemd.ts";
import { cliPath, tmpDir } from "../helpers/gateway.ts";

const asRoot = process.getuid?.() === 0 ? false : "needs root (chown to another user)";
const nobody = lookupUser("nobody");
const noNobody = nobody ? false : "no user nobody here";
const mode = (p: string) => fs.statSync(p).mode & 0o777;

test("a unit file is created 0644, left alone when identical, and never silently replaced", () => {
  const dir = path.join(tmpDir(), "systemd", "user");
  const a = writeUnitFile({ dir, name: "onebrain-gateway", text: "[Service]\nExecStart=/bin/true\n" });
  assert.deepEqual(a, { path: path.join(dir, "onebrain-gateway.service"), result: "created" });
  assert.equal(mode(a.path), 0o644);
  assert.equal(writeUnitFile({ dir, name: "onebrain-gateway", text: "[Service]\nExecStart=/bin/true\n" }).result, "unchanged");
  assert.throws(
    () => writeUnitFile({ dir, name: "onebrain-gateway", text: "[Service]\nExecStart=/bin/false\n" }),
    (e: any) => e.code === "SERVICE_EXISTS" && e.exitCode === 53 && e.message.includes(a.path),
  );
  assert.equal(fs.readFileSync(a.path, "utf8"), "[Service]\nExecStart=/bin/true\n", "the refused write changed nothing");
  assert.equal(writeUnitFile({ dir, name: "onebrain-gateway", text: "[Service]\nExecStart=/bin/false\n", force: true }).result, "updated");
  assert.equal(removeUnitFile({ dir, name: "onebrain-gateway" }), true);
  assert.equal(removeUnitFile({ dir, name: "onebrain-gateway" }), false, "removing twice is fine");
  assert.deepEqual(fs.readdirSync(dir), [], "no temp file left behind");
});

test("an install creates the state dir 0700, an empty env file 0600 for secrets, and the unit", () => {
  const root = tmpDir();
  const stateDir = path.join(root, "home", ".onebrain");
  const unitDirPath = path.join(root, "units");
  const r = installFiles({ unitDir: unitDirPath, name: "onebrain-gateway", text: "[Unit]\n", stateDir, owner: null });
  assert.equal(r.stateDirCreated, true);
  assert.equal(mode(stateDir), 0o700);
  assert.equal(r.envFile, path.join(stateDir, "service.env"));
  assert.equal(mode(r.envFile), 0o600);
  assert.doesNotMatch(fs.readFileSync(r.envFile, "utf8"), /^[A-Z_]+=/m, "only comments: no secret is invented");
  fs.appendFileSync(r.envFile, "ONEBRAIN_GATEWAY_TOKEN=kept\n");
  const again = installFiles({ unitDir: unitDirPath, name: "onebrain-gateway", text: "[Unit]\n", stateDir, owner: null });
  assert.deepEqual([again.stateDirCreated, again.envFileCreated, again.unit.result], [false, false, "unchanged"]);
  assert.match(fs.readFileSync(r.envFile, "utf8"), /TOKEN=kept/, "an existing env file is never rewritten");
});

test("an install that would replace a different unit fails before it touches anything", () => {
  const root = tmpDir();
  const unitDirPath = path.join(root, "units");
  writeUnitFile({ dir: unitDirPath, name: "onebrain-gateway", text: "[Unit]\nDescription=someone else's\n" });
  const stateDir = path.join(root, "state");
  assert.throws(
    () => installFiles({ unitDir: unitDirPath, name: "onebrain-gateway", text: "[Unit]\n", stateDir, owner: null }),
    (e: any) => e.code === "SERVICE_EXISTS",
  );
  assert.equal(fs.existsSync(stateDir), false);
});

test("a system install gives a new state dir and env file to the service user", { skip: asRoot || noNobody }, () => {
  const root = tmpDir();
  fs.chmodSync(root, 0o755);
  const stateDir = path.join(root, "srv", ".onebrain");
  const r = installFiles({
    unitDir: path.join(root, "units"),
    name: "onebrain-gateway",
    text: "[Unit]\n",
    stateDir,
    owner: { uid: nobody!.uid, gid: nobody!.gid, name: "nobody" },
  });
  assert.equal(fs.statSync(stateDir).uid, nobody!.uid);
  assert.equal(mode(stateDir), 0o700);
  assert.equal(fs.statSync(r.envFile).uid, nobody!.uid);
  assert.equal(mode(r.envFile), 0o600);
});

test("an existing state dir of another user is refused, not chowned behind anyone's back", { skip: asRoot || noNobody }, () => {
  const stateDir = path.join(tmpDir(), "state");
  fs.mkdirSync(stateDir, { mode: 0o700 });
  assert.throws(
    () => prepareStateDir(stateDir, { uid: nobody!.uid, gid: nobody!.gid, name: "nobody" }),
    (e: any) => e.code === "SERVICE_PERMISSION" && e.exitCode === 54 && e.hint.includes(`chown -R nobody: ${stateDir}`),
  );
  assert.equal(fs.statSync(stateDir).uid, 0);
});

test("users are looked up in the passwd and group files, with their groups", () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, "passwd"), "root:x:0:0:root:/root:/bin/bash\nonebrain:x:990:985::/var/lib/onebrain:/usr/sbin/nologin\n");
  fs.writeFileSync(path.join(dir, "group"), "root:x:0:\nonebrain:x:985:\nssl-cert:x:110:onebrain,www-data\n");
  const files = { passwd: path.join(dir, "passwd"), group: path.join(dir, "group") };
  assert.deepEqual(lookupUser("onebrain", files), { name: "onebrain", uid: 990, gid: 985, home: "/var/lib/onebrain", groups: [985, 110] });
  assert.equal(lookupUser("nobody-at-all", files), null);
  assert.equal(lookupUser("root")?.uid, 0);
});

test("the service user's access to the code is checked along the whole path", { skip: noNobody }, () => {
  const root = tmpDir();
  fs.chmodSync(root, 0o755);
  const secret = path.join(root, "private");
  fs.mkdirSync(secret, { mode: 0o700 });
  const file = path.join(secret, "onebrain.js");
  fs.writeFileSync(file, "", { mode: 0o644 });
  const denied = accessFor(nobody!, file, "r");
  assert.equal(denied.ok, false);
  assert.match((denied as { blocker: string }).blocker, new RegExp(`^${secret} \\(mode 0700, owner uid \\d+\\)$`));
  fs.chmodSync(secret, 0o755);
  assert.deepEqual(accessFor(nobody!, file, "r"), { ok: true });
  assert.equal(accessFor(nobody!, file, "x").ok, false, "readable is not executable");
  assert.deepEqual(accessFor({ ...nobody!, uid: 0 }, file, "x"), { ok: true }, "root may do anything");
});

test("the unit repeats the node flags of bin/onebrain.js's shebang", () => {
  assert.deepEqual(shebangNodeFlags(cliPath), ["--max-semi-space-size=1", "--disable-warning=DEP0040", "--disable-warning=DEP0169"]);
});

test("the foreground command carries the variables that selected the brain, quoted for a shell", () => {
  const fg = foregroundCommand({ program: "onebrain", profile: "work", env: { ONEBRAIN_STATE_DIR: "/srv/my brain", ONEBRAIN_CONFIG_PATH: undefined } });
  assert.equal(fg.text, "ONEBRAIN_STATE_DIR='/srv/my brain' onebrain --profile work gateway run");
  assert.deepEqual(fg.argv, ["onebrain", "--profile", "work", "gateway", "run"]);
  assert.deepEqual(fg.env, { ONEBRAIN_STATE_DIR: "/srv/my brain" });
});

test("systemd counts as running only with /run/systemd/system, and a user unit also needs the user manager", () => {
  const host = (paths: string[], env: Record<string, string> = {}) => ({ env, uid: 1000, home: "/home/ada", exists: (p: string) => paths.includes(p) });
  const none = systemdAvailability("system", host([]));
  assert.equal(none.running, false);
  assert.match(none.reason!, /systemd is not running here \(no \/run\/systemd\/system/);
  assert.deepEqual(systemdAvailability("system", host(["/run/systemd/system"])), { running: true, reason: null });
  const noManager = systemdAvailability("user", host(["/run/systemd/system"]));
  assert.match(noManager.reason!, /user manager of uid 1000 is not running \(no \/run\/user\/1000\/systemd\/private\)/);
  assert.equal(systemdAvailability("user", host(["/run/systemd/system", "/x/systemd/private"], { XDG_RUNTIME_DIR: "/x" })).running, true);
  assert.equal(unitDir("user", host([])), "/home/ada/.config/systemd/user");
  assert.equal(unitDir("user", host([], { XDG_CONFIG_HOME: "/cfg" })), "/cfg/systemd/user");
  assert.equal(unitDir("system", host([])), "/etc/systemd/system");
});

test("systemctl show output becomes the unit's state", () => {
  assert.deepEqual(parseShow("ActiveState=failed\nSubState=failed\nExecMainStatus=20\nMainPID=0\nResult=exit-code\nLoadState=loaded\n"), {
    activeState: "failed",
    subState: "failed",
    execMainStatus: 20,
    mainPid: 0,
    result: "exit-code",
    loadState: "loaded",
  });
});
