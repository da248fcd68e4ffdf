/**
 * Approvals: exec requests waiting for the operator, live (`approvals.list`, then every `approval`
 * event), each with the exact command, cwd, env names, the session that asked and the time left,
 * and Allow once / Allow always / Deny (`approvals.resolve`). Answered ones move to a short history.
 */
import { useEffect, useState } from "preact/hooks";
import { displayArgv, timeLeft } from "../../../src/approvals/text.ts";
import type { ApprovalAnswer, ApprovalEventPayload, ApprovalView } from "../../../src/protocol/approvals.ts";
import { DASH, ago, time } from "../ui/format.ts";
import { useConnection, useEvent, useLink, useNow, useRequest } from "../ui/hooks.ts";

/** How many answered or expired requests the history keeps. */
const HISTORY = 10;

const ANSWERS: ReadonlyArray<{ decision: ApprovalAnswer; label: string; cls: string }> = [
  { decision: "allow-once", label: "Allow once", cls: "btn-primary" },
  { decision: "allow-always", label: "Allow always", cls: "" },
  { decision: "deny", label: "Deny", cls: "btn-danger" },
];

/** What became of a request, for the history. */
function outcome(a: ApprovalView): string {
  const by = a.decidedBy ? ` by ${a.decidedBy}` : "";
  if (a.state === "allow-once") return `allowed once${by}`;
  if (a.state === "allow-always") return `allowed always${by}`;
  if (a.state === "deny") return `denied${by}`;
  return "expired";
}

/** The facts of a request as label, value and (for the tests) its test id. */
function facts(a: ApprovalView, now: number): Array<[string, string, string | undefined]> {
  return [
    ["cwd", a.cwd, "approval-cwd"],
    ["env", a.envNames.length ? a.envNames.join(", ") : DASH, undefined],
    ["session", a.sessionKey, "approval-session"],
    ["executables", a.executables.length ? a.executables.join(", ") : DASH, undefined],
    ["asked", ago(a.createdAt, now), undefined],
  ];
}

/** One pending request: everything that would run, and the three answers. */
function PendingRow({ a, now, busy, onAnswer }: { a: ApprovalView; now: number; busy: boolean; onAnswer: (a: ApprovalView, d: ApprovalAnswer) => void }) {
  const left = a.expiresAt - now;
  return (
    <div class="card approval" data-testid="approval-row" data-id={a.id} data-state={a.state}>
      <div class="toolbar">
        <span class="mono grow">{a.id}</span>
        <span class={left > 0 ? "muted" : "error-text"} data-testid="approval-time-left">
          {left > 0 ? `expires in ${timeLeft(left)}` : "time is up"}
        </span>
      </div>
      <pre class="code" data-testid="approval-argv">
        {displayArgv(a.argv)}
      </pre>
      <dl class="kv">
        {facts(a, now).map(([label, value, testid]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd class={label === "asked" ? "" : "mono"} data-testid={testid}>
              {value}
            </dd>
          </div>
        ))}
      </dl>
      <div class="row">
        {ANSWERS.map((x) => (
          <button
            key={x.decision}
            type="button"
            class={`btn btn-small ${x.cls}`}
            data-testid={`approval-${x.decision}`}
            disabled={busy}
            onClick={() => onAnswer(a, x.decision)}
          >
            {x.label}
          </button>
        ))}
      </div>
    </div>
  );
}

/** The approvals page. */
export function ApprovalsPage() {
  const conn = useConnection();
  const link = useLink();
  // Re-listed now and then as well: the gateway closes requests nobody waits for when their time is up.
  const list = useRequest<{ approvals: ApprovalView[] }>("approvals.list", { limit: 50 }, 30_000);
  const now = useNow(1000);
  const [byId, setById] = useState<Map<string, ApprovalView>>(new Map());
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const upsert = (a: ApprovalView) => setById((m) => new Map(m).set(a.id, a));

  // The list is the truth after every (re)connect; events keep it live in between.
  useEffect(() => {
    if (list.data) setById(new Map(list.data.approvals.map((a) => [a.id, a])));
  }, [list.data]);
  useEvent("approval", (payload) => upsert((payload as ApprovalEventPayload).approval));

  const answer = async (a: ApprovalView, decision: ApprovalAnswer) => {
    setBusy(a.id);
    try {
      const r = await conn.request<{ approval: ApprovalView }>("approvals.resolve", { id: a.id, decision });
      upsert(r.approval);
      setNote({ text: `${a.id}: ${outcome(r.approval)}.`, error: false });
    } catch (err) {
      setNote({ text: `Could not answer ${a.id}: ${(err as Error).message}`, error: true });
      list.reload();
    } finally {
      setBusy(null);
    }
  };

  const all = [...byId.values()];
  // Most urgent first: the one that expires soonest.
  const pending = all.filter((a) => a.state === "pending").sort((x, y) => x.expiresAt - y.expiresAt);
  const history = all
    .filter((a) => a.state !== "pending")
    .sort((x, y) => (y.decidedAt ?? y.createdAt) - (x.decidedAt ?? x.createdAt))
    .slice(0, HISTORY);
  return (
    <section class="page" data-testid="approvals">
      <div class="toolbar">
        <h2 class="grow">Exec approvals</h2>
        <button type="button" class="btn" onClick={list.reload}>
          Refresh
        </button>
      </div>
      {note && <p class={note.error ? "error-text" : "muted"}>{note.text}</p>}
      {list.error && <p class="error-text">Could not list approvals: {list.error}</p>}
      {!list.data && !list.error && <p class="muted">{link.hello ? "Loading…" : "Not connected."}</p>}
      {list.data && pending.length === 0 && (
        <p class="empty card">Nothing to answer. A command that misses the exec allowlist asks here, in its chat and in `onebrain approvals list`.</p>
      )}
      {pending.map((a) => (
        <PendingRow key={a.id} a={a} now={now} busy={busy !== null} onAnswer={answer} />
      ))}
      {history.length > 0 && (
        <div class="card">
          <h3>Recently answered</h3>
          <table class="table">
            <tbody>
              {history.map((a) => (
                <tr key={a.id} data-testid="approval-history-row" data-id={a.id} data-state={a.state}>
                  <td class="mono">{a.id}</td>
                  <td class="mono">{displayArgv(a.argv)}</td>
                  <td>{outcome(a)}</td>
                  <td class="muted">{a.reason ?? ""}</td>
                  <td title={time(a.decidedAt)}>{a.decidedAt ? ago(a.decidedAt, now) : DASH}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
