/** Brain: which brain this gateway is (identity, paths, binding, ports, lock owner, fencing epoch). */
import type { ComponentChildren } from "preact";
import { DASH, duration, show, time } from "../ui/format.ts";
import { useLink, useNow, useRequest } from "../ui/hooks.ts";
import type { LockRecord, Status } from "./status-types.ts";

function Field({ name, label, children }: { name: string; label: string; children: ComponentChildren }) {
  return (
    <div class="fact" data-testid="brain-field" data-field={name}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function ports(p: Status["ports"]): string {
  if (!p) return DASH;
  const cdp = p.cdp ? `${show(p.cdp.first)}–${show(p.cdp.last)}` : DASH;
  return `gateway ${show(p.base)}${p.baseSource ? ` (${p.baseSource})` : ""} · browser control ${show(p.browserControl)} · canvas ${show(p.canvas)} · CDP ${cdp}`;
}

function Lock({ lock }: { lock: LockRecord | null | undefined }) {
  if (lock === undefined) return <>{DASH}</>;
  if (lock === null) return <span class="warn-text">no lock record on disk</span>;
  const rows: Array<[string, unknown]> = [
    ["pid", lock.pid],
    ["user", lock.user],
    ["host", lock.hostname],
    ["phase", lock.phase],
    ["port", lock.port],
    ["bind", lock.bindHosts?.join(", ")],
    ["version", lock.version],
    ["started", lock.startedAt ? time(lock.startedAt) : undefined],
    ["instance", lock.instanceId],
    ["state dir", lock.stateDir],
    ["config", lock.configPath],
    ["profile", lock.profile],
  ];
  return (
    <dl class="kv">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd class="mono">{show(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The brain page. */
export function BrainPage() {
  const status = useRequest<Status>("status");
  const link = useLink();
  const now = useNow(1000);
  const s = status.data;
  if (!s)
    return (
      <section class="page">
        {status.error ? <p class="error-text">Could not read the status: {status.error}</p> : <p class="muted">{link.hello ? "Loading…" : "Not connected."}</p>}
      </section>
    );
  const auth = s.auth
    ? `${show(s.auth.mode)}${s.auth.tokenSource ? ` · token from ${s.auth.tokenSource}` : ""}${s.auth.passwordSource ? ` · password from ${s.auth.passwordSource}` : ""}`
    : DASH;
  const ownLock = s.lock && s.lock.instanceId !== undefined && s.instanceId !== undefined && s.lock.instanceId !== s.instanceId;
  return (
    <section class="page">
      <div class="toolbar">
        <h2 class="grow">This brain</h2>
        {status.error && <span class="error-text">Refresh failed: {status.error}</span>}
        <button type="button" class="btn" onClick={status.reload}>
          Refresh
        </button>
      </div>
      <div class="card">
        <dl class="facts">
          <Field name="pid" label="PID">
            {show(s.pid)}
            {s.hostname ? ` on ${s.hostname}` : ""}
          </Field>
          <Field name="user" label="User">
            {show(s.user)}
          </Field>
          <Field name="home" label="HOME">
            <span class="mono">{show(s.home)}</span>
          </Field>
          <Field name="stateDir" label="State dir">
            <span class="mono">{show(s.stateDir)}</span>
          </Field>
          <Field name="configPath" label="Config">
            <span class="mono">{show(s.configPath)}</span>
          </Field>
          <Field name="profile" label="Profile">
            {show(s.profile)}
          </Field>
          <Field name="version" label="Version">
            {show(s.version)}
          </Field>
          <Field name="uptime" label="Uptime">
            {duration(s.uptimeMs !== undefined && status.at !== null ? s.uptimeMs + (now - status.at) : undefined)}
            {s.startedAt ? ` (since ${time(s.startedAt)})` : ""}
          </Field>
          <Field name="bind" label="Bind">
            {s.bind ? `${show(s.bind.mode)} · ${s.bind.hosts?.length ? s.bind.hosts.join(", ") : DASH}` : DASH}
          </Field>
          <Field name="auth" label="Auth">
            {auth}
          </Field>
          <Field name="ports" label="Port plan">
            {ports(s.ports)}
          </Field>
          <Field name="epoch" label="Fencing epoch">
            {show(s.pipeline?.epoch)}
          </Field>
          <Field name="instanceId" label="Instance">
            <span class="mono">{show(s.instanceId)}</span>
          </Field>
        </dl>
      </div>
      <div class="card">
        <h3>Lock owner record</h3>
        {ownLock && <p class="warn-text">The lock record names another instance ({s.lock!.instanceId}) than this gateway.</p>}
        <div data-testid="brain-field" data-field="lock">
          <Lock lock={s.lock} />
        </div>
      </div>
    </section>
  );
}
