/**
 * The watchdog (`alerts.*`, docs/alerts.md): at each check it reads the conditions, decides
 * (decide.ts) and writes what opens or recovers (ledger.ts); chat sends leave through the outbox,
 * webhook sends are POSTed here with backoff. A heartbeat, when configured, is POSTed while the
 * gateway is ready, so a monitor elsewhere notices a gateway that died (the one outage it cannot
 * report itself). Runs in the brain-lock holder only; idle while no target is configured.
 */
import os from "node:os";
import type { Logger } from "pino";
import type { ChannelState } from "../channels/channel.ts";
import type { AlertsConfig } from "../config/schema-alerts.ts";
import type { AlertsStatus, AlertView } from "../protocol/alerts.ts";
import { backoffMs } from "../shared/backoff.ts";
import { OnebrainError } from "../shared/errors.ts";
import { clip } from "../shared/text.ts";
import type { StoreHandle } from "../store/handle.ts";
import { channelSignals, cronSignal, readinessSignal, repliesSignal, type Signal } from "./conditions.ts";
import { decide, openDelay, type Tracked } from "./decide.ts";
import { alertsSince, alertViews, dueWebhookSends, openAlert, openAlerts, pruneAlerts, recordTry, recoverAlert } from "./ledger.ts";
import { resolveTargets, targetsFor, urlLabel, type AlertTarget } from "./targets.ts";
import { alertPayload } from "./text.ts";
import { postAlert } from "./webhook.ts";

type Component = { name: string; ok: boolean; detail?: string };

export interface WatchdogOptions {
  store: StoreHandle;
  epoch: number;
  config: () => Readonly<AlertsConfig>;
  env: NodeJS.ProcessEnv;
  /** Each running channel account's state. */
  channels: () => ReadonlyArray<{ id: string; account: string } & ChannelState>;
  /** The process's own readiness components (the brain's store included, the channels not). */
  readiness: () => readonly Component[];
  /** The whole readiness, for the heartbeat. */
  ready: () => boolean;
  /** Starts the outbox's delivery of new chat sends. */
  deliver: () => void;
  logger: Logger;
  version: string;
  host?: string;
  now?: () => number;
  random?: () => number;
  /** How long one webhook POST may take (default 10 s). */
  webhookTimeoutMs?: number;
}

/** How long a condition's past alerts count toward the wait before its next one. */
const FLAP_MEMORY_MS = 6 * 3_600_000;
/** Tries of one webhook send before it is given up. */
const MAX_TRIES = 30;
const WEBHOOK_TIMEOUT_MS = 10_000;
const KEEP_CLOSED_MS = 90 * 86_400_000;

export class Watchdog {
  private readonly o: WatchdogOptions;
  private readonly now: () => number;
  private readonly host: string;
  private readonly tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private heartbeat = { nextAt: 0, lastAt: null as number | null, lastError: null as string | null, busy: false };
  private prunedAt = 0;

  constructor(o: WatchdogOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.host = o.host ?? os.hostname();
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      try {
        this.check();
      } catch (err) {
        this.o.logger.error({ err }, "alerts: the check failed");
      }
      this.schedule(this.o.config().checkIntervalMs);
    }, ms);
    this.timer.unref();
  }

  private targets(): ReturnType<typeof resolveTargets> {
    const accounts = this.o.channels().map((c) => ({ id: c.id, account: c.account }));
    return resolveTargets(this.o.config().targets, { accounts, env: this.o.env });
  }

  /** The conditions that are bad now, per `alerts.watch`. */
  signals(): Signal[] {
    const w = this.o.config().watch;
    return [
      ...(w.readiness ? readinessSignal(this.o.readiness()) : []),
      ...(w.channels ? channelSignals(this.o.channels()) : []),
      ...(w.cron ? cronSignal(this.o.store) : []),
      ...(w.replies ? repliesSignal(this.o.store, this.o.config().replyFailures) : []),
    ];
  }

  /** One check: decide, write what opens and recovers, start the sends. Public so tests can drive it. */
  check(): void {
    const c = this.o.config();
    const now = this.now();
    this.beat(now);
    if (!c.enabled || !c.targets.length) {
      this.tracked.clear();
      return;
    }
    const { usable } = this.targets();
    const d = decide({
      now,
      signals: this.signals(),
      open: openAlerts(this.o.store),
      tracked: this.tracked,
      recoverAfterMs: c.recoverAfterMs,
      delayOf: (condition) => openDelay(c.afterMs, alertsSince(this.o.store, condition, now - FLAP_MEMORY_MS)),
    });
    const at = { epoch: this.o.epoch, now, host: this.host };
    for (const s of d.open) {
      const to = targetsFor(usable, s.channels);
      const a = openAlert(this.o.store, { condition: s.condition, detail: clip(s.detail, 1000), openedAt: s.badSince }, to, at);
      if (!a) continue;
      const log = { alert: a.id, condition: a.condition, detail: a.detail, targets: to.map((t) => t.label) };
      if (to.length) this.o.logger.warn(log, "alerts: opened an alert");
      else this.o.logger.error(log, `alerts: opened an alert, but no target is outside ${s.channels.join(", ")}: nobody is told`);
    }
    for (const a of d.recover) {
      const r = recoverAlert(this.o.store, a.id, usable, at);
      if (r) this.o.logger.info({ alert: r.id, condition: r.condition, lastedMs: now - r.openedAt }, "alerts: recovered");
    }
    if (d.open.length || d.recover.length) this.o.deliver();
    if (now - this.prunedAt > 86_400_000) {
      this.prunedAt = now;
      pruneAlerts(this.o.store, now - KEEP_CLOSED_MS);
    }
    void this.pump();
  }

  /** POSTs the webhook sends that are due, one at a time; a call while a pass runs makes it look again when done. */
  pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    // Never rejects: a store closed under a send in flight (a stop) or a failed write is logged, and
    // the send stays pending for the next pass or the next start.
    const pass = async () => {
      try {
        do {
          this.pumpAgain = false;
          await this.sendDue();
        } while (this.pumpAgain && !this.stopped);
      } catch (err) {
        if (!this.stopped) this.o.logger.error({ err }, "alerts: sending to the webhooks failed");
      }
    };
    this.pumping = pass().finally(() => (this.pumping = null));
    return this.pumping;
  }

  private async sendDue(): Promise<void> {
    for (let round = 0; round < 10 && !this.stopped; round++) {
      const due = dueWebhookSends(this.o.store, this.now());
      if (!due.length) return;
      const hooks = this.targets().usable.filter((t): t is Extract<AlertTarget, { kind: "webhook" }> => t.kind === "webhook");
      for (const s of due) {
        if (this.stopped) return;
        const key = { id: s.id, phase: s.phase, target: s.target };
        const hook = hooks.find((t) => t.key === s.target);
        if (!hook) {
          recordTry(this.o.store, key, { state: "failed", error: "this webhook is no longer among alerts.targets" });
          continue;
        }
        const r = await postAlert(hook.url, alertPayload(s, s.phase, this.host), {
          secret: hook.secret,
          idempotencyKey: `onebrain-alert-${s.id}-${s.openedAt}-${s.phase}`,
          userAgent: `onebrain/${this.o.version}`,
          timeoutMs: this.o.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS,
          env: this.o.env,
        });
        // Stopped while the POST was out: the store may be closing; the send is decided again at the next start.
        if (this.stopped) return;
        const now = this.now();
        if (r.ok) recordTry(this.o.store, key, { state: "sent", now });
        else if (!r.retry || s.attempts + 1 >= MAX_TRIES) {
          const error = r.retry ? `gave up after ${MAX_TRIES} tries: ${r.error}` : `refused: ${r.error}`;
          recordTry(this.o.store, key, { state: "failed", error });
          this.o.logger.error({ alert: s.id, phase: s.phase, target: hook.label, error }, "alerts: a webhook send failed for good");
        } else {
          const wait = r.retryAfterMs ?? backoffMs(s.attempts + 1, { baseMs: 5_000, maxMs: 600_000, random: this.o.random ?? Math.random });
          recordTry(this.o.store, key, { state: "pending", nextAt: now + wait, error: r.error });
        }
      }
    }
  }

  /** The heartbeat's POST when it is due and the gateway is ready; a failure is kept for the status, never retried early. */
  private beat(now: number): void {
    const hb = this.o.config().heartbeat;
    if (!hb || !this.o.config().enabled || this.heartbeat.busy || now < this.heartbeat.nextAt) return;
    this.heartbeat.nextAt = now + hb.everyMs;
    if (!this.o.ready()) return;
    const url = hb.url ?? this.o.env[hb.urlEnv!];
    if (!url) {
      this.heartbeat.lastError = `the environment variable ${hb.urlEnv} is not set`;
      return;
    }
    this.heartbeat.busy = true;
    void postAlert(
      url,
      { type: "heartbeat", host: this.host, version: this.o.version, at: new Date(now).toISOString() },
      {
        secret: null,
        idempotencyKey: `onebrain-heartbeat-${now}`,
        userAgent: `onebrain/${this.o.version}`,
        timeoutMs: this.o.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS,
        env: this.o.env,
      },
    ).then((r) => {
      this.heartbeat.busy = false;
      this.heartbeat.lastAt = this.now();
      this.heartbeat.lastError = r.ok ? null : r.error;
    });
  }

  /** What `alerts.status` answers. */
  status(recent = 10): AlertsStatus {
    const c = this.o.config();
    const now = this.now();
    const { usable, problems } = this.targets();
    const open = alertViews(this.o.store, { open: true });
    const openSet = new Set(open.map((a) => a.condition));
    const hb = c.heartbeat;
    return {
      enabled: c.enabled && c.targets.length > 0,
      targets: [
        ...usable.map((t) => ({ target: t.label, kind: t.kind, problem: null })),
        ...problems.map((p) => ({ target: p.label, kind: p.kind, problem: p.problem })),
      ],
      watching: [...this.tracked].map(([condition, t]) => ({
        condition,
        detail: t.detail,
        badSince: t.badSince ?? 0,
        alertsAt:
          openSet.has(condition) || t.badSince === null
            ? null
            : t.immediate
              ? now
              : t.badSince + openDelay(c.afterMs, alertsSince(this.o.store, condition, now - FLAP_MEMORY_MS)),
        goodSince: t.goodSince,
      })),
      open,
      recent: alertViews(this.o.store, { closed: Math.max(0, Math.min(recent, 100)) }),
      heartbeat: hb
        ? { target: hb.url ? urlLabel(hb.url) : `$${hb.urlEnv}`, everyMs: hb.everyMs, lastAt: this.heartbeat.lastAt, lastError: this.heartbeat.lastError }
        : null,
    };
  }

  /** Sends a test alert to every usable target and waits (up to `waitMs`) for each send to settle. */
  async test(waitMs = 15_000): Promise<AlertView> {
    const { usable, problems } = this.targets();
    if (!usable.length) {
      const why = problems.length ? `: ${problems.map((p) => `${p.label}: ${p.problem}`).join("; ")}` : "";
      throw new OnebrainError("ALERTS_NO_TARGET", `No alert target can be used${why || " (alerts.targets is empty)"}`, {
        hint: 'add a target: onebrain config set alerts.targets \'[{"channel":"telegram","target":"<chat id>"}]\'',
      });
    }
    const now = this.now();
    const a = openAlert(this.o.store, { condition: "test", detail: "a test of the alert targets", openedAt: now }, usable, {
      epoch: this.o.epoch,
      now,
      host: this.host,
      closeAt: now,
    })!;
    this.o.deliver();
    void this.pump();
    // Real time, not the injected clock: this waits on sockets.
    const until = performance.now() + waitMs;
    for (;;) {
      const view = alertViews(this.o.store, { id: a.id })[0]!;
      if (view.sends.every((s) => s.state === "delivered" || s.state === "sent" || s.state === "failed") || performance.now() >= until) return view;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
