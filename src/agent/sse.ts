/**
 * A small Server-Sent Events parser (the WHATWG `text/event-stream` rules) over a response body.
 * Both model wire formats stream this way; chunk boundaries fall anywhere, even inside a
 * `\r\n` pair or a multi-byte character, so the parser buffers until a line is complete.
 */

/** One dispatched event: `event` defaults to "message"; `data` joins multi-line data with "\n". */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Yields the events of an SSE body: text chunks (already decoded) or bytes (decoded here, a
 * character split between chunks included). Stopping early returns the body's iterator, which
 * lets its connection go.
 */
export async function* parseSse(body: AsyncIterable<string | Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const parser = new SseLineParser();
  for await (const chunk of body) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    const events = parser.push(text);
    for (let i = 0; i < events.length; i++) yield events[i]!;
  }
  yield* parser.push(decoder.decode(), true);
}

/** The line-level state machine, separate from I/O so the edge cases are easy to test. */
export class SseLineParser {
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #id: string | undefined;
  #started = false;

  /** Feeds text; returns the events completed by it. `end` flushes a last unterminated event. */
  push(text: string, end = false): SseEvent[] {
    this.#buffer += text;
    if (!this.#started && this.#buffer.length > 0) {
      this.#started = true;
      if (this.#buffer.startsWith("\uFEFF")) this.#buffer = this.#buffer.slice(1);
    }
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const ch = this.#buffer[i];
      if (ch !== "\n" && ch !== "\r") continue;
      // A trailing "\r" may be the first half of "\r\n": wait for the next chunk to decide.
      if (ch === "\r" && i === this.#buffer.length - 1 && !end) break;
      this.#line(this.#buffer.slice(start, i), out);
      if (ch === "\r" && this.#buffer[i + 1] === "\n") i++;
      start = i + 1;
    }
    this.#buffer = this.#buffer.slice(start);
    if (end) {
      if (this.#buffer.length > 0) this.#line(this.#buffer, out);
      this.#buffer = "";
      // Some servers close without the final blank line; the event is complete, so keep it.
      this.#dispatch(out);
    }
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === "") return this.#dispatch(out);
    if (line.startsWith(":")) return; // a comment, used as a keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    // "retry" and unknown fields are ignored: we never reconnect a model stream.
  }

  #dispatch(out: SseEvent[]): void {
    if (this.#data.length > 0) {
      out.push({ event: this.#event || "message", data: this.#data.join("\n"), ...(this.#id !== undefined ? { id: this.#id } : {}) });
    }
    this.#event = "";
    this.#data = [];
  }
}
