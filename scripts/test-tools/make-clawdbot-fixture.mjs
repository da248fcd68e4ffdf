#!/usr/bin/env node
// Hand-made Clawdbot 2026.1.24 state, following the formats in that package's code
// (clawdbot@2026.1.24 dist/*, @mariozechner/pi-coding-agent@0.49.3 SessionManager). All secrets are fake.
//
//   node make-clawdbot-fixture.mjs <outDir>
//
// Creates <outDir>/home (the HOME of the fixture user):
//   home/.clawdbot/                               state dir (CLAWDBOT_STATE_DIR default = ~/.clawdbot)
//     clawdbot.json                               JSON5 config (comments, trailing commas, ${VAR} refs)
//     .env                                        global dotenv (~/.clawdbot/.env)
//     agents/<id>/agent/auth-profiles.json        {version:1, profiles:{...}}
//     agents/<id>/sessions/sessions.json          { sessionKey: SessionEntry }
//     agents/<id>/sessions/<sessionId>.jsonl      pi-coding-agent v3 transcripts
//     agents/main/sessions/<sessionId>-topic-<threadId>.jsonl  Telegram forum-topic transcript
//     cron/jobs.json (+ jobs.json.bak)            {version:1, jobs:[...]}
//     cron/runs/<jobId>.jsonl                     cron run log (action:"finished" lines)
//     credentials/telegram-allowFrom.json         {version:1, allowFrom:[...]}  (pairing allowlist store)
//     credentials/telegram-pairing.json           {version:1, requests:[...]}   (pending pairing requests)
//     credentials/whatsapp/default/creds.json     Baileys auth state (fake, minimal)
//     identity/device.json, identity/device-auth.json
//     devices/paired.json, devices/pending.json
//     telegram/update-offset-default.json
//     secrets/telegram-alerts.token               tokenFile for the second Telegram account
//   home/clawd/                                   default workspace of the default agent (~/clawd)
//   home/clawd-work/                              workspace of agent "work" (configured explicitly)
//   tmp/clawdbot-<uid>/gateway.<sha1(configPath)[0:8]>.lock  a STALE gateway lock (dead pid) as Clawdbot writes it
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { T, iso, jsonl } from "./clawdbot-fixture/pi-transcript.mjs";
import { writeSessions } from "./clawdbot-fixture/sessions.mjs";

const outDir = path.resolve(process.argv[2] ?? "clawdbot-fixture");
const HOME = path.join(outDir, "home");
const STATE = path.join(HOME, ".clawdbot");
fs.rmSync(outDir, { recursive: true, force: true });

const write = (rel, content, mode) => {
  const file = path.isAbsolute(rel) ? rel : path.join(STATE, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`, mode ? { mode } : undefined);
  return file;
};

// ---------------------------------------------------------------- config (JSON5)
const config = `// Clawdbot config (JSON5). Written by hand for the onebrain importer tests, following
// clawdbot@2026.1.24 dist/config/zod-schema*.js. Comments and trailing commas are legal here.
{
  meta: { lastTouchedVersion: "2026.1.24", lastTouchedAt: "2026-01-20T08:55:00.000Z" },
  wizard: { lastRunAt: "2026-01-19T18:00:00.000Z", lastRunVersion: "2026.1.24", lastRunCommand: "onboard", lastRunMode: "local" },
  env: {
    shellEnv: { enabled: false },
    vars: { ONEBRAIN_IMPORT_MARKER: "set-in-config-env-block" },
  },
  auth: {
    profiles: {
      "anthropic:default": { provider: "anthropic", mode: "api_key" },
    },
  },
  models: {
    mode: "merge",
    providers: {
      fakeai: {
        baseUrl: "http://127.0.0.1:19410/v1",
        apiKey: "\${FAKEAI_API_KEY}", // resolved from ~/.clawdbot/.env
        api: "openai-completions",
        models: [
          { id: "fake-model", name: "fake-model (Custom Provider)", reasoning: false, input: ["text"],
            cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 4096 },
        ],
      },
    },
  },
  agents: {
    defaults: {
      workspace: "~/clawd",
      model: { primary: "fakeai/fake-model", fallbacks: ["anthropic/claude-sonnet-4-5"] },
      models: { "fakeai/fake-model": { alias: "fake" }, "anthropic/claude-sonnet-4-5": {} },
      userTimezone: "Europe/Berlin",
      heartbeat: { every: "30m" },
    },
    list: [
      { id: "main", default: true, identity: { name: "Clawd", emoji: "🦞" } },
      {
        id: "work",
        name: "Worker",
        workspace: "~/clawd-work",
        model: "anthropic/claude-sonnet-4-5",
        identity: { name: "Worker", emoji: "🛠️" },
        tools: { profile: "coding", deny: ["browser"] },
      },
    ],
  },
  bindings: [
    { agentId: "work", match: { channel: "telegram", accountId: "alerts" } },
    { agentId: "work", match: { channel: "telegram", peer: { kind: "dm", id: "555000111" } } },
    { agentId: "main", match: { channel: "whatsapp" } },
  ],
  session: {
    dmScope: "per-channel-peer",
    resetTriggers: ["/new", "/reset"],
    reset: { mode: "idle", idleMinutes: 240 },
    resetByType: { dm: { mode: "idle", idleMinutes: 600 }, group: { mode: "daily", atHour: 4 } },
  },
  messages: { responsePrefix: "🦞", ackReaction: "👀" },
  channels: {
    telegram: {
      enabled: true,
      botToken: "123456:ABCdefFAKEtokenForImportTests_0123456789",
      dmPolicy: "pairing",
      allowFrom: ["tg:987654321"],
      groups: { "*": { requireMention: true } },
      accounts: {
        alerts: {
          name: "Alerts bot",
          tokenFile: "~/.clawdbot/secrets/telegram-alerts.token",
          dmPolicy: "allowlist",
          allowFrom: ["987654321"],
        },
      },
    },
    whatsapp: { dmPolicy: "allowlist", allowFrom: ["+15555550123"], groups: { "*": { requireMention: true } } },
    discord: {
      enabled: false,
      token: "MTAfakeDiscordBotToken.GhIjKl.fake_fake_fake",
      dm: { enabled: true, policy: "pairing", allowFrom: ["123456789012345678"] },
    },
    slack: {
      enabled: false,
      botToken: "xoxb-fake-0000",
      appToken: "xapp-fake-0000",
      dm: { enabled: true, policy: "allowlist", allowFrom: ["U0FAKE01"] },
    },
  },
  cron: { enabled: true },
  hooks: { enabled: true, token: "hook-token-fake-fedcba9876543210", path: "/hooks" },
  gateway: {
    mode: "local",
    port: 18789,
    bind: "loopback",
    auth: { mode: "token", token: "gw-token-fake-0123456789abcdef" },
    tailscale: { mode: "off", resetOnExit: false },
  },
}
`;
write("clawdbot.json", config, 0o600);
write(
  ".env",
  "# global dotenv (~/.clawdbot/.env); never overrides existing env vars\nFAKEAI_API_KEY=sk-fake-fakeai-000000000000\nANTHROPIC_API_KEY=sk-ant-fake-env-000000000000\n",
  0o600,
);
write("secrets/telegram-alerts.token", "654321:XYZfakeAlertsTokenForImportTests_98765\n", 0o600);

// ---------------------------------------------------------------- auth profiles
write(
  "agents/main/agent/auth-profiles.json",
  {
    version: 1,
    profiles: {
      "anthropic:default": { type: "api_key", provider: "anthropic", key: "sk-ant-fake-api03-000000000000000000" },
      "openai-codex:default": {
        type: "oauth",
        provider: "openai-codex",
        access: "fake-access-token",
        refresh: "fake-refresh-token",
        expires: T + 86400000,
        accountId: "acct_fake",
      },
    },
    lastGood: { anthropic: "anthropic:default" },
    usageStats: { "anthropic:default": { lastUsed: T + 60000, errorCount: 0 } },
  },
  0o600,
);
write(
  "agents/work/agent/auth-profiles.json",
  {
    version: 1,
    profiles: { "anthropic:default": { type: "api_key", provider: "anthropic", key: "sk-ant-fake-work-000000000000000000" } },
  },
  0o600,
);

const WS_MAIN = path.join(HOME, "clawd");
const WS_WORK = path.join(HOME, "clawd-work");
writeSessions({ write, state: STATE, wsMain: WS_MAIN, wsWork: WS_WORK });

// ---------------------------------------------------------------- cron (cron/jobs.json, version 1)
const jobs = {
  version: 1,
  jobs: [
    {
      id: "9b2f6a51-1c1e-4d7e-9a54-2f0c1c7d6e01",
      agentId: "main",
      name: "morning-brief",
      enabled: true,
      createdAtMs: T - 86400000,
      updatedAtMs: T + 800000,
      schedule: { kind: "cron", expr: "0 7 * * *", tz: "Europe/Berlin" },
      sessionTarget: "isolated",
      wakeMode: "now",
      payload: { kind: "agentTurn", message: "Summarize my day", deliver: true, channel: "telegram", to: "987654321", bestEffortDeliver: true },
      isolation: { postToMainPrefix: "Cron", postToMainMode: "summary" },
      state: { nextRunAtMs: Date.parse("2026-01-21T06:00:00.000Z"), lastRunAtMs: T + 800000, lastStatus: "ok", lastDurationMs: 4200 },
    },
    {
      id: "5c0e7d9a-2b3c-4d5e-8f60-718293a4b5c6",
      agentId: "work",
      name: "hourly-check",
      description: "poll the alerts queue",
      enabled: false,
      createdAtMs: T - 3600000,
      updatedAtMs: T - 3600000,
      schedule: { kind: "every", everyMs: 3600000, anchorMs: T - 3600000 },
      sessionTarget: "isolated",
      wakeMode: "next-heartbeat",
      payload: { kind: "agentTurn", message: "Check the alerts queue", model: "anthropic/claude-sonnet-4-5", thinking: "low", timeoutSeconds: 120 },
      state: {},
    },
    {
      id: "e1d2c3b4-a596-4877-8899-aabbccddeeff",
      agentId: "main",
      name: "one-shot-reminder",
      enabled: true,
      deleteAfterRun: true,
      createdAtMs: T,
      updatedAtMs: T,
      schedule: { kind: "at", atMs: Date.parse("2026-01-20T11:00:00.000Z") },
      sessionTarget: "main",
      wakeMode: "now",
      payload: { kind: "systemEvent", text: "Reminder: stretch" },
      state: { nextRunAtMs: Date.parse("2026-01-20T11:00:00.000Z") },
    },
  ],
};
write("cron/jobs.json", jobs);
write("cron/jobs.json.bak", jobs);
write(
  "cron/runs/9b2f6a51-1c1e-4d7e-9a54-2f0c1c7d6e01.jsonl",
  jsonl([
    {
      ts: T + 800000 + 4200,
      jobId: "9b2f6a51-1c1e-4d7e-9a54-2f0c1c7d6e01",
      action: "finished",
      status: "ok",
      summary: "echo: Summarize my day",
      runAtMs: T + 800000,
      durationMs: 4200,
      nextRunAtMs: Date.parse("2026-01-21T06:00:00.000Z"),
    },
  ]),
);

// ---------------------------------------------------------------- credentials, identity, devices, telegram offsets
write("credentials/telegram-allowFrom.json", { version: 1, allowFrom: ["111222333"] }, 0o600);
write(
  "credentials/telegram-pairing.json",
  {
    version: 1,
    requests: [
      {
        id: "444555666",
        code: "K7Q2ZP9M",
        createdAt: iso(T + 1000000),
        lastSeenAt: iso(T + 1000000),
        meta: { username: "stranger_fake", firstName: "Stranger" },
      },
    ],
  },
  0o600,
);
write(
  "credentials/whatsapp/default/creds.json",
  {
    noiseKey: { private: { type: "Buffer", data: "AAAA" }, public: { type: "Buffer", data: "BBBB" } },
    signedIdentityKey: { private: { type: "Buffer", data: "CCCC" }, public: { type: "Buffer", data: "DDDD" } },
    registrationId: 12345,
    advSecretKey: "ZmFrZS1hZHYtc2VjcmV0",
    me: { id: "15555550123:7@s.whatsapp.net", name: "Fixture Phone" },
    platform: "android",
  },
  0o600,
);
// Deterministic Ed25519 key from a fixed seed (PKCS#8 DER prefix + 32-byte seed) so the fixture is reproducible.
const seed = crypto.createHash("sha256").update("clawdbot-fixture-device").digest();
const privateKey = crypto.createPrivateKey({
  key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]),
  format: "der",
  type: "pkcs8",
});
const publicKey = crypto.createPublicKey(privateKey);
const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
const raw = publicKey.export({ type: "spki", format: "der" }).subarray(-32);
const deviceId = crypto.createHash("sha256").update(raw).digest("hex");
write(
  "identity/device.json",
  { version: 1, deviceId, publicKeyPem, privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), createdAtMs: T - 86400000 },
  0o600,
);
write(
  "identity/device-auth.json",
  { version: 1, deviceId, tokens: { operator: { token: "device-token-fake-0000", role: "operator", scopes: ["operator.admin"], updatedAtMs: T - 86000000 } } },
  0o600,
);
write("devices/paired.json", {});
write("devices/pending.json", {});
write("telegram/update-offset-default.json", { version: 1, lastUpdateId: 500000003 });

// ---------------------------------------------------------------- workspaces (outside the state dir in Clawdbot)
const ws = (dir, name) => {
  write(path.join(dir, "AGENTS.md"), `# AGENTS.md - ${name} workspace\n\nThis folder is home. Treat it that way.\n`);
  write(path.join(dir, "SOUL.md"), `# SOUL.md\n\nYou are ${name}. Be concise and kind.\n`);
  write(path.join(dir, "TOOLS.md"), "# TOOLS.md\n\nLocal tool notes.\n");
  write(path.join(dir, "IDENTITY.md"), `# IDENTITY.md\n\n- Name: ${name}\n`);
  write(path.join(dir, "USER.md"), "# USER.md\n\n- Name: Ann\n- Timezone: Europe/Berlin\n");
  write(path.join(dir, "HEARTBEAT.md"), "# HEARTBEAT.md\n\n- [ ] check the calendar\n");
  write(path.join(dir, "MEMORY.md"), "# MEMORY.md\n\n- Ann prefers short answers.\n");
  write(path.join(dir, "memory", "2026-01-20.md"), "# 2026-01-20\n\n- Set up the import fixture.\n");
};
ws(WS_MAIN, "Clawd");
ws(WS_WORK, "Worker");

// ---------------------------------------------------------------- stale gateway lock (clawdbot dist/infra/gateway-lock.js)
const configPath = path.join(STATE, "clawdbot.json");
const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
const lockName = `gateway.${crypto.createHash("sha1").update(configPath).digest("hex").slice(0, 8)}.lock`;
write(
  path.join(outDir, "tmp", uid != null ? `clawdbot-${uid}` : "clawdbot", lockName),
  JSON.stringify({ pid: 999999, createdAt: iso(T - 3600000), configPath, startTime: 123456 }),
);

console.log(`clawdbot fixture written to ${outDir}`);
