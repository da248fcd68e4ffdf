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
const jsonl = (lines) => `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;

// Deterministic clock and ids (pi-coding-agent v3 uses randomUUID().slice(0, 8) for entry ids).
const T = Date.parse("2026-01-20T09:00:00.000Z");
const iso = (ms) => new Date(ms).toISOString();
let idn = 0;
const shortId = () => crypto.createHash("sha256").update(`entry-${idn++}`).digest("hex").slice(0, 8);
const uuid = (seed) => {
  const h = crypto.createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const usage = (input, output) => ({
  input,
  output,
  cacheRead: 0,
  cacheWrite: 0,
  totalTokens: input + output,
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
});

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

// ---------------------------------------------------------------- transcripts (pi-coding-agent SessionManager v3)
function transcript({ sessionId, cwd, start, provider, model, api, turns }) {
  idn = 0;
  const lines = [{ type: "session", version: 3, id: sessionId, timestamp: iso(start), cwd }];
  let parentId = null;
  let t = start;
  const add = (entry) => {
    const id = shortId();
    t += 1000;
    lines.push({ ...entry, id, parentId, timestamp: iso(t) });
    parentId = id;
    return id;
  };
  add({ type: "model_change", provider, modelId: model });
  add({ type: "thinking_level_change", thinkingLevel: "off" });
  add({ type: "custom", customType: "model-snapshot", data: { timestamp: t, provider, modelApi: api, modelId: model } });
  for (const turn of turns) {
    add({ type: "message", message: { role: "user", content: turn.user, timestamp: t } });
    if (turn.tool) {
      const callId = `call_${shortId()}`;
      add({
        type: "message",
        message: {
          role: "assistant",
          content: [
            { type: "text", text: turn.tool.say },
            { type: "toolCall", id: callId, name: turn.tool.name, arguments: turn.tool.args },
          ],
          api,
          provider,
          model,
          usage: usage(900, 20),
          stopReason: "toolUse",
          timestamp: t,
        },
      });
      add({
        type: "message",
        message: {
          role: "toolResult",
          toolCallId: callId,
          toolName: turn.tool.name,
          content: [{ type: "text", text: turn.tool.result }],
          isError: false,
          timestamp: t,
        },
      });
    }
    add({
      type: "message",
      message: {
        role: "assistant",
        content: [{ type: "text", text: turn.assistant }],
        api,
        provider,
        model,
        usage: usage(1000, 12),
        stopReason: "stop",
        timestamp: t,
      },
    });
  }
  return { text: jsonl(lines), lastTs: t, count: lines.length };
}

const WS_MAIN = path.join(HOME, "clawd");
const WS_WORK = path.join(HOME, "clawd-work");
const S = {
  mainMain: uuid("main-main"),
  mainTg: uuid("main-telegram-dm"),
  mainTopic: uuid("main-telegram-topic"),
  mainCron: uuid("main-cron-run"),
  mainHook: uuid("main-hook"),
  workProject: uuid("work-project-x"),
  workAlerts: uuid("work-alerts"),
};
const sessDir = (agent) => path.join(STATE, "agents", agent, "sessions");
const fake = { provider: "fakeai", model: "fake-model", api: "openai-completions" };
const anth = { provider: "anthropic", model: "claude-sonnet-4-5", api: "anthropic-messages" };

const tMainMain = transcript({
  sessionId: S.mainMain,
  cwd: WS_MAIN,
  start: T,
  ...fake,
  turns: [
    { user: "Hello Clawd, this is the onebrain import fixture.", assistant: "echo: Hello Clawd, this is the onebrain import fixture." },
    {
      user: "TOOLTEST please read AGENTS.md and summarize it.",
      tool: {
        say: "Let me look at AGENTS.md.",
        name: "read",
        args: { path: "AGENTS.md" },
        result: "# AGENTS.md - Your Workspace\n\nThis folder is home. Treat it that way.\n",
      },
      assistant: "echo: TOOLTEST please read AGENTS.md and summarize it.",
    },
  ],
});
const tMainTg = transcript({
  sessionId: S.mainTg,
  cwd: WS_MAIN,
  start: T + 600000,
  ...fake,
  turns: [
    {
      user: "[Telegram Ann (@ann_fake) id:987654321 2026-01-20 10:10 GMT+1] hi from telegram, please answer\n[message_id: 1]",
      assistant: "echo: hi from telegram, please answer",
    },
  ],
});
const tMainTopic = transcript({
  sessionId: S.mainTopic,
  cwd: WS_MAIN,
  start: T + 700000,
  ...fake,
  turns: [
    {
      user: "[Telegram Fixture Forum id:-1001234567890 topic:42 2026-01-20 10:12 GMT+1] Ann (@ann_fake): @oc_import_main_bot what's up in this topic?\n[message_id: 7]",
      assistant: "echo: what's up in this topic?",
    },
  ],
});
const tMainCron = transcript({
  sessionId: S.mainCron,
  cwd: WS_MAIN,
  start: T + 800000,
  ...fake,
  turns: [{ user: "[cron:9b2f6a51-1c1e-4d7e-9a54-2f0c1c7d6e01 morning-brief] Summarize my day", assistant: "echo: Summarize my day" }],
});
const tMainHook = transcript({
  sessionId: S.mainHook,
  cwd: WS_MAIN,
  start: T + 900000,
  ...fake,
  turns: [{ user: "Task: CI\n\nWebhook says: build 42 passed", assistant: "echo: Webhook says: build 42 passed" }],
});
const tWorkProject = transcript({
  sessionId: S.workProject,
  cwd: WS_WORK,
  start: T + 300000,
  ...anth,
  turns: [{ user: "What is the status of project X?", assistant: "Project X is on track (fixture answer)." }],
});
const tWorkAlerts = transcript({
  sessionId: S.workAlerts,
  cwd: WS_WORK,
  start: T + 650000,
  ...anth,
  turns: [
    {
      user: "[Telegram Ann (@ann_fake) id:987654321 2026-01-20 10:11 GMT+1] alert: disk almost full\n[message_id: 1]",
      assistant: "Noted: disk almost full (fixture answer).",
    },
  ],
});
write(path.join(sessDir("main"), `${S.mainMain}.jsonl`), tMainMain.text);
write(path.join(sessDir("main"), `${S.mainTg}.jsonl`), tMainTg.text);
write(path.join(sessDir("main"), `${S.mainTopic}-topic-42.jsonl`), tMainTopic.text);
write(path.join(sessDir("main"), `${S.mainCron}.jsonl`), tMainCron.text);
write(path.join(sessDir("main"), `${S.mainHook}.jsonl`), tMainHook.text);
write(path.join(sessDir("work"), `${S.workProject}.jsonl`), tWorkProject.text);
write(path.join(sessDir("work"), `${S.workAlerts}.jsonl`), tWorkAlerts.text);

// ---------------------------------------------------------------- sessions.json (SessionEntry map)
const skillsSnapshot = { prompt: "", skills: [], resolvedSkills: [], version: 1 };
const usageFields = (u) => ({
  inputTokens: u.input,
  outputTokens: u.output,
  totalTokens: u.input,
  modelProvider: u.provider,
  model: u.model,
  contextTokens: 128000,
});
write(
  path.join(sessDir("main"), "sessions.json"),
  {
    "agent:main:main": {
      sessionId: S.mainMain,
      updatedAt: tMainMain.lastTs,
      systemSent: true,
      abortedLastRun: false,
      chatType: "direct",
      sessionFile: path.join(sessDir("main"), `${S.mainMain}.jsonl`),
      compactionCount: 0,
      skillsSnapshot,
      ...usageFields({ input: 1000, output: 12, ...fake }),
    },
    "agent:main:telegram:dm:987654321": {
      sessionId: S.mainTg,
      updatedAt: tMainTg.lastTs,
      systemSent: true,
      abortedLastRun: false,
      chatType: "direct",
      channel: "telegram",
      displayName: "Ann (@ann_fake)",
      deliveryContext: { channel: "telegram", to: "telegram:987654321", accountId: "default" },
      lastChannel: "telegram",
      lastTo: "telegram:987654321",
      lastAccountId: "default",
      origin: {
        label: "Ann (@ann_fake) id:987654321",
        provider: "telegram",
        surface: "telegram",
        chatType: "direct",
        from: "telegram:987654321",
        to: "telegram:987654321",
        accountId: "default",
      },
      sessionFile: path.join(sessDir("main"), `${S.mainTg}.jsonl`),
      compactionCount: 0,
      skillsSnapshot,
      ...usageFields({ input: 1000, output: 12, ...fake }),
    },
    "agent:main:telegram:group:-1001234567890:topic:42": {
      sessionId: S.mainTopic,
      updatedAt: tMainTopic.lastTs,
      systemSent: true,
      abortedLastRun: false,
      chatType: "group",
      channel: "telegram",
      groupId: "-1001234567890",
      subject: "Fixture Forum",
      displayName: "telegram:g-fixture-forum",
      deliveryContext: { channel: "telegram", to: "telegram:-1001234567890", accountId: "default", threadId: 42 },
      lastChannel: "telegram",
      lastTo: "telegram:-1001234567890",
      lastAccountId: "default",
      lastThreadId: 42,
      origin: {
        label: "Fixture Forum id:-1001234567890 topic:42",
        provider: "telegram",
        surface: "telegram",
        chatType: "group",
        from: "telegram:group:-1001234567890:topic:42",
        to: "telegram:-1001234567890",
        accountId: "default",
        threadId: 42,
      },
      sessionFile: path.join(sessDir("main"), `${S.mainTopic}-topic-42.jsonl`),
      compactionCount: 0,
      skillsSnapshot,
      ...usageFields({ input: 1000, output: 12, ...fake }),
    },
    "cron:9b2f6a51-1c1e-4d7e-9a54-2f0c1c7d6e01": {
      sessionId: S.mainCron,
      updatedAt: tMainCron.lastTs,
      systemSent: true,
      chatType: "direct",
      sessionFile: path.join(sessDir("main"), `${S.mainCron}.jsonl`),
      compactionCount: 0,
      skillsSnapshot,
      ...usageFields({ input: 1000, output: 12, ...fake }),
    },
    "hook:3f1d2c4b-5a6e-4f70-8b9c-0d1e2f3a4b5c": {
      sessionId: S.mainHook,
      updatedAt: tMainHook.lastTs,
      systemSent: true,
      chatType: "direct",
      sessionFile: path.join(sessDir("main"), `${S.mainHook}.jsonl`),
      compactionCount: 0,
      ...usageFields({ input: 1000, output: 12, ...fake }),
    },
  },
  0o600,
);
write(
  path.join(sessDir("work"), "sessions.json"),
  {
    "agent:work:project-x": {
      sessionId: S.workProject,
      updatedAt: tWorkProject.lastTs,
      systemSent: true,
      abortedLastRun: false,
      chatType: "direct",
      sessionFile: path.join(sessDir("work"), `${S.workProject}.jsonl`),
      compactionCount: 0,
      skillsSnapshot,
      thinkingLevel: "low",
      modelOverride: "claude-sonnet-4-5",
      providerOverride: "anthropic",
      ...usageFields({ input: 1000, output: 12, ...anth }),
    },
    "agent:work:telegram:dm:987654321": {
      sessionId: S.workAlerts,
      updatedAt: tWorkAlerts.lastTs,
      systemSent: true,
      abortedLastRun: false,
      chatType: "direct",
      channel: "telegram",
      deliveryContext: { channel: "telegram", to: "telegram:987654321", accountId: "alerts" },
      lastChannel: "telegram",
      lastTo: "telegram:987654321",
      lastAccountId: "alerts",
      origin: {
        label: "Ann (@ann_fake) id:987654321",
        provider: "telegram",
        surface: "telegram",
        chatType: "direct",
        from: "telegram:987654321",
        to: "telegram:987654321",
        accountId: "alerts",
      },
      sessionFile: path.join(sessDir("work"), `${S.workAlerts}.jsonl`),
      compactionCount: 0,
      skillsSnapshot,
      ...usageFields({ input: 1000, output: 12, ...anth }),
    },
  },
  0o600,
);

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
