/**
 * The approval suite end to end: a real gateway, its real tool loop and exec tool, a fake model
 * that asks for commands, a WebChat client, and the CLI as a real process. An approved command
 * runs exactly once (it appends a line to a file: the line count is the proof), a denied or
 * unanswered one never, and the model is told which. Answers come from the CLI or from the chat
 * itself; nobody answering gets askFallback in time; allow-always stops the asking; a request
 * outlives a kill -9 of the gateway; every bypass of the oc#61509 family is refused at the gateway.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { errorCatalog } from "../../src/shared/errors.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { runCli, spawnCli, type RunningGateway } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { ChatClient, flowGateway, lastUserText, linesOf, query, toolResults } from "./flow-rig.ts";

const token = "tok_flow_approvals_".padEnd(40, "f");
const fake = new FakeModelServer();
/** The gateway most tests share: echo is allowlisted, anything else is asked about (tee, touch). */
let gw: RunningGateway;
let chat: ChatClient;

before(async () => {
  await fake.start();
  gw = await flowGateway(fake, { allowlist: ["echo"], ask: "on-miss" }, { gateway: { auth: { token } } });
  chat = await ChatClient.open(gw.port, token);
});

after(async () => {
  await chat?.close();
  await gw?.stop();
  await fake.close();
  reapAll();
});

/** What the model was sent after the exec call of message `text`: the tool results. */
const resultsSentFor = (text: string): string[] => fake.requests.filter((r) => lastUserText(r) === text).flatMap(toolResults);

const cliJson = async (...args: string[]) => {
  const r = await runCli([...args, "--json"], gw.env);
  return { code: r.code, body: JSON.parse(r.stdout), stderr: r.stderr };
};

test("from the CLI: the request is listed, allow runs the command once, the model gets its result, and a second allow is refused", bounded, async () => {
  const text = "run echo approved | tee -a cli-allow.log";
  await chat.send("flow:cli-allow", text);
  const asked = await chat.asked("flow:cli-allow");

  const list = await cliJson("approvals", "list");
  assert.equal(list.code, 0, list.stderr);
  const listed = list.body.approvals.find((a: { id: string }) => a.id === asked.id);
  assert.equal(listed.state, "pending");
  assert.equal(listed.command, "echo approved | tee -a cli-allow.log");
  assert.deepEqual(listed.argv, ["/bin/sh", "-c", "'/usr/bin/echo' 'approved' | '/usr/bin/tee' '-a' 'cli-allow.log'"]);
  assert.equal(listed.cwd, `${gw.stateDir}/workspace`);
  assert.match(listed.executables.join(), /\/tee$/, "only tee missed the allowlist");
  assert.equal(linesOf(gw, "cli-allow.log"), null, "nothing ran while it waited");

  // Every authenticated client is the operator; one without the token never gets to answer.
  await assert.rejects(connectGateway({ url: `ws://127.0.0.1:${gw.port}`, token: "tok_wrong".padEnd(40, "x"), timeoutMs: 5000 }), { code: "AUTH_FAILED" });
  assert.deepEqual(query(gw, "SELECT state FROM approvals WHERE id = ?", asked.id), [{ state: "pending" }]);

  const allow = await cliJson("approvals", "allow", asked.id);
  assert.equal(allow.code, 0, allow.stderr);
  assert.deepEqual([allow.body.via, allow.body.approval.state], ["gateway", "allow-once"]);
  assert.match(await chat.final("flow:cli-allow"), /^done: exit code 0 after [\d.]+ s; stdout and stderr interleaved:\napproved\n$/);
  assert.deepEqual(linesOf(gw, "cli-allow.log"), ["approved"], "the command ran exactly once");
  assert.equal(resultsSentFor(text).length, 1, "the model's next request carried the tool result");
  assert.match(resultsSentFor(text)[0]!, /^exit code 0/);

  const again = await cliJson("approvals", "allow", asked.id);
  assert.equal(again.code, errorCatalog.APPROVAL_CLOSED.exitCode);
  assert.equal(again.body.error.code, "APPROVAL_CLOSED");
  assert.match(again.body.error.message, new RegExp(`approval ${asked.id} was already answered: allow-once by onebrain-cli`));
  assert.deepEqual(linesOf(gw, "cli-allow.log"), ["approved"], "still once");
  const [row] = query(gw, "SELECT state, decided_by, executed_at FROM approvals WHERE id = ?", asked.id);
  assert.deepEqual([row!.state, row!.decided_by, typeof row!.executed_at], ["allow-once", "onebrain-cli", "number"]);
});

test("from the CLI: deny tells the model EXEC_DENIED with the reason, and the command never runs", bounded, async () => {
  const text = "run echo denied | tee -a cli-deny.log";
  await chat.send("flow:cli-deny", text);
  const asked = await chat.asked("flow:cli-deny");
  const deny = await cliJson("approvals", "deny", asked.id, "--reason", "not on my machine");
  assert.equal(deny.code, 0, deny.stderr);
  const reply = await chat.final("flow:cli-deny");
  assert.match(
    reply,
    new RegExp(
      `^done: EXEC_DENIED: approval ${asked.id} was denied by onebrain-cli: not on my machine \\(not on the allowlist: /\\S+/tee\\)\\. The command did not run\\.$`,
    ),
  );
  assert.match(resultsSentFor(text)[0]!, /^EXEC_DENIED: .*not on my machine/);
  assert.equal(linesOf(gw, "cli-deny.log"), null, "the marker never appears");
});

test("from the chat: the request shows in the conversation, /approve ID allow-once in the same session runs it once", bounded, async () => {
  const session = "flow:chat";
  const text = "run echo chat | tee -a chat.log";
  await chat.send(session, text);
  const asked = await chat.asked(session);
  const history = await chat.history(session);
  const line = history.messages.find((m) => m.role === "notice" && m.content.startsWith(`Approval needed (${asked.id})`));
  assert.ok(line, "the request is posted into the chat");
  assert.match(line.content, new RegExp(`Reply /approve ${asked.id} allow-once \\| allow-always \\| deny`));

  await chat.send(session, "/approve ZZZZ2222 allow-once");
  assert.equal(await chat.notice(session), "There is no approval ZZZZ2222: check the ID in the request (8 characters).");
  await chat.send(session, `/approve ${asked.id.toLowerCase()} maybe`);
  assert.match(await chat.notice(session, 2), /^"maybe" is not an answer: reply \/approve \S+ followed by allow-once, allow-always or deny\.$/);
  assert.deepEqual(query(gw, "SELECT state FROM approvals WHERE id = ?", asked.id), [{ state: "pending" }], "a wrong /approve changes nothing");
  assert.equal(linesOf(gw, "chat.log"), null);

  await chat.send(session, `/approve ${asked.id} allow-once`);
  assert.equal(await chat.notice(session, 3), `Allowed once (${asked.id}): \`/bin/sh -c "'/usr/bin/echo' 'chat' | '/usr/bin/tee' '-a' 'chat.log'"\` runs now.`);
  assert.match(await chat.final(session), /^done: exit code 0 .*\nchat\n$/s);
  assert.deepEqual(linesOf(gw, "chat.log"), ["chat"], "the command ran exactly once");
  assert.equal(query(gw, "SELECT decided_by FROM approvals WHERE id = ?", asked.id)[0]!.decided_by, "webchat:flow-tab");

  // The /approve lines were answered at ingest: never a run, never shown to the model.
  const sent = JSON.stringify(fake.requests.map((r) => r.body.messages));
  assert.ok(!sent.includes("/approve"), "the model never saw /approve");
  assert.deepEqual(query(gw, "SELECT count(*) AS n FROM runs r JOIN inbound i ON i.id = r.inbound_id WHERE i.text LIKE '/approve%'"), [{ n: 0 }]);
  const after = (await chat.history(session)).messages;
  assert.deepEqual(
    after.filter((m) => m.role === "user").map((m) => m.content),
    [text],
  );
  assert.equal(after.filter((m) => m.role === "notice").length, 4, "the request and the three answers are notices in the transcript");
});

test("/approve with an unknown id in a quiet chat gets a notice and never becomes a run", bounded, async () => {
  const before = fake.requests.length;
  await chat.send("flow:quiet", "/approve ABCD2345 deny");
  assert.equal(await chat.notice("flow:quiet"), "There is no approval ABCD2345: check the ID in the request (8 characters).");
  assert.equal(fake.requests.length, before, "no model call");
  assert.deepEqual(chat.chat("flow:quiet", "final"), []);
});

test("allow-always: after `approvals allow ID --always`, the same command in a later message runs without asking", bounded, async () => {
  // The last test on the shared gateway: from here on tee is on its allowlist.
  const session = "flow:always";
  const text = "run echo always | tee -a always.log";
  await chat.send(session, text);
  const asked = await chat.asked(session);
  const always = await cliJson("approvals", "allow", asked.id, "--always");
  assert.equal(always.code, 0, always.stderr);
  assert.equal(always.body.approval.state, "allow-always");
  assert.match(await chat.final(session), /^done: exit code 0/);
  await chat.send(session, text);
  assert.match(await chat.final(session, 2), /^done: exit code 0/);
  assert.deepEqual(linesOf(gw, "always.log"), ["always", "always"], "each message ran it once");
  assert.deepEqual(
    chat.approvals(session).map((p) => p.state),
    ["requested", "decided"],
    "the second message asked nobody",
  );
  assert.deepEqual(query(gw, "SELECT count(*) AS n FROM approvals WHERE session_key = ?", `agent:main:${session}`), [{ n: 1 }]);
});

test("a request pending when the gateway is killed is the same request after the restart; allowing it then runs the command once", bounded, async () => {
  const first = await flowGateway(fake, { allowlist: ["echo"] });
  const before = await ChatClient.open(first.port);
  await before.send("flow:restart", "run echo restarted | tee -a restart.log");
  const asked = await before.asked("flow:restart");
  await before.close();
  first.kill("SIGKILL");
  await first.exited;
  const second = track(spawnCli(["gateway", "--port", String(first.port)], first.env));
  try {
    await second.waitFor("gateway listening", 15_000);
    const c = await ChatClient.open(first.port);
    try {
      const list = (await runCli(["approvals", "list", "--json"], first.env)).stdout;
      assert.deepEqual(
        JSON.parse(list).approvals.map((a: { id: string; state: string }) => [a.id, a.state]),
        [[asked.id, "pending"]],
        "the resumed run asked again and got its request back, not a new one",
      );
      const allow = await runCli(["approvals", "allow", asked.id], first.env);
      assert.equal(allow.code, 0, allow.stderr);
      assert.match(await c.final("flow:restart"), /^done: exit code 0 .*\nrestarted\n$/s);
      assert.deepEqual(linesOf(first, "restart.log"), ["restarted"], "once");
    } finally {
      await c.close();
    }
  } finally {
    second.kill("SIGTERM");
    await second.exited;
  }
});

test("nobody answers: askFallback applies at askTimeoutSeconds (deny, or allowlist for allowlisted programs) and no run hangs", bounded, async () => {
  const deny = await flowGateway(fake, { allowlist: ["echo"], askTimeoutSeconds: 5, askFallback: "deny" });
  const allowlist = await flowGateway(fake, { allowlist: ["echo", "tee"], ask: "always", askTimeoutSeconds: 5, askFallback: "allowlist" });
  const [a, b] = await Promise.all([ChatClient.open(deny.port), ChatClient.open(allowlist.port)]);
  try {
    const started = Date.now();
    await a.send("flow:t-deny", "run echo late | tee -a late.log");
    await b.send("flow:t-allow", "run echo late | tee -a late.log");
    await b.send("flow:t-miss", "run echo miss | tee -a miss.log; touch missed");
    const [denied, allowed, missed] = await Promise.all([a.final("flow:t-deny"), b.final("flow:t-allow"), b.final("flow:t-miss")]);
    assert.ok(Date.now() - started < 15_000, "every run ended well before 15 s");

    assert.match(denied, /^done: EXEC_DENIED: approval \S+ was denied by askFallback: nobody answered within 5 s \(askFallback deny\)/);
    assert.equal(linesOf(deny, "late.log"), null);
    assert.deepEqual(
      a.approvals("flow:t-deny").map((p) => [p.state, p.approval.state, p.approval.decidedBy]),
      [
        ["requested", "pending", null],
        ["expired", "expired", "askFallback"],
      ],
    );

    assert.match(allowed, /^done: exit code 0 .*\nlate\n$/s, "every program allowlisted: it ran after the timeout");
    assert.deepEqual(linesOf(allowlist, "late.log"), ["late"], "once");
    const [row] = query(allowlist, "SELECT state, decided_by, reason FROM approvals WHERE session_key = 'agent:main:flow:t-allow'");
    assert.deepEqual([row!.state, row!.decided_by], ["allow-once", "askFallback"]);
    assert.match(String(row!.reason), /nobody answered within 5 s; askFallback allowlist/);

    assert.match(missed, /^done: EXEC_DENIED: .*askFallback allowlist: \/\S+\/touch is not on the allowlist/);
    assert.equal(linesOf(allowlist, "missed"), null);
    assert.equal(linesOf(allowlist, "miss.log"), null);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await Promise.all([deny.stop(), allowlist.stop()]);
  }
});

/** The oc#61509 family through the real gateway: each tries to start touch past an allowlist of echo. */
const BYPASSES = ["echo hi; touch X", "sh -c 'touch X'", "echo $(touch X)", "echo hi\ntouch X", "env touch X", "echo X | xargs touch", "echo hi && `touch X`"];

test("with ask off, every bypass of the oc#61509 family reaches the model as EXEC_DENIED and touch never runs", bounded, async () => {
  const off = await flowGateway(fake, { allowlist: ["echo"], ask: "off" });
  const c = await ChatClient.open(off.port);
  try {
    for (const [i, command] of BYPASSES.entries()) await c.send(`flow:bypass-${i}`, `run ${command}`);
    for (const [i, command] of BYPASSES.entries()) {
      const reply = await c.final(`flow:bypass-${i}`);
      assert.match(reply, /^done: EXEC_DENIED: /, `${JSON.stringify(command)}: ${reply}`);
    }
    assert.equal(linesOf(off, "X"), null, "the marker was never created");
    assert.deepEqual(query(off, "SELECT count(*) AS n FROM approvals"), [{ n: 0 }], "nobody was asked");
  } finally {
    await c.close();
    await off.stop();
  }
});
