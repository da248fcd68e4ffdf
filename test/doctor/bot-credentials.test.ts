/**
 * A brain's bot credentials wherever its gateway reads them (config values, `${VAR}` and SecretRef
 * references, token files, the environment and OpenClaw's `.env`), compared by fingerprint only;
 * and how doctor says to stop a gateway (its systemd unit, else its pid).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { brainCredentials, unitOfCgroup } from "../../src/diagnostics/doctor/bot-credentials.ts";
import { fingerprint } from "../../src/diagnostics/doctor/credentials.ts";
import { tmpDir } from "../helpers/gateway.ts";

const TOKEN = "7654321:AAF-bot-credentials-test-token-xyz";
const FP = fingerprint(TOKEN);

/** An OpenClaw state dir in a temp home with this config (and files), as `brainCredentials` reads a running one. */
function claw(config: unknown, files: Record<string, string> = {}) {
  const home = tmpDir("onebrain-botcred-");
  const stateDir = path.join(home, ".openclaw");
  fs.mkdirSync(stateDir, { recursive: true });
  const configPath = path.join(stateDir, "openclaw.json");
  fs.writeFileSync(configPath, JSON.stringify(config));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(home, name)), { recursive: true });
    fs.writeFileSync(path.join(home, name), text);
  }
  return { kind: "openclaw" as const, configPath, stateDir, home };
}

test("a token file (~/, relative to the config, absolute) counts by its content; a missing or oversize one does not", () => {
  const a = claw(
    { channels: { telegram: { accounts: { alerts: { tokenFile: "~/.openclaw/secrets/tg.token" } } } } },
    { ".openclaw/secrets/tg.token": `${TOKEN}\n` },
  );
  assert.deepEqual(brainCredentials({ ...a, env: {} }), [{ path: "channels.telegram.accounts.alerts.tokenFile", fingerprint: FP }]);
  const b = claw({ channels: { telegram: { tokenFile: "secrets/tg.token" } } }, { ".openclaw/secrets/tg.token": TOKEN });
  assert.deepEqual(brainCredentials({ ...b, env: {} }), [{ path: "channels.telegram.tokenFile", fingerprint: FP }]);
  const big = claw({ channels: { telegram: { tokenFile: "~/big" } } }, { big: "x".repeat(5000) });
  assert.deepEqual(brainCredentials({ ...big, env: {} }), []);
  const gone = claw({ channels: { telegram: { tokenFile: "/nonexistent/tg.token" } } });
  assert.deepEqual(brainCredentials({ ...gone, env: { TELEGRAM_BOT_TOKEN: TOKEN } }), [], "a token file, even unreadable, means the variable is not used");
});

test("`${VAR}` and env SecretRefs are resolved (the process first, then OpenClaw's .env); unresolved ones are no bot", () => {
  const viaDotenv = claw({ channels: { telegram: { botToken: "${TG_MAIN}" } } }, { ".openclaw/.env": `TG_MAIN="${TOKEN}"\n` });
  assert.deepEqual(brainCredentials({ ...viaDotenv, env: {} }), [{ path: "channels.telegram.botToken", fingerprint: FP }]);
  assert.deepEqual(
    brainCredentials({ ...viaDotenv, env: { TG_MAIN: "9999:another-bot-token-entirely" } }).map((c) => c.fingerprint),
    [fingerprint("9999:another-bot-token-entirely")],
    "the process environment wins over .env",
  );
  const ref = claw({ channels: { discord: { token: { source: "env", provider: "default", id: "DC_TOKEN" } } } });
  assert.deepEqual(brainCredentials({ ...ref, env: { DC_TOKEN: TOKEN } }), [{ path: "channels.discord.token", fingerprint: FP }]);
  const unresolved = claw({ channels: { telegram: { botToken: "${TELEGRAM_BOT_TOKEN}" } } });
  assert.deepEqual(brainCredentials({ ...unresolved, env: {} }), [], "two configs saying ${TELEGRAM_BOT_TOKEN} are not one bot unless the values agree");
});

test("the platforms' variables count when the section sets no token: onebrain on the variable alone, OpenClaw with a section", () => {
  const dir = tmpDir("onebrain-botcred-ob-");
  const configPath = path.join(dir, "onebrain.json");
  fs.writeFileSync(configPath, "{}");
  const env = { TELEGRAM_BOT_TOKEN: TOKEN, SLACK_BOT_TOKEN: "xoxb-1-slack-bot-token", PATH: "/usr/bin" };
  assert.deepEqual(
    brainCredentials({ kind: "onebrain", configPath, stateDir: dir, home: null, env }).map((c) => c.path),
    ["TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN"],
  );
  assert.deepEqual(brainCredentials({ ...claw({}), env }), [], "OpenClaw starts no channel without its section");
  assert.deepEqual(brainCredentials({ ...claw({ channels: { telegram: { dmPolicy: "pairing" } } }), env }), [{ path: "TELEGRAM_BOT_TOKEN", fingerprint: FP }]);
  assert.deepEqual(
    brainCredentials({ ...claw({ channels: { telegram: { enabled: false, botToken: TOKEN } } }), env }),
    [],
    "a disabled channel answers no bot",
  );
  assert.deepEqual(
    brainCredentials({ ...claw({ channels: { telegram: { accounts: { a: { enabled: false, botToken: TOKEN }, b: { botToken: "${NOPE}" } } } } }), env: {} }),
    [],
    "a disabled account neither",
  );
});

test("the systemd unit a gateway runs in, from its cgroup: user and system units; none outside systemd", () => {
  assert.deepEqual(unitOfCgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/openclaw-gateway.service\n"), {
    unit: "openclaw-gateway.service",
    user: true,
  });
  assert.deepEqual(unitOfCgroup("0::/system.slice/onebrain-work.service\n"), { unit: "onebrain-work.service", user: false });
  assert.deepEqual(unitOfCgroup("12:pids:/user.slice/user-0.slice/user@0.service\n0::/user.slice/user-0.slice/session-3.scope\n"), null);
  assert.equal(unitOfCgroup("0::/\n"), null);
  assert.equal(unitOfCgroup(""), null);
});
