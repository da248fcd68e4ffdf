/**
 * A command's output within a byte budget: the first half and the last half are kept (the start
 * says what ran, the end usually holds the error), the middle is counted and dropped.
 */

/** Bounded capture of a stream of chunks. */
export class OutputCap {
  private readonly headCap: number;
  private readonly tailCap: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Every byte seen, kept or not. */
  total = 0;

  constructor(maxBytes: number) {
    this.headCap = Math.floor(maxBytes / 2);
    this.tailCap = maxBytes - this.headCap;
  }

  /** Takes one chunk. */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headCap) {
      const take = rest.subarray(0, this.headCap - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      rest = rest.subarray(take.length);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    while (this.tailBytes - (this.tail[0]?.length ?? 0) >= this.tailCap) this.tailBytes -= this.tail.shift()?.length ?? 0;
  }

  /** Bytes seen but not kept. */
  get dropped(): number {
    return this.total - this.headBytes - Math.min(this.tailBytes, this.tailCap);
  }

  /** The kept text, with a marker where bytes were dropped. */
  text(): string {
    const tail = Buffer.concat(this.tail);
    const kept = tail.subarray(Math.max(0, tail.length - this.tailCap));
    const head = Buffer.concat(this.head).toString("utf8");
    const dropped = this.dropped;
    if (dropped === 0) return head + kept.toString("utf8");
    return `${head}\n[... ${dropped} bytes dropped ...]\n${kept.toString("utf8")}`;
  }
}
