import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { openStore } from "../../src/store/db.ts";
import { brainEnv, runCli } from "../helpers/gateway.ts";
import { snapshotFiles } from "../gateway/support.ts";
import { converse, foreignKeyProblems, makeBrain, sessionRows, stateDirIn, transcriptOf } from "./brains.ts";

const bounded = { timeout: 60_000 };
const T0 = 1_750_000_000_000;

/** Two brains in one temp home: `old` (to be folded in) and `mine` (where it goes). */
function twoBrains(): { old: string; mine: string; env: NodeJS.ProcessEnv } {
  const old = stateDirIn("old");
  const mine = path.join(path.dirname(old), "mine");
  makeBrain(old, { gateway: { auth: { token: "old-token-0123456789" } } }, (s) => {
    converse(s, "agent:main:webchat:dm:ada", ["hello", "how are you"], T0);
    converse(s, "agent:main:main", ["first", "/new", "second"], T0 + 10_000);
  });
  makeBrain(mine, { gateway: { auth: { token: "new-token-0123456789" } } }, (s) => {
    converse(s, "agent:main:main", ["mine"], T0 + 50_000);
    converse(s, "agent:main:webchat:dm:bob", ["hi from bob"], T0 + 60_000);
  });
  return { old, mine, env: brainEnv(mine) };
}

async function migrate(env: NodeJS.ProcessEnv, ...args: string[]): Promise<any> {
  const r = await runCli(["migrate", ...args, "--json"], env);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout);
}

test("imports every session with its transcript, runs and inbound rows under new ids, keeping this brain's live session live", bounded, async () => {
  const { old, mine, env } = twoBrains();
  const before = sessionRows(path.join(mine, "brain.db"));
  const r = await migrate(env, "--from", old);

  assert.equal(r.ok, true);
  assert.equal(r.from, fs.realpathSync(old));
  assert.equal(r.to, mine);
  assert.deepEqual(r.sessions.sessions, { imported: 3, endedOnImport: 1, alreadyHere: 0, replaced: 0 });
  assert.equal(r.sessions.messages, 2 * 2 + 2 + 1 + 2); // ada: 2 exchanges; main: first (2), /new (notice), second (2)
  assert.equal(r.sessions.runs, 5);
  assert.deepEqual(r.sessions.inbound, { imported: 5, alreadyHere: 0 });

  const file = path.join(mine, "brain.db");
  const after = sessionRows(file);
  assert.equal(after.length, before.length + 3);
  const liveMain = after.filter((s) => s.key === "agent:main:main" && s.live);
  assert.deepEqual(
    liveMain,
    before.filter((s) => s.key === "agent:main:main"),
    "this brain's live session stays the live one",
  );
  assert.deepEqual(transcriptOf(file, "agent:main:webchat:dm:ada"), [
    "user: hello",
    "assistant: echo: hello",
    "user: how are you",
    "assistant: echo: how are you",
  ]);
  assert.deepEqual(transcriptOf(file, "agent:main:webchat:dm:bob"), ["user: hi from bob", "assistant: echo: hi from bob"]);
  assert.deepEqual(transcriptOf(file, "agent:main:main"), [
    "user: first",
    "assistant: echo: first",
    "notice: session reset",
    "user: second",
    "assistant: echo: second",
    "user: mine",
    "assistant: echo: mine",
  ]);
  assert.deepEqual(foreignKeyProblems(file), []);

  // The backup is this brain as it was before the import.
  assert.match(r.backup, /\/backups\/brain-\d{8}-\d{6}\.db$/);
  assert.deepEqual(sessionRows(r.backup), before);
  // The old brain is left as it was, and neither brain is left locked.
  assert.equal(sessionRows(path.join(old, "brain.db")).length, 3);
  for (const dir of [old, mine]) assert.equal(fs.existsSync(path.join(dir, "brain.owner.json")), false);
  assert.deepEqual(
    fs.readdirSync(mine).filter((f) => f.startsWith(".migrate")),
    [],
    "no scratch copies left",
  );
});

test("a second run finds every session already here and imports nothing; --force replaces them instead of adding duplicates", bounded, async () => {
  const { old, mine, env } = twoBrains();
  await migrate(env, "--from", old);
  const once = sessionRows(path.join(mine, "brain.db"));

  const again = await migrate(env, "--from", old);
  assert.deepEqual(again.sessions.sessions, { imported: 0, endedOnImport: 0, alreadyHere: 3, replaced: 0 });
  assert.equal(again.sessions.messages, 0);
  assert.deepEqual(sessionRows(path.join(mine, "brain.db")), once);

  const forced = await migrate(env, "--from", old, "--force");
  assert.deepEqual(forced.sessions.sessions, { imported: 3, endedOnImport: 1, alreadyHere: 0, replaced: 3 });
  assert.equal(forced.sessions.inbound.alreadyHere, 5, "the same channel messages are reused, not duplicated");
  assert.deepEqual(sessionRows(path.join(mine, "brain.db")), once);
  assert.deepEqual(foreignKeyProblems(path.join(mine, "brain.db")), []);
});

test("--dry-run reports exactly what a real run does and changes nothing in either state dir", bounded, async () => {
  const { old, mine, env } = twoBrains();
  fs.mkdirSync(path.join(old, "workspace"));
  fs.writeFileSync(path.join(old, "workspace", "AGENTS.md"), "You are terse.\n");
  await migrate(env, "--from", old, "--dry-run"); // creates the lock files, which are not content
  const snap = () => [snapshotFiles(old), snapshotFiles(mine)];
  const before = snap();
  const dry = await migrate(env, "--from", old, "--dry-run");
  assert.deepEqual(snap(), before);
  assert.equal(dry.dryRun, true);
  assert.equal(dry.backup, null);
  assert.equal(dry.config.written, false);
  assert.deepEqual(dry.workspace.copied, ["AGENTS.md"]);
  assert.equal(fs.existsSync(path.join(mine, "workspace", "AGENTS.md")), false);

  const real = await migrate(env, "--from", old);
  assert.deepEqual(real.sessions, dry.sessions);
  assert.deepEqual(real.config.added, dry.config.added);
  assert.equal(fs.readFileSync(path.join(mine, "workspace", "AGENTS.md"), "utf8"), "You are terse.\n");
});

test("a dry run into a brain without a database creates none", bounded, async () => {
  const { old } = twoBrains();
  const fresh = path.join(path.dirname(old), "fresh");
  const dry = await migrate(brainEnv(fresh), "--from", old, "--dry-run");
  assert.equal(dry.sessions.sessions.imported, 3);
  assert.equal(fs.existsSync(path.join(fresh, "brain.db")), false);
  assert.deepEqual(
    fs.readdirSync(fresh).filter((f) => !f.startsWith("brain.lock")),
    [],
  );
});

test("unfinished work comes over as finished and is never run here; unanswered messages and undelivered replies stay behind, counted", bounded, async () => {
  const old = stateDirIn("old");
  const mine = path.join(path.dirname(old), "mine");
  makeBrain(old, null, (s) => {
    converse(s, "agent:main:main", ["answered"], T0);
    converse(s, "agent:main:main", ["cut off by a crash"], T0 + 5000, { finish: false }); // run left running
    s.transaction(() =>
      s
        .prepare(
          "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at) VALUES ('webchat', 'default', 'queued', 'agent:main:main', 'p', 'queued', ?)",
        )
        .run(T0 + 9000),
    );
  });
  const r = await migrate(brainEnv(mine), "--from", old);
  assert.deepEqual(r.sessions.unfinished, { runsInterrupted: 1, inboundFailed: 1 });
  assert.deepEqual(r.sessions.leftBehind, { unansweredMessages: 1, undeliveredReplies: 1 });
  assert.equal(r.config, null);
  const store = openStore(path.join(mine, "brain.db"));
  try {
    assert.deepEqual(
      store.db
        .prepare("SELECT state FROM runs ORDER BY id")
        .all()
        .map((x: any) => x.state),
      ["done", "interrupted"],
    );
    assert.deepEqual(
      store.db
        .prepare("SELECT text, state FROM inbound ORDER BY id")
        .all()
        .map((x: any) => [x.text, x.state]),
      [
        ["answered", "answered"],
        ["cut off by a crash", "failed"],
      ],
    );
    assert.equal((store.db.prepare("SELECT count(*) AS n FROM outbox").get() as { n: number }).n, 0);
  } finally {
    store.close();
  }
});

test(
  "config keys this brain lacks are added; its own values, ports and paths into the old dir are kept, the old file beside it; secrets never printed",
  bounded,
  async () => {
    const old = stateDirIn("old");
    const mine = path.join(path.dirname(old), "mine");
    makeBrain(old, {
      gateway: { port: 19999, auth: { token: "old-token-0123456789" }, trustedProxies: ["10.0.0.1"] },
      logging: { level: "debug" },
      models: { primary: "local/llama3.2", providers: { local: { baseUrl: "http://127.0.0.1:11434/v1", apiKey: "sk-old-secret-value" } } },
      agents: { defaults: { workspace: path.join(old, "workspace") } },
      browser: { profiles: { work: { cdpPort: 19100, color: "red" } } },
    });
    makeBrain(mine, { gateway: { bind: "loopback", auth: { mode: "token", token: "new-token-0123456789" } }, logging: { level: "warn" } });
    fs.mkdirSync(path.join(old, "workspace", "notes"), { recursive: true });
    fs.writeFileSync(path.join(old, "workspace", "AGENTS.md"), "old persona\n");
    fs.writeFileSync(path.join(old, "workspace", "notes", "todo.md"), "old todo\n");
    fs.mkdirSync(path.join(mine, "workspace"));
    fs.writeFileSync(path.join(mine, "workspace", "AGENTS.md"), "my persona\n");
    const env = brainEnv(mine);
    const configFile = path.join(mine, "onebrain.json");
    const original = fs.readFileSync(configFile, "utf8");

    const text = await runCli(["migrate", "--from", old], env);
    assert.equal(text.code, 0, text.stderr);
    assert.ok(!(text.stdout + text.stderr).includes("sk-old-secret-value"), "no secret in the output");
    assert.ok(!(text.stdout + text.stderr).includes("old-token-0123456789"), "no token in the output");
    assert.match(text.stdout, /added gateway\.trustedProxies, models, browser\.profiles\.work\.color/);
    assert.match(text.stdout, /skipped gateway\.port: ports belong to where a brain runs/);
    assert.match(text.stdout, /skipped gateway\.auth: this brain has its own, kept whole \(its keys belong together; --force replaces it\)/);
    assert.match(text.stdout, /skipped logging\.level: this brain has its own value/);
    assert.match(text.stdout, /skipped agents\.defaults\.workspace: points into the old state dir/);
    assert.match(text.stdout, /copied notes\/todo\.md/);
    assert.match(text.stdout, /skipped AGENTS\.md: this workspace has its own/);
    assert.match(
      text.stdout,
      new RegExp(`next: archive the old state dir so that nothing starts it again: mv ${fs.realpathSync(old)} ${fs.realpathSync(old)}\\.archived-\\d{8}`),
    );

    const merged = JSON.parse(fs.readFileSync(configFile, "utf8"));
    assert.equal(merged.models.providers.local.apiKey, "sk-old-secret-value");
    assert.equal(merged.models.primary, "local/llama3.2");
    assert.equal(merged.logging.level, "warn");
    assert.equal(merged.gateway.auth.token, "new-token-0123456789");
    assert.equal(merged.gateway.port, undefined);
    assert.deepEqual(merged.browser.profiles, { work: { color: "red" } });
    assert.equal(merged.agents, undefined);
    assert.equal(fs.statSync(configFile).mode & 0o777, 0o600);
    const kept = fs.readdirSync(mine).find((f) => f.startsWith("onebrain.json.before-migrate-"));
    assert.ok(kept, "the previous config is kept");
    assert.equal(fs.readFileSync(path.join(mine, kept!), "utf8"), original);
    assert.equal(fs.readFileSync(path.join(mine, "workspace", "AGENTS.md"), "utf8"), "my persona\n");
    assert.equal(fs.readFileSync(path.join(mine, "workspace", "notes", "todo.md"), "utf8"), "old todo\n");

    const forced = await migrate(env, "--from", old, "--force");
    assert.deepEqual(forced.config.replaced, ["gateway.auth", "logging.level"]);
    assert.deepEqual(forced.workspace.replaced, ["AGENTS.md"]);
    const after = JSON.parse(fs.readFileSync(configFile, "utf8"));
    assert.equal(after.logging.level, "debug");
    assert.deepEqual(after.gateway.auth, { token: "old-token-0123456789" }, "a unit is replaced whole, not merged key by key");
    assert.equal(after.gateway.port, undefined, "ports are never carried over, even with --force");
  },
);

test("refuses a source that is missing, is this brain, or holds no brain (exit 56), naming it", bounded, async () => {
  const { old, mine, env } = twoBrains();
  const empty = path.join(path.dirname(old), "empty");
  fs.mkdirSync(empty);
  const cases: Array<[string, RegExp]> = [
    [path.join(path.dirname(old), "nowhere"), /no such directory/],
    [mine, /it is this brain's own state dir/],
    [empty, /it holds no brain \(neither brain\.db nor onebrain\.json\)/],
  ];
  for (const [dir, why] of cases) {
    const r = await runCli(["migrate", "--from", dir], env);
    assert.equal(r.code, 56, r.stderr);
    assert.match(r.stderr, new RegExp(`Cannot migrate from ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
    assert.match(r.stderr, why);
    assert.match(r.stderr, /next: /);
  }
  const json = await runCli(["migrate", "--from", empty, "--json"], env);
  assert.equal(JSON.parse(json.stdout).error.code, "MIGRATE_SOURCE_INVALID");
  const missing = await runCli(["migrate"], env);
  assert.equal(missing.code, 2, "--from is required");
});

test("a broken config in the other brain is reported with its own code and changes nothing", bounded, async () => {
  const { old, mine, env } = twoBrains();
  fs.writeFileSync(path.join(old, "onebrain.json"), "{ gateway: { port: 'abc' } }");
  const before = snapshotFiles(mine, ["brain.lock"]);
  const r = await runCli(["migrate", "--from", old], env);
  assert.equal(r.code, 20, r.stderr);
  assert.ok(r.stderr.includes(path.join(fs.realpathSync(old), "onebrain.json")));
  assert.deepEqual(snapshotFiles(mine, ["brain.lock"]), before);
});
