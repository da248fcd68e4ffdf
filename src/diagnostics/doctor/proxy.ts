/**
 * Check 9 (`doctor --url https://host/`): a real WebSocket handshake through a reverse proxy to
 * `/ws`. When the upgrade fails, `/api/ws-check?attempt=ID` tells whether the request reached the
 * gateway as plain HTTP (the proxy dropped `Upgrade`/`Connection`). Under --deep the socket is
 * then held idle until the gateway's first ping (bounded): a proxy that drops it sooner has a
 * read timeout shorter than the heartbeat.
 */
import crypto from "node:crypto";
import { OnebrainError, toOnebrainError } from "../../shared/errors.ts";
import { isLoopbackAddress } from "../../server/bind.ts";
import type { DoctorCheck, DoctorContext, Finding } from "./types.ts";

export interface ProxyTarget {
  /** `wss://host/prefix/ws` */
  wsUrl: string;
  /** `https://host/prefix/api/ws-check` */
  checkUrl: string;
  /** Credentials go only over TLS or to loopback. */
  secure: boolean;
}

/** Where to try: `https://host/` becomes `wss://host/ws`; `ws(s)://` URLs keep their path (default `/ws`). */
export function proxyTarget(input: string): ProxyTarget {
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    throw new OnebrainError("USAGE", `Cannot use ${JSON.stringify(input)} as --url: expected an address such as https://onebrain.example.com/`);
  }
  const tls = u.protocol === "https:" || u.protocol === "wss:";
  if (!["http:", "https:", "ws:", "wss:"].includes(u.protocol))
    throw new OnebrainError("USAGE", `Cannot use ${JSON.stringify(input)} as --url: expected http(s):// or ws(s)://`);
  const given = u.pathname.replace(/\/+$/, "");
  const wsPath = given.endsWith("/ws") ? given : `${given}/ws`;
  const prefix = wsPath.slice(0, -"/ws".length);
  const host = u.host;
  return {
    wsUrl: `${tls ? "wss" : "ws"}://${host}${wsPath}`,
    checkUrl: `${tls ? "https" : "http"}://${host}${prefix}/api/ws-check`,
    secure: tls || isLoopbackAddress(u.hostname.replace(/^\[|\]$/g, "")) || u.hostname === "localhost",
  };
}

interface AttemptCheck {
  seen: boolean;
  upgraded: boolean;
  refused: { status: number; reason: string } | null;
}

/** Asks the gateway, through the proxy, what became of an attempt; null when it cannot tell. */
async function askWsCheck(t: ProxyTarget, attempt: string, timeoutMs: number): Promise<AttemptCheck | null> {
  try {
    const res = await fetch(`${t.checkUrl}?attempt=${attempt}`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as Partial<AttemptCheck>;
    return res.ok && typeof body.seen === "boolean" ? { seen: body.seen, upgraded: Boolean(body.upgraded), refused: body.refused ?? null } : null;
  } catch {
    return null;
  }
}

const NGINX =
  "nginx: `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;` (docs/reverse-proxy.md)";
// A gateway without auth answers 421 to a Host that is not its own: a proxy forwarding its public name.
const MISDIRECTED =
  "the gateway has no auth, so it answers only its own host names: add the name the proxy forwards as Host to gateway.allowedHosts, or set gateway.auth (docs/reverse-proxy.md)";

/** The finding for a handshake that failed. */
async function explainFailure(ctx: DoctorContext, t: ProxyTarget, attempt: string, err: OnebrainError, withheld: boolean): Promise<Finding> {
  const d = err.details as { httpStatus?: number; errno?: string; closeCode?: number; wireCode?: string };
  const details = { url: t.wsUrl, attempt, error: { code: err.code, ...d } };
  if (d.wireCode) {
    // The protocol answered: the upgrade went through; only the credentials did not fit.
    const note = withheld
      ? "credentials were not sent over plain ws:// to a remote host"
      : "the gateway refused this brain's credentials (another brain behind it, or another token)";
    return {
      id: "proxy",
      status: withheld ? "ok" : "warn",
      finding: `the WebSocket upgrade through ${t.wsUrl} works; ${note}`,
      ...(withheld ? {} : { fix: "check that the proxy points at this brain's gateway, and the token (`onebrain config get gateway.auth.token`)" }),
      details,
    };
  }
  if (d.httpStatus !== undefined) {
    const s = d.httpStatus;
    const check = await askWsCheck(t, attempt, Math.min(ctx.timeoutMs, 2000));
    const fullDetails = { ...details, wsCheck: check };
    if (s === 426 || (check?.seen && !check.upgraded && !check.refused)) {
      const confirm = check?.seen ? ` (the gateway confirms: attempt ${attempt} arrived without its Upgrade header)` : "";
      return {
        id: "proxy",
        status: "fail",
        finding: `the proxy dropped the WebSocket upgrade: GET ${new URL(t.wsUrl).pathname} reached the gateway as plain HTTP, HTTP ${s}${confirm}`,
        fix: `pass the upgrade on; ${NGINX}`,
        details: fullDetails,
      };
    }
    if (check?.refused) {
      const why =
        check.refused.status === 403
          ? "add the console's origin to gateway.allowedOrigins"
          : check.refused.status === 421
            ? MISDIRECTED
            : check.refused.status === 429
              ? "wait: too many failed auth attempts from the proxy's address (set gateway.trustedProxies)"
              : "the gateway is shutting down: start it again";
      return {
        id: "proxy",
        status: "fail",
        finding: `the gateway refused the upgrade through the proxy with HTTP ${check.refused.status}: ${check.refused.reason}`,
        fix: why,
        details: fullDetails,
      };
    }
    const reached = check === null ? "; /api/ws-check does not answer through it either" : check.seen ? "" : "; the attempt never reached the gateway";
    const fix =
      s === 421
        ? MISDIRECTED
        : s >= 502 && s <= 504
          ? "start the gateway, or point proxy_pass at its address and port"
          : s === 404
            ? "proxy the whole host (`location /`) to the gateway, /ws included"
            : `make the proxy pass GET /ws with its upgrade to the gateway; ${NGINX}`;
    return {
      id: "proxy",
      status: "fail",
      finding: `the upgrade to ${t.wsUrl} was answered with HTTP ${s} instead of 101${reached}`,
      fix,
      details: fullDetails,
    };
  }
  if (d.closeCode !== undefined)
    return {
      id: "proxy",
      status: "fail",
      finding: `the upgrade worked but the connection closed during the protocol handshake (code ${d.closeCode})`,
      fix: "look at the proxy's error log and `onebrain logs`",
      details,
    };
  if (err.code === "TIMEOUT")
    return {
      id: "proxy",
      status: "fail",
      finding: `no WebSocket handshake through ${t.wsUrl} within ${ctx.timeoutMs} ms (a proxy buffering the response?)`,
      fix: "disable response buffering for /ws, and check the proxy reaches the gateway",
      details,
    };
  return {
    id: "proxy",
    status: "fail",
    finding: `cannot connect to ${t.wsUrl}: ${d.errno ?? err.message}`,
    fix: d.errno?.includes("CERT") ? "fix the proxy's TLS certificate (or its chain)" : "check the address, DNS and that the proxy listens",
    details,
  };
}

type Idle = { kind: "ping" | "tick" | "closed" | "cap"; ms: number; code?: number };

export const proxyCheck: DoctorCheck = {
  id: "proxy",
  group: "proxy",
  title: "`--url`: a real WebSocket handshake through the reverse proxy; a missing upgrade or (with --deep) a read timeout shorter than the heartbeat fails.",
  slow: true,
  applies: (ctx) => ctx.url !== undefined,
  async run(ctx) {
    const t = proxyTarget(ctx.url!);
    const attempt = `doctor-${crypto.randomBytes(9).toString("base64url")}`;
    const auth = ctx.brain().auth;
    const withheld = !t.secure && Boolean(auth?.token || auth?.password);
    const { connectGateway } = await import("../../client/gateway-client.ts");
    const t0 = performance.now();
    let conn: Awaited<ReturnType<typeof connectGateway>>;
    try {
      conn = await connectGateway({
        url: `${t.wsUrl}?attempt=${attempt}`,
        ...(t.secure ? { token: auth?.token, password: auth?.password } : {}),
        timeoutMs: ctx.timeoutMs,
        clientId: "onebrain-doctor",
        mode: "probe",
      });
    } catch (err) {
      return [await explainFailure(ctx, t, attempt, toOnebrainError(err), withheld)];
    }
    const helloMs = Math.round(performance.now() - t0);
    try {
      const head = `the WebSocket handshake through ${t.wsUrl} works (upgrade + hello in ${helloMs} ms)`;
      if (!ctx.deep)
        return [{ id: "proxy", status: "ok", finding: `${head}; idle timeout not tested (add --deep)`, details: { url: t.wsUrl, attempt, helloMs } }];
      const interval = conn.hello.policy.tickIntervalMs;
      const waitMs = Math.min(interval + 2000, ctx.idleCapMs);
      const idle = await new Promise<Idle>((resolve) => {
        const start = performance.now();
        const at = () => Math.round(performance.now() - start);
        const timer = setTimeout(() => resolve({ kind: "cap", ms: at() }), waitMs);
        const done = (v: Idle) => (clearTimeout(timer), resolve(v));
        conn.ws.once("ping", () => done({ kind: "ping", ms: at() }));
        conn.onEvent((e) => e.event === "tick" && done({ kind: "tick", ms: at() }));
        void conn.closed.then((c) => done({ kind: "closed", ms: at(), code: c.code }));
      });
      const details = { url: t.wsUrl, attempt, helloMs, pingIntervalMs: interval, idle };
      const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      if (idle.kind === "closed") {
        return [
          {
            id: "proxy",
            status: "fail",
            finding: `the proxy closed an idle WebSocket after ${secs(idle.ms)} (code ${idle.code}), before the gateway's ping interval (${secs(interval)}): every idle console reconnects`,
            fix: "raise the proxy's read/send timeouts above gateway.ws.pingIntervalMs (nginx: `proxy_read_timeout 90s; proxy_send_timeout 90s;`)",
            details,
          },
        ];
      }
      if (idle.kind === "cap")
        return [
          {
            id: "proxy",
            status: "ok",
            finding: `${head}; an idle socket stayed open ${secs(idle.ms)} (the gateway pings every ${secs(interval)}; not waited for)`,
            details,
          },
        ];
      return [{ id: "proxy", status: "ok", finding: `${head}; an idle socket stayed open until the gateway's ${idle.kind} at ${secs(idle.ms)}`, details }];
    } finally {
      await conn.closeWithin(200);
    }
  },
};
