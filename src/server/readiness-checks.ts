/** The gateway's readiness checks (what /readyz, `health` and systemd's READY judge): the process's own, then the brain's. */
import type http from "node:http";
import type { Config } from "../config/schema.ts";
import type { BrainLock } from "../lock/brain-lock.ts";
import type { BrainRuntime } from "./brain-runtime.ts";
import type { LagMonitor, ReadinessCheck } from "./health.ts";

/** Lock, listening sockets, event-loop lag and the lifecycle. */
export function processChecks(o: {
  lock: BrainLock;
  servers: readonly http.Server[];
  lag: LagMonitor;
  config: () => Readonly<Config>;
  shuttingDown: () => boolean;
}): ReadinessCheck[] {
  return [
    function lockCheck() {
      const r = o.lock.check();
      return r.ok ? { name: "lock", ok: true } : { name: "lock", ok: false, detail: r.reason };
    },
    function listening() {
      const ok = o.servers.length > 0 && o.servers.every((s) => s.listening);
      return { name: "http", ok, ...(ok ? {} : { detail: "not listening" }) };
    },
    function eventLoop() {
      const s = o.lag.snapshot();
      const limit = o.config().gateway.maxEventLoopLagMs;
      return { name: "eventLoop", ok: s.p99Ms <= limit, detail: `p99 ${s.p99Ms} ms (limit ${limit} ms)` };
    },
    function lifecycle() {
      const stopping = o.shuttingDown();
      return { name: "lifecycle", ok: !stopping, ...(stopping ? { detail: "shutting down" } : {}) };
    },
  ];
}

/** The store answers; no channel needs the operator. */
export function brainChecks(brain: BrainRuntime): ReadinessCheck[] {
  return [
    function store() {
      try {
        brain.store.prepare("SELECT 1").get();
        return { name: "store", ok: true };
      } catch (err) {
        return { name: "store", ok: false, detail: (err as Error).message };
      }
    },
    // A channel that cannot work without the operator (token revoked, token polled elsewhere) makes
    // the gateway not ready, naming it; reconnecting after a network error does not.
    // External: a restart of this process cannot fix a revoked token or another brain's lease.
    Object.assign(
      function channels() {
        const bad = brain.channels().filter((c) => c.state === "failed" || c.state === "conflict");
        // Degraded still serves (reduced): ready, with what is wrong said.
        const degraded = brain.channels().flatMap((c) => (c.state === "degraded" ? [`${c.id} degraded: ${c.detail}`] : []));
        if (!bad.length) return { name: "channels", ok: true, ...(degraded.length ? { detail: degraded.join("; ") } : {}) };
        return {
          name: "channels",
          ok: false,
          detail: bad.map((c) => `${c.id}: ${c.state === "failed" ? c.reason : c.state === "conflict" ? c.detail : ""}`).join("; "),
        };
      },
      { external: true },
    ),
  ];
}
