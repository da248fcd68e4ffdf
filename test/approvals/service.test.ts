/**
 * The approval service on a real SQLite store: a request is a row before anyone is asked, an
 * answer counts once, nobody answering ends in the configured fallback at the deadline (never a
 * hang), a cancelled run stops waiting, and a run resumed after a restart finds its request again.
 * The clock and timers are moved by hand, so no test waits for a timeout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApprovalAsk, ApprovalDecision, CallOrigin, ToolContext } from "../../src/agent/tools/types.ts";
import { claimExecution } from "../../src/approvals/records.ts";
import { ApprovalService } from "../../src/approvals/service.ts";
import { askText } from "../../src/approvals/text.ts";
import { CODE_ALPHABET } from "../../src/shared/short-code.ts";
import { openStore } from "../../src/store/db.ts";
import type { ApprovalRow } from "../../src/store/rows.ts";
import { brainWithRun, lsAsk, originOf, serviceOn, tick } from "./support.ts";

const row = (store: { prepare(sql: string): any }, id: string): ApprovalRow => store.prepare("SELECT * FROM approvals WHERE id = ?").get(id);

/** Resolves once the service has announced `n` requests (a request is announced right after its row is durable). */
async function announcedCount(rig: { announced: unknown[] }, n: number): Promise<void> {
  for (let i = 0; i < 100 && rig.announced.length < n; i++) await tick();
  assert.equal(rig.announced.length, n, "the request was announced");
}

test("ApprovalService is the tool loop's approvals port: request(ask, origin) and isAllowlisted(exe)", () => {
  const b = brainWithRun();
  const port: { request(ask: ApprovalAsk, origin: CallOrigin): Promise<ApprovalDecision>; isAllowlisted(e: string): boolean } = serviceOn(b.store).service;
  const fromContext: Pick<ToolContext, "isAllowlisted"> = port;
  assert.equal(typeof fromContext.isAllowlisted, "function");
  b.store.close();
});

test("a request is a pending row with a typable id, the exact argv, cwd and env names, announced and broadcast; allow-once wakes the waiter", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store);
  const asked = rig.service.request(lsAsk(), originOf(b));
  await announcedCount(rig, 1);
  const a = rig.announced[0]!;
  assert.match(a.id, new RegExp(`^[${CODE_ALPHABET}]{8}$`));
  const r = row(b.store, a.id);
  assert.equal(r.state, "pending");
  assert.deepEqual(JSON.parse(r.argv), ["/usr/bin/ls", "-la", "my dir"]);
  assert.deepEqual(JSON.parse(r.env_names), ["LANG"]);
  assert.deepEqual([r.run_id, r.call_id, r.cwd, r.peer], [b.runId, "toolu_1", "/home/ada/workspace", "501"]);
  assert.equal(r.expires_at - r.created_at, 120_000);
  assert.deepEqual(
    rig.events.map((e) => [e.state, e.approval.id]),
    [["requested", a.id]],
  );
  assert.equal(
    askText(a, r.created_at),
    `Approval needed (${a.id}): run \`/usr/bin/ls -la 'my dir'\` in \`/home/ada/workspace\` with LANG set? Reply /approve ${a.id} allow-once | allow-always | deny — it expires in 2 min.`,
  );

  const view = rig.service.decide(a.id.toLowerCase(), "allow-once", "onebrain-console");
  assert.equal(view.state, "allow-once");
  assert.deepEqual(await asked, { decision: "allow-once", approvalId: a.id, by: "onebrain-console" });
  assert.equal(rig.timers.armed.size, 0, "the deadline timer is gone once answered");
  assert.deepEqual(
    rig.events.map((e) => e.state),
    ["requested", "decided"],
  );
  assert.equal(row(b.store, a.id).decided_by, "onebrain-console");
  b.store.close();
});

test("nobody answering ends at the deadline with askFallback deny, recorded in the row", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store, { askTimeoutSeconds: 30 });
  const asked = rig.service.request(lsAsk(), originOf(b));
  await announcedCount(rig, 1);
  const id = rig.announced[0]!.id;
  assert.deepEqual(
    [...rig.timers.armed.values()].map((t) => t.ms),
    [30_000],
  );
  rig.clock.now += 30_000;
  rig.timers.fireAll();
  assert.deepEqual(await asked, { decision: "deny", approvalId: id, by: "askFallback", reason: "nobody answered within 30 s (askFallback deny)" });
  const r = row(b.store, id);
  assert.deepEqual([r.state, r.decided_by, r.reason], ["expired", "askFallback", "nobody answered within 30 s (askFallback deny)"]);
  assert.equal(rig.events.at(-1)?.state, "expired");
  await assert.rejects(async () => rig.service.decide(id, "allow-once", "late"), { code: "APPROVAL_CLOSED" });
  b.store.close();
});

test("a timer that fires before the clock reaches the deadline waits for the rest", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store, { askTimeoutSeconds: 30 });
  const asked = rig.service.request(lsAsk(), originOf(b));
  await announcedCount(rig, 1);
  rig.clock.now += 29_000;
  rig.timers.fireAll();
  assert.deepEqual(
    [...rig.timers.armed.values()].map((t) => t.ms),
    [1000],
  );
  assert.equal(row(b.store, rig.announced[0]!.id).state, "pending");
  rig.clock.now += 1000;
  rig.timers.fireAll();
  assert.equal((await asked).decision, "deny");
  b.store.close();
});

test("askFallback allowlist allows once only when every executable is on the allowlist (config or an allow-always answer)", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store, { askFallback: "allowlist", askTimeoutSeconds: 10, allowlist: ["/usr/bin/ls"] });
  const listed = rig.service.request(lsAsk(), originOf(b, "c1"));
  const unlisted = rig.service.request(lsAsk({ argv: ["/usr/bin/rm", "x"], executables: ["/usr/bin/ls", "/usr/bin/rm"] }), originOf(b, "c2"));
  const nothing = rig.service.request(lsAsk({ executables: [] }), originOf(b, "c3"));
  await announcedCount(rig, 3);
  rig.clock.now += 10_000;
  rig.timers.fireAll();
  const [a, c, d] = rig.announced.map((x) => x.id);
  assert.deepEqual(await listed, { decision: "allow-once", approvalId: a, by: "askFallback" });
  assert.deepEqual(await unlisted, {
    decision: "deny",
    approvalId: c,
    by: "askFallback",
    reason: "nobody answered within 10 s (askFallback allowlist: /usr/bin/rm is not on the allowlist)",
  });
  assert.equal((await nothing).decision, "deny", "a request naming no executable is never allowed by the allowlist fallback");
  assert.deepEqual([row(b.store, a!).state, row(b.store, a!).decided_by], ["allow-once", "askFallback"]);
  assert.equal(row(b.store, c!).state, "expired");
  assert.equal(row(b.store, d!).state, "expired");
  b.store.close();
});

test("allow-always puts every executable on the allowlist; a later request's fallback then allows it", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store, { askFallback: "allowlist" });
  const first = rig.service.request(lsAsk({ executables: ["/opt/tools/deploy", "/usr/bin/ls"] }), originOf(b, "c1"));
  await announcedCount(rig, 1);
  assert.equal(rig.service.isAllowlisted("/opt/tools/deploy"), false);
  rig.service.decide(rig.announced[0]!.id, "allow-always", "telegram:501");
  assert.equal((await first).decision, "allow-always");
  assert.equal(rig.service.isAllowlisted("/opt/tools/deploy"), true);
  assert.equal(rig.service.isAllowlisted("/opt/tools/deploy2"), false);
  assert.deepEqual(
    b.store
      .prepare("SELECT executable, added_by, approval_id FROM exec_allowlist ORDER BY executable")
      .all()
      .map((r) => ({ ...r })),
    [
      { executable: "/opt/tools/deploy", added_by: "telegram:501", approval_id: rig.announced[0]!.id },
      { executable: "/usr/bin/ls", added_by: "telegram:501", approval_id: rig.announced[0]!.id },
    ],
  );
  const second = rig.service.request(lsAsk({ executables: ["/opt/tools/deploy"] }), originOf(b, "c2"));
  await announcedCount(rig, 2);
  rig.clock.now += 120_000;
  rig.timers.fireAll();
  assert.equal((await second).decision, "allow-once");
  b.store.close();
});

test("an answer counts once: a second one is APPROVAL_CLOSED naming the first, an unknown id APPROVAL_NOT_FOUND", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store);
  const asked = rig.service.request(lsAsk(), originOf(b));
  await announcedCount(rig, 1);
  const id = rig.announced[0]!.id;
  rig.service.decide(id, "deny", "onebrain-cli", "not today");
  assert.deepEqual(await asked, { decision: "deny", approvalId: id, by: "onebrain-cli", reason: "not today" });
  assert.throws(
    () => rig.service.decide(id, "allow-once", "onebrain-console"),
    (err: any) => {
      assert.equal(err.code, "APPROVAL_CLOSED");
      assert.match(err.message, new RegExp(`approval ${id} was already answered: deny by onebrain-cli at `));
      return true;
    },
  );
  assert.equal(row(b.store, id).state, "deny", "the refused answer changed nothing");
  assert.throws(() => rig.service.decide("ZZZZ2222", "deny", "x"), { code: "APPROVAL_NOT_FOUND", message: "no approval with id ZZZZ2222" });
  b.store.close();
});

test("a cancelled run stops waiting at once (deny, run cancelled) and its request is closed", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store);
  const abort = new AbortController();
  const asked = rig.service.request(lsAsk(), originOf(b), abort.signal);
  await announcedCount(rig, 1);
  abort.abort(new Error("aborted"));
  const d = await asked;
  assert.deepEqual(d, { decision: "deny", approvalId: rig.announced[0]!.id, by: "gateway", reason: "run cancelled" });
  assert.deepEqual([row(b.store, d.approvalId).state, row(b.store, d.approvalId).reason], ["expired", "run cancelled"]);
  assert.equal(rig.timers.armed.size, 0);
  assert.equal(rig.events.at(-1)?.state, "expired");
  // Already cancelled before asking: no wait at all.
  const again = await rig.service.request(lsAsk(), originOf(b, "c2"), AbortSignal.abort());
  assert.equal(again.decision, "deny");
  b.store.close();
});

test("while the gateway stops, a cancelled run leaves its request pending; stop() ends every wait and clears every timer", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store);
  const abort = new AbortController();
  const cancelled = rig.service.request(lsAsk(), originOf(b, "c1"), abort.signal);
  const unsignalled = rig.service.request(lsAsk(), originOf(b, "c2"));
  await announcedCount(rig, 2);
  rig.service.beginStop();
  abort.abort(new Error("gateway stopping"));
  assert.equal((await cancelled).decision, "deny");
  assert.equal(row(b.store, rig.announced[0]!.id).state, "pending", "the resumed run asks again");
  rig.service.stop();
  assert.equal((await unsignalled).decision, "deny");
  assert.equal(row(b.store, rig.announced[1]!.id).state, "pending");
  assert.equal(rig.timers.armed.size, 0, "no timer outlives stop()");
  b.store.close();
});

test("after a restart, a resumed run gets its request back: pending waits for the rest, answered resolves at once, used or expired never allows", async () => {
  const b = brainWithRun();
  const before = serviceOn(b.store, { askTimeoutSeconds: 60 });
  void before.service.request(lsAsk(), originOf(b, "pending"));
  void before.service.request(lsAsk(), originOf(b, "allowed"));
  void before.service.request(lsAsk(), originOf(b, "used"));
  void before.service.request(lsAsk(), originOf(b, "denied"));
  void before.service.request(lsAsk(), originOf(b, "late"));
  await announcedCount(before, 5);
  const [pending, allowed, used, denied, late] = before.announced.map((a) => a.id);
  before.service.decide(allowed!, "allow-once", "onebrain-cli");
  before.service.decide(used!, "allow-once", "onebrain-cli");
  assert.equal(claimExecution(b.store, used!, Date.now()), true);
  assert.equal(claimExecution(b.store, used!, Date.now()), false, "one approval, one execution");
  before.service.decide(denied!, "deny", "onebrain-cli");
  b.store.close(); // the crash: the old service's waiters and timers die with the process

  const store = openStore(b.file);
  const after = serviceOn(store, { askTimeoutSeconds: 60 });
  after.clock.now = before.clock.now + 20_000;
  assert.deepEqual(after.service.start(), { closed: 0 }, "requests of a run that is still going stay pending");
  const again = after.service.request(lsAsk(), originOf(b, "pending"));
  await tick();
  assert.equal(store.prepare("SELECT count(*) AS n FROM approvals").get()!.n, 5, "no second row for the same call");
  assert.deepEqual(
    [...after.timers.armed.values()].map((t) => t.ms),
    [40_000],
    "waits only for what is left",
  );
  assert.deepEqual(
    after.announced.map((a) => a.id),
    [pending],
    "announced again (the chat post is idempotent by id)",
  );
  assert.deepEqual(await after.service.request(lsAsk(), originOf(b, "allowed")), { decision: "allow-once", approvalId: allowed, by: "onebrain-cli" });
  const usedAgain = await after.service.request(lsAsk(), originOf(b, "used"));
  assert.equal(usedAgain.decision, "deny");
  assert.match((usedAgain as { reason: string }).reason, /was already used: its command started at/);
  assert.equal((await after.service.request(lsAsk(), originOf(b, "denied"))).decision, "deny");
  after.clock.now = before.clock.now + 61_000;
  const expired = await after.service.request(lsAsk(), originOf(b, "late"));
  assert.deepEqual(expired, { decision: "deny", approvalId: late, by: "askFallback", reason: "nobody answered within 60 s (askFallback deny)" });
  after.timers.fireAll();
  assert.equal((await again).decision, "deny");
  store.close();
});

test("at start, a pending request whose run ended is closed; one whose time is up gets its fallback", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store);
  void rig.service.request(lsAsk(), originOf(b, "orphan"));
  void rig.service.request(lsAsk(), originOf(b, "late"));
  await announcedCount(rig, 2);
  const [orphan, late] = rig.announced.map((a) => a.id);
  b.store.prepare("UPDATE approvals SET expires_at = created_at WHERE id = ?").run(late!);
  b.store.prepare("UPDATE runs SET state = 'interrupted' WHERE id = ?").run(b.runId);
  b.store.close();
  const store = openStore(b.file);
  const next = serviceOn(store);
  assert.deepEqual(next.service.start(), { closed: 2 });
  assert.deepEqual(
    [row(store, orphan!).state, row(store, orphan!).decided_by, row(store, orphan!).reason],
    ["expired", "gateway", "its run ended before anyone answered"],
  );
  assert.deepEqual([row(store, late!).state, row(store, late!).decided_by], ["expired", "askFallback"]);
  assert.deepEqual(next.service.pending(), []);
  store.close();
});

test("answering inside another transaction wakes nobody until settle, so the waiter acts only on a durable answer", async () => {
  const b = brainWithRun();
  const rig = serviceOn(b.store);
  let settled: ApprovalDecision | null = null;
  const asked = rig.service.request(lsAsk(), originOf(b)).then((d) => (settled = d));
  await announcedCount(rig, 1);
  const r = b.store.transaction(() => rig.service.answerWithin(rig.announced[0]!.id, "allow-once", "telegram:501"));
  assert.ok(r.ok);
  await tick();
  assert.equal(settled, null, "not woken before settle");
  r.settle();
  await asked;
  assert.equal(settled!.decision, "allow-once");
  const refused = rig.service.answerWithin(rig.announced[0]!.id, "deny", "x");
  assert.equal(refused.ok, false);
  b.store.close();
});

test("the real timer of a pending request does not keep the process alive, and stop() clears it", async () => {
  const b = brainWithRun();
  const service = new ApprovalService({ store: b.store, config: () => ({ askFallback: "deny", askTimeoutSeconds: 86_400, allowlist: [] }) });
  const asked = service.request(lsAsk(), originOf(b));
  await tick();
  service.stop();
  assert.equal((await asked).decision, "deny");
  assert.equal(service.pending().length, 1, "the request stays pending for the run that resumes");
  b.store.close();
});
