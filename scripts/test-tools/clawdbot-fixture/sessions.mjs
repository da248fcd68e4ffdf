// The sessions of the fixture's two agents: their transcripts (agents/<id>/sessions/<sessionId>.jsonl,
// a Telegram forum topic's as <sessionId>-topic-<threadId>.jsonl) and sessions.json, the SessionEntry
// map Clawdbot 2026.1.24 keeps beside them.
import path from "node:path";
import { T, transcript, uuid } from "./pi-transcript.mjs";

/** Writes both agents' sessions under `state` with `write(file, content, mode)`; the workspaces are their cwd. */
export function writeSessions({ write, state: STATE, wsMain: WS_MAIN, wsWork: WS_WORK }) {
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
}
