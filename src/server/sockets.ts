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
import type { LogThrottle } from "../logging/throttle.ts";

/** Where guarded errors go. */
export type SocketErrorSink = (err: Error, where: "socket" | "server") => void;

/** Keeps socket and server errors of `server` away from the process, reporting them to `sink`. */
export function guardServer(server: http.Server, sink: SocketErrorSink): void {
  server.on("connection", (socket) => socket.on("error", (err) => sink(err, "socket")));
  server.on("error", (err) => sink(err, "server"));
}

/**
 * Logs a guarded error: a client's socket error at debug (a reset is that client's business), a
 * server error at warn; both rate limited, so a flood of resets costs a line a minute.
 */
export function logSocketError(throttle: LogThrottle, err: Error, where: "socket" | "server"): void {
  const fields = { code: (err as NodeJS.ErrnoException).code ?? null, err: err.message };
  if (where === "server") throttle.log("warn", fields, "server error (the gateway keeps running)", 1);
  else throttle.log("debug", fields, "client socket error (only that client's connection ends)", 1);
}
