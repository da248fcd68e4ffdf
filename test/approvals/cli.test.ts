/**
 * `onebrain approvals list|allow|deny` as real processes: through the running gateway over RPC
 * (the pending requests were left in brain.db by a previous process, as a restart leaves them),
 * and on the store under the brain lock when no gateway runs. Refusals carry their own exit codes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { errorCatalog } from "../../src/shared/errors.ts";
import { brainEnv, runCli, startGateway } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { approvalRow, brainWithPendingApprovals } from "./support.ts";

const EXIT_NOT_FOUND = errorCatalog.APPROVAL_NOT_FOUND.exitCode;
const EXIT_CLOSED = errorCatalog.APPROVAL_CLOSED.exitCode;

const allowlisted = (stateDir: string): string[] => {
  const db = new DatabaseSync(path.join(stateDir, "brain.db"), { readOnly: true });
  try {
    return db
      .prepare("SELECT executable FROM exec_allowlist ORDER BY executable")
      .all()
      .map((r) => String(r.executable));
  } finally {
    db.close();
  }
};

test("without a gateway, approvals list, allow and deny work on the store; unknown and answered ids have their exit codes", bounded, async () => {
  const { stateDir, ids } = brainWithPendingApprovals();
  const env = brainEnv(stateDir);
  const text = await runCli(["approvals", "list"], env);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^approvals: 2 pending \(from the store; the gateway is not running\)/);
  assert.match(text.stdout, new RegExp(`${ids[0]}  pending  expires in \\S+.*asked by agent:main:webchat:default:dm:agent:main:main`));
  assert.match(text.stdout, /run {2}\/usr\/bin\/ls -la 'my dir'\n\s+in {3}\/home\/ada\/workspace {3}env LANG/);
  assert.match(text.stdout, /next: onebrain approvals allow [A-Z0-9]{8} \(add --always/);

  const allow = await runCli(["approvals", "allow", ids[0].toLowerCase()], env);
  assert.equal(allow.code, 0, allow.stderr);
  assert.match(allow.stdout, new RegExp(`approvals: ${ids[0]} allowed once: /usr/bin/ls -la 'my dir'\\n  the run finds this answer when the gateway starts`));
  assert.deepEqual(approvalRow(stateDir, ids[0]), { state: "allow-once", decided_by: "onebrain-cli", reason: null });

  const again = await runCli(["approvals", "deny", ids[0]], env);
  assert.equal(again.code, EXIT_CLOSED);
  assert.match(again.stderr, new RegExp(`onebrain: approval ${ids[0]} was already answered: allow-once by onebrain-cli at `));
  const unknown = await runCli(["approvals", "allow", "ZZZZ2222", "--json"], env);
  assert.equal(unknown.code, EXIT_NOT_FOUND);
  assert.equal(JSON.parse(unknown.stdout).error.code, "APPROVAL_NOT_FOUND");

  const deny = await runCli(["approvals", "deny", ids[1], "--reason", "not in build dirs", "--json"], env);
  assert.equal(deny.code, 0, deny.stderr);
  const d = JSON.parse(deny.stdout);
  assert.deepEqual([d.via, d.approval.state, d.approval.reason, d.approval.argv], ["store", "deny", "not in build dirs", ["/usr/bin/rm", "-rf", "build"]]);
  const all = JSON.parse((await runCli(["approvals", "list", "--all", "--json"], env)).stdout);
  assert.deepEqual(
    all.approvals.map((a: any) => [a.id, a.state]),
    [
      [ids[1], "deny"],
      [ids[0], "allow-once"],
    ],
  );
  assert.deepEqual(JSON.parse((await runCli(["approvals", "list", "--json"], env)).stdout).approvals, []);
});

test(
  "with a gateway running, approvals go through it: the pending requests a restart left are listed and answered, and clients get the approval event",
  bounded,
  async () => {
    const { stateDir, ids } = brainWithPendingApprovals();
    const gw = track(await startGateway({ stateDir, env: { TELEGRAM_BOT_TOKEN: undefined } }));
    try {
      const conn = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, timeoutMs: 5000 });
      try {
        const list = await runCli(["approvals", "list", "--json"], gw.env);
        assert.equal(list.code, 0, list.stderr);
        const l = JSON.parse(list.stdout);
        assert.equal(l.via, "gateway");
        assert.deepEqual(
          l.approvals.map((a: any) => [a.id, a.state, a.cwd, a.envNames]),
          [
            [ids[1], "pending", "/home/ada/workspace", []],
            [ids[0], "pending", "/home/ada/workspace", ["LANG"]],
          ],
        );

        const always = await runCli(["approvals", "allow", ids[1], "--always", "--json"], gw.env);
        assert.equal(always.code, 0, always.stderr);
        assert.deepEqual([JSON.parse(always.stdout).via, JSON.parse(always.stdout).approval.state], ["gateway", "allow-always"]);
        assert.deepEqual(approvalRow(stateDir, ids[1]), { state: "allow-always", decided_by: "onebrain-cli", reason: null });
        assert.deepEqual(allowlisted(stateDir), ["/usr/bin/rm"], "allow-always put the executable on the allowlist");
        const event = conn.events.find((e) => e.event === "approval");
        assert.ok(event, "connected clients got the approval event");
        assert.deepEqual([(event.payload as any).state, (event.payload as any).approval.id], ["decided", ids[1]]);

        const deny = await runCli(["approvals", "deny", ids[0], "--reason", "too risky"], gw.env);
        assert.equal(deny.code, 0, deny.stderr);
        assert.match(
          deny.stdout,
          new RegExp(`approvals: ${ids[0]} denied: /usr/bin/ls -la 'my dir' will not run\\n  the running gateway told the waiting run`),
        );
        assert.deepEqual(approvalRow(stateDir, ids[0]), { state: "deny", decided_by: "onebrain-cli", reason: "too risky" });

        const again = await runCli(["approvals", "allow", ids[0]], gw.env);
        assert.equal(again.code, EXIT_CLOSED, again.stderr);
        assert.match(again.stderr, /already answered: deny by onebrain-cli/);
        const unknown = await runCli(["approvals", "deny", "ZZZZ2222"], gw.env);
        assert.equal(unknown.code, EXIT_NOT_FOUND, unknown.stderr);
        assert.match(unknown.stderr, /onebrain: no approval with id ZZZZ2222\n {2}next: `onebrain approvals list --all` shows the ids/);

        await assert.rejects(conn.request("approvals.resolve", { id: "ZZZZ2222", decision: "deny" }), (err: any) => {
          assert.equal(err.details.wireCode, "INVALID_REQUEST");
          assert.equal(err.details.wire.code, "APPROVAL_NOT_FOUND");
          return true;
        });
        await assert.rejects(conn.request("approvals.resolve", { id: ids[0], decision: "maybe" }), (err: any) => err.details.wireCode === "INVALID_REQUEST");
        const history = await conn.request<{ approvals: Array<{ state: string }> }>("approvals.list", { limit: 10 });
        assert.deepEqual(
          history.approvals.map((a) => a.state),
          ["allow-always", "deny"],
        );
      } finally {
        await conn.close();
      }
    } finally {
      await gw.stop();
      reapAll();
    }
  },
);
