/**
 * Frames to one client within one turn of the event loop leave in one write: the first frame
 * corks the client's socket and the turn's end (`setImmediate`) uncorks it. Under load a client
 * gets its `res` and the `chat` deltas and finals of many runs per turn; one writev instead of
 * one per frame saves a syscall and a wake-up of the reader each time. Latency grows by less than
 * a turn.
 */
import type { Duplex } from "node:stream";

export class TurnBatcher {
  private readonly corked = new Set<Duplex>();
  private scheduled = false;

  /** Call before writing a frame to `socket`. */
  hold(socket: Duplex): void {
    if (this.corked.has(socket)) return;
    socket.cork();
    this.corked.add(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.release());
    }
  }

  /** Writes what the turn held (also when a socket must be flushed before closing). */
  release(): void {
    this.scheduled = false;
    for (const s of this.corked) s.uncork();
    this.corked.clear();
  }
}
