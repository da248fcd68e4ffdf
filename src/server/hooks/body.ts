/**
 * A webhook's body read under its cap. A body declared larger than the cap is refused before a
 * byte of it is read; one that grows past it is refused as soon as it does, and nothing more is
 * read (the answer closes the connection: hooks.ts). A sender that resets mid-body is nobody to
 * answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export type BodyResult = { ok: true; raw: Buffer } | { ok: false; why: "too-large" | "aborted" };

/** Reads the whole body of `req` if it is at most `max` bytes. */
export function readBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > max) return Promise.resolve({ ok: false, why: "too-large" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (r: BodyResult): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      req.off("error", onClose);
      if (!r.ok) req.pause();
      resolve(r);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > max) return finish({ ok: false, why: "too-large" });
      chunks.push(c);
    };
    const onEnd = (): void => finish({ ok: true, raw: Buffer.concat(chunks, size) });
    // Closed before its end: the sender reset or gave up (an 'error' may come with it).
    const onClose = (): void => finish({ ok: false, why: "aborted" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
    req.on("error", onClose);
  });
}

/** How long, and how many bytes, a refused body is still read (and dropped) after the answer. */
const LINGER_MS = 2000;
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * Makes the close after an answer to an unread body a lingering one. Node closes such a
 * connection as soon as the answer is written; with the sender's bytes still arriving, the
 * kernel then resets it, and the reset can reach the sender before it has read the answer (a
 * 413 lost as EPIPE). So our end is shut first, then what still comes is read and dropped, for
 * at most 2 s or 16 MiB, until the sender closes. Call before answering with `Connection: close`.
 */
export function lingerOnClose(req: IncomingMessage, res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return;
  // Node ends a `Connection: close` exchange with socket.destroySoon(): this socket's own does the above.
  socket.destroySoon = function lingeringClose(this: typeof socket): void {
    this.end();
    req.resume();
    let dropped = 0;
    const stop = (): void => void this.destroy();
    const timer = setTimeout(stop, LINGER_MS);
    timer.unref();
    this.on("data", (c: Buffer) => {
      dropped += c.length;
      if (dropped > LINGER_BYTES) stop();
    });
    this.once("end", stop);
    this.once("close", () => clearTimeout(timer));
    if (this.readableEnded) stop();
  };
}
