/**
 * The gateway's event counters, one registry per process, recorded where the events happen (the
 * brain's ingest and delivery, runs, model calls, channel states, WebSocket connections) with a
 * single line each. One process serves one brain (the brain lock), so a process-wide registry is
 * the gateway's, as in every Prometheus client. Values that are states rather than events (outbox
 * backlog, channels up, clients, memory) are read at scrape time instead (src/server/metrics.ts).
 * Every metric is listed in docs/metrics.md. Label values come from config and code (channel ids,
 * model refs, outcomes), never from what a client sends, so the number of series stays small.
 */
import { Registry } from "./registry.ts";

/** Seconds: model replies take from well under a second (local, short) to minutes (long, slow). */
export const MODEL_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320];

/** The process-wide registry of event counters and histograms. */
export const eventRegistry = new Registry();

const r = eventRegistry;

/** The instruments; see docs/metrics.md for what each counts. */
export const metrics = {
  inbound: r.counter("onebrain_inbound_messages_total", "Inbound messages stored for answering (new ones; duplicates not counted), by channel.", ["channel"]),
  duplicates: r.counter(
    "onebrain_inbound_duplicates_total",
    "Inbound messages dropped as duplicates of a stored one (a redelivery, a retried idempotency key), by channel.",
    ["channel"],
  ),
  runs: r.counter(
    "onebrain_agent_runs_total",
    "Agent runs finished, by outcome: reply, error (the model failed or timed out), notice (a command or no model configured), aborted, interrupted (the gateway stopped).",
    ["outcome"],
  ),
  delivered: r.counter("onebrain_replies_delivered_total", "Replies delivered to their channel, by channel.", ["channel"]),
  deliveryErrors: r.counter("onebrain_delivery_errors_total", "Failed delivery attempts (each retry counts), by channel.", ["channel"]),
  failed: r.counter("onebrain_replies_failed_total", "Replies given up on after their last delivery attempt, by channel.", ["channel"]),
  inDoubt: r.counter(
    "onebrain_replies_in_doubt_total",
    "Sends whose request went out without an answer, to be checked with the platform before any resend, by channel.",
    ["channel"],
  ),
  modelDuration: r.histogram(
    "onebrain_model_request_duration_seconds",
    "Time for one model to give a whole reply (its retries included), by model (provider/model) and outcome (ok, error, aborted).",
    ["model", "outcome"],
    MODEL_DURATION_BUCKETS,
  ),
  modelTokens: r.counter("onebrain_model_tokens_total", "Tokens the models reported, by model and direction (input, output).", ["model", "direction"]),
  channelReconnects: r.counter("onebrain_channel_reconnects_total", "Reconnect attempts of a channel after it lost its platform, by channel and account.", [
    "channel",
    "account",
  ]),
  wsConnections: r.counter("onebrain_ws_connections_total", "WebSocket connections opened (before authentication)."),
  wsSlowClosed: r.counter(
    "onebrain_ws_slow_consumers_closed_total",
    "WebSocket clients closed for unsent bytes, by limit: connection (gateway.ws.maxBufferedBytes) or gateway (all clients together passed gateway.ws.maxTotalBufferedBytes).",
    ["limit"],
  ),
  hookDeliveries: r.counter(
    "onebrain_hook_deliveries_total",
    "Webhook deliveries answered, by hook (agent, wake or a configured mapping) and outcome: accepted (stored, a run started) or duplicate (a replay of a stored key).",
    ["hook", "outcome"],
  ),
  hookRefusals: r.counter("onebrain_hook_refusals_total", "Webhook requests refused, by HTTP status (400, 401, 404, 405, 413, 415, 429, 503).", ["status"]),
  wsRefused: r.counter(
    "onebrain_ws_upgrades_refused_total",
    "WebSocket upgrades refused, by HTTP status (403 foreign origin, 429 rate limited, 503 stopping).",
    ["status"],
  ),
};

/** Counts a channel's state report for /metrics (a report of "reconnecting" is one attempt) and returns it unchanged. */
export function countChannelState<S extends { id: string; account: string; state: string }>(report: S): S {
  if (report.state === "reconnecting") metrics.channelReconnects.inc({ channel: report.id, account: report.account });
  return report;
}
