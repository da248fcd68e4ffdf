/**
 * The cron page: the brain's jobs with their schedule, next occurrence, last outcome and
 * delivery; Run now, Pause/Resume and Remove; a job's history (every occurrence: delivered, done,
 * failed, missed spans, unknown) when it is selected. Jobs are added from the CLI or by the agent
 * (docs/cron.md); this page shows what the brain will do and what it did.
 */
import { useState } from "preact/hooks";
import type { CronJobSummary, CronOccurrenceView } from "../../../src/protocol/cron.ts";
import { DASH, ago, time } from "../ui/format.ts";
import { useConnection, useNow, useRequest } from "../ui/hooks.ts";

type Occurrence = CronOccurrenceView;
type Job = CronJobSummary;

function until(at: number | null, now: number): string {
  if (at === null) return DASH;
  const s = Math.round((at - now) / 1000);
  return s <= 0 ? "now" : s < 90 ? `in ${s} s` : s < 5400 ? `in ${Math.round(s / 60)} min` : `in ${Math.round(s / 3600)} h`;
}

const stateClass = (s: Occurrence["state"]) => (s === "failed" || s === "unknown" ? "error-text" : s === "missed" ? "warn-text" : "");

/** A job's occurrences, newest first. */
function History({ job }: { job: Job }) {
  const runs = useRequest<{ runs: Occurrence[] }>("cron.runs", { job: job.id, limit: 50 }, 5000);
  const now = useNow(5000);
  return (
    <div class="card" data-testid="cron-history">
      <h2>History of {job.name}</h2>
      <p class="muted">{job.message}</p>
      {runs.error && <p class="error-text">Could not read the history: {runs.error}</p>}
      {runs.data && runs.data.runs.length === 0 && <p class="empty">No occurrence yet.</p>}
      {runs.data && runs.data.runs.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th>Scheduled</th>
              <th>State</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.runs.map((r) => (
              <tr key={r.id} data-testid="cron-run" data-state={r.state}>
                <td title={time(r.scheduledFor)}>
                  {ago(r.scheduledFor, now)}
                  {r.count > 1 ? ` (${r.count} occurrences, to ${time(r.lastFor ?? r.scheduledFor)})` : ""}
                  {r.manual ? " (by hand)" : ""}
                </td>
                <td class={stateClass(r.state)}>{r.state}</td>
                <td>{r.note ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The page. */
export function CronPage() {
  const conn = useConnection();
  const list = useRequest<{ jobs: Job[] }>("cron.list", {}, 5000);
  const now = useNow(1000);
  const [selected, setSelected] = useState<string | null>(null);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const act = async (method: string, job: Job, said: string) => {
    try {
      await conn.request(method, { job: job.id });
      setNote({ text: `${said} ${job.name}.`, error: false });
    } catch (err) {
      setNote({ text: `${job.name}: ${(err as Error).message}`, error: true });
    } finally {
      list.reload();
    }
  };
  const jobs = list.data?.jobs ?? [];
  const shown = jobs.find((j) => j.id === selected);
  return (
    <section class="page" data-testid="cron-page">
      <div class="card">
        <div class="toolbar">
          <h2 class="grow">Cron jobs</h2>
          <button type="button" class="btn" onClick={list.reload}>
            Refresh
          </button>
        </div>
        {note && <p class={note.error ? "error-text" : "muted"}>{note.text}</p>}
        {list.error && <p class="error-text">Could not list the jobs: {list.error}</p>}
        {list.data && jobs.length === 0 && (
          <p class="empty">
            No jobs. Add one with <code>onebrain cron add NAME --every 1h --message "..."</code>, or ask the agent.
          </p>
        )}
        {jobs.length > 0 && (
          <table class="table">
            <thead>
              <tr>
                <th>Job</th>
                <th>Schedule</th>
                <th>Next</th>
                <th>Last</th>
                <th>Delivery</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.id} data-testid="cron-job" data-name={j.name} data-paused={String(j.paused)}>
                  <td>
                    <a href="#/cron" onClick={() => setSelected(j.id)}>
                      {j.name}
                    </a>
                  </td>
                  <td>
                    {j.scheduleText}
                    {j.paused ? " (paused)" : ""}
                  </td>
                  <td title={j.next ? time(j.next) : ""}>{j.paused ? DASH : until(j.next, now)}</td>
                  <td class={j.last ? stateClass(j.last.state) : ""} title={j.last?.note ?? ""}>
                    {j.last ? `${j.last.state}, ${ago(j.last.scheduledFor, now)}` : "never"}
                  </td>
                  <td class="mono">{j.delivery.mode === "announce" ? `${j.delivery.channel}:${j.delivery.target}` : "none"}</td>
                  <td>
                    <button type="button" class="btn" onClick={() => void act("cron.runNow", j, "Fired")}>
                      Run now
                    </button>{" "}
                    <button type="button" class="btn" onClick={() => void act(j.paused ? "cron.resume" : "cron.pause", j, j.paused ? "Resumed" : "Paused")}>
                      {j.paused ? "Resume" : "Pause"}
                    </button>{" "}
                    <button
                      type="button"
                      class="btn"
                      onClick={() => {
                        if (confirm(`Remove the job ${j.name}? Its history stays.`)) void act("cron.remove", j, "Removed");
                      }}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {shown && <History job={shown} />}
    </section>
  );
}
