/** Binds the gateway port on every planned address, turning bind failures into coded errors that name the holder. */
import http from "node:http";
import { OnebrainError } from "../shared/errors.ts";
import { describeListener, findListeners } from "../proc/listeners.ts";
import { identifyGateway } from "../lock/identify.ts";
import type { BindPlan } from "./bind.ts";

/** Listens one server on host:port; resolves when bound, rejects with the raw error. */
function listenOne(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off("listening", onListening);
      reject(err);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ host, port, exclusive: true, ipv6Only: host.includes(":") });
  });
}

/** Explains who holds a port: a onebrain gateway of which brain, or which foreign process. */
export function portHolderError(port: number, host: string, cause: unknown): OnebrainError {
  const listeners = findListeners([port]);
  const l = listeners[0];
  if (!l) {
    return new OnebrainError(
      "PORT_IN_USE",
      `Cannot listen on ${host}:${port}: the address is in use, but no listener is visible (another user's process without root, or a port just released)`,
      {
        details: { port, host },
        hint: "Retry in a moment, or check with `onebrain gateway status`.",
        cause,
      },
    );
  }
  const gw = l.process ? identifyGateway(l.process.pid) : null;
  const who = gw
    ? `another onebrain gateway: pid ${gw.pid} (user ${l.process?.user ?? "?"}, state dir ${gw.stateDir}${gw.owner?.profile ? `, profile ${gw.owner.profile}` : ""})`
    : `a process that is not a onebrain gateway: ${describeListener(l)}`;
  return new OnebrainError("PORT_IN_USE", `Cannot listen on ${host}:${port}: it is held by ${who}`, {
    details: {
      port,
      host,
      listener: { pid: l.process?.pid ?? null, user: l.process?.user ?? null, command: l.process?.command ?? null, address: l.address },
      gateway: gw,
    },
    hint: gw
      ? "Two brains want one port: give one of them another port (--port, gateway.port) or its own profile (--profile NAME)."
      : "Stop that process, pick another port with --port, or use `onebrain gateway run --force` to stop it.",
    cause,
  });
}

/** Binds every host of the plan; optional hosts (::1) are skipped when the host lacks them. */
export async function listenAll(plan: BindPlan, port: number, makeServer: () => http.Server): Promise<{ servers: http.Server[]; hosts: string[] }> {
  const servers: http.Server[] = [];
  const hosts: string[] = [];
  const all = [...plan.hosts.map((h) => ({ h, optional: false })), ...plan.optionalHosts.map((h) => ({ h, optional: true }))];
  try {
    for (const { h, optional } of all) {
      const server = makeServer();
      try {
        await listenOne(server, h, port);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (optional && (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT" || code === "EINVAL")) continue;
        if (code === "EADDRINUSE") throw portHolderError(port, h, err);
        if (code === "EACCES")
          throw new OnebrainError("BIND_FAILED", `Cannot listen on ${h}:${port}: permission denied (ports below 1024 need privileges)`, { cause: err });
        throw new OnebrainError("BIND_FAILED", `Cannot listen on ${h}:${port}: ${code ?? (err as Error).message} (is ${h} an address of this host?)`, {
          details: { host: h, port, errno: code },
          hint: "Check gateway.bind / gateway.customBindHost; onebrain never falls back to another address.",
          cause: err,
        });
      }
      servers.push(server);
      hosts.push(h);
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  return { servers, hosts };
}
