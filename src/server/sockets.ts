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
import type { Duplex } from "node:stream";
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

/** The answer to each kind of request Node's parser gives up on; anything else gets 400. */
const CLIENT_ERROR_ANSWERS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout"],
  ERR_HTTP_HEADERS_TIMEOUT: [408, "Request Timeout"],
};

/** The status and reason for a `clientError`, or null when there is nobody to answer (the client reset or left). */
export function clientErrorAnswer(err: NodeJS.ErrnoException): [number, string] | null {
  if (err.code === "ECONNRESET" || err.code === "EPIPE") return null;
  return CLIENT_ERROR_ANSWERS[err.code ?? ""] ?? [400, "Bad Request"];
}

/**
 * Answers a request Node's HTTP parser refused (malformed request line, headers too large, too
 * slow to send its headers) as Node's default would, then ends the connection: 400, 431 or 408
 * with `Connection: close`, written only while the socket can take it and no answer has begun on
 * it (a pipelined request after a response in progress must not cut into that response), and
 * destroyed once written. A client that resets meanwhile only ends its own socket: its error
 * goes to the socket's guard listener, never to the process.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const answer = clientErrorAnswer(err);
  // Node's own default handler looks at the same field to know whether an answer has begun.
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (!answer || inProgress || !socket.writable || socket.destroyed) return void socket.destroy();
  const [status, reason] = answer;
  try {
    socket.once("finish", () => socket.destroy());
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  } catch {
    socket.destroy();
  }
  // A client that never reads its answer must not hold the socket: it is destroyed after a second.
  setTimeout(() => socket.destroy(), 1000).unref();
}
