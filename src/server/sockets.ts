/**
 * Socket errors stay with their socket. An 'error' event with no listener is thrown by Node and
 * ends the process, so one client that resets its connection while we write to it (a refused
 * upgrade, a response, a frame) could stop the gateway. Node's HTTP server listens for errors on
 * a socket only while it parses HTTP: it removes its listener when the socket is handed to the
 * 'upgrade' event, and `ws` adds its own only once it takes the socket. So every accepted socket
 * gets a listener of ours for its whole life, and the server itself one for accept errors
 * (EMFILE under a connection flood), which must not end the process either.
 */
import type http from "node:http";
import type { Logger } from "pino";

/** Where guarded errors go. */
export type SocketErrorSink = (err: Error, where: "socket" | "server") => void;

/** Keeps socket and server errors of `server` away from the process, reporting them to `sink`. */
export function guardServer(server: http.Server, sink: SocketErrorSink): void {
  server.on("connection", (socket) => socket.on("error", (err) => sink(err, "socket")));
  server.on("error", (err) => sink(err, "server"));
}

/**
 * Logs guarded errors: a client's socket error at debug (a reset is that client's business), a
 * server error at warn. Each kind logs its first error, then at most one line a minute with the
 * count since, so a flood of resets costs almost nothing.
 */
export function logSocketErrors(logger: Pick<Logger, "debug" | "warn">, now: () => number = Date.now): SocketErrorSink {
  const state = { socket: { count: 0, loggedAt: -Infinity }, server: { count: 0, loggedAt: -Infinity } };
  return (err, where) => {
    const s = state[where];
    s.count++;
    if (now() - s.loggedAt < 60_000) return;
    const e = err as NodeJS.ErrnoException;
    const fields = { code: e.code ?? null, err: e.message, count: s.count };
    if (where === "server") logger.warn(fields, "server error (the gateway keeps running)");
    else logger.debug(fields, "client socket error (only that client's connection ends)");
    s.loggedAt = now();
    s.count = 0;
  };
}
