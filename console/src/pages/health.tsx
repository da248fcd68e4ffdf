/** Health: readiness and failing components, event loop, memory, clients, the model's record; refreshed every 2 s. */
import type { ComponentChildren } from "preact";
import { DASH, ago, bytes, duration, millis, show, time } from "../ui/format.ts";
import { useLink, useNow, useRequest } from "../ui/hooks.ts";
import type { Status } from "./status-types.ts";

function Stat({ label, value, sub }: { label: string; value: ComponentChildren; sub?: ComponentChildren }) {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {sub && <div class="stat-sub">{sub}</div>}
    </div>
  );
}

function when(t: number | null | undefined, now: number): string {
  return t ? `${ago(t, now)} (${time(t)})` : DASH;
}

/** The health page. */
export function HealthPage() {
  const status = useRequest<Status>("status", undefined, 2000);
  const link = useLink();
  const now = useNow(1000);
  const s = status.data;
  if (!s)
    return (
      <section class="page">
        {status.error ? <p class="error-text">Could not read the status: {status.error}</p> : <p class="muted">{link.hello ? "Loading…" : "Not connected."}</p>}
      </section>
    );
  const r = s.readiness;
  const failing = r?.components?.filter((c) => !c.ok) ?? (r?.failing ?? []).map((name) => ({ name, ok: false, detail: undefined }));
  const m = s.model;
  const p = s.pipeline;
  return (
    <section class="page">
      <div class="toolbar">
        <h2 class="grow">Health</h2>
        <span class={status.error ? "error-text" : "muted"}>{status.error ? `Refresh failed: ${status.error}` : `updated ${ago(status.at, now)}`}</span>
      </div>
      <div class={`card ready ${r?.ready ? "ready-ok" : "ready-bad"}`} data-testid="health-ready" data-ready={r?.ready ? "true" : "false"}>
        <strong>{r === undefined ? "Readiness unknown" : r.ready ? "Ready" : "Not ready"}</strong>
        {r?.components && <span class="muted"> · {r.components.map((c) => `${c.name} ${c.ok ? "ok" : "failing"}`).join(" · ")}</span>}
        {failing.length > 0 && (
          <ul class="failing">
            {failing.map((c) => (
              <li key={c.name} data-testid="health-failing">
                <strong>{c.name}</strong>
                {c.detail ? `: ${c.detail}` : ""}
              </li>
            ))}
          </ul>
        )}
      </div>
      <div class="stats">
        <Stat
          label="Event loop p99"
          value={millis(s.eventLoop?.p99Ms)}
          sub={`p50 ${millis(s.eventLoop?.p50Ms)} · max ${millis(s.eventLoop?.maxMs)} · window ${duration(s.eventLoop?.windowMs)}`}
        />
        <Stat label="Memory (RSS)" value={bytes(s.memory?.rssBytes)} sub={`heap used ${bytes(s.memory?.heapUsedBytes)}`} />
        <Stat label="Connected clients" value={show(s.connections)} />
        <Stat label="Uptime" value={duration(s.uptimeMs)} sub={`version ${show(s.version)}`} />
        <Stat
          label="Runs in flight"
          value={show(p?.activeRuns)}
          sub={`inbound queued ${show(p?.pendingInbound)} · replies undelivered ${show(p?.pendingOutbox)} · failed ${show(p?.failedOutbox)}`}
        />
      </div>
      <div class="card">
        <h3>Model</h3>
        <dl class="kv">
          <div>
            <dt>chain</dt>
            <dd class="mono">{m ? (m.configured === false ? "not configured" : show(m.describe)) : DASH}</dd>
          </div>
          <div>
            <dt>last success</dt>
            <dd>{when(m?.lastSuccessAt, now)}</dd>
          </div>
          <div>
            <dt>last failure</dt>
            <dd>{when(m?.lastFailureAt, now)}</dd>
          </div>
          <div>
            <dt>failure</dt>
            <dd class={m?.lastFailure ? "error-text" : ""}>{show(m?.lastFailure)}</dd>
          </div>
        </dl>
      </div>
    </section>
  );
}
