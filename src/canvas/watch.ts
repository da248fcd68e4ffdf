/**
 * Watches the canvas root for the live-reload sockets. Lazy: nothing watches until the first
 * subscriber, and `lingerMs` after the last one left everything stops, so an idle gateway holds
 * no inotify watch and no timer. The linger spans a page's own reload (its socket closes, the new
 * page's opens): a change in between still counts in `generation`, which the new page compares. Changes are gathered for `debounceMs` after the first and reported together, names
 * starting with `.` (the temp files of atomic writes) left out. The root may be removed and made
 * again, or replaced by a rename: a light check of its identity every `checkMs` notices, watches
 * the new directory once it exists, and reports that as a change.
 */
import fs from "node:fs";
import path from "node:path";

/** Called with the changed paths below the root (`.` for the root itself), at most once per debounce. */
export type ChangeListener = (changed: string[]) => void;

/** Most paths reported in one change; the rest are dropped (a reload reloads everything anyway). */
const MAX_REPORTED = 100;

export interface WatcherOptions {
  /** The root's path (read at each (re)start, so a reload of the path would be seen). */
  root: () => string;
  /** Makes the root on first need (the first subscriber); a later removal is waited out, not undone. */
  ensureRoot: () => void;
  debounceMs?: number;
  checkMs?: number;
  /** How long the watch outlives its last subscriber. */
  lingerMs?: number;
  /** A watch that could not start or broke (logged by the caller). */
  onError?: (err: Error) => void;
  /** For tests: `fs.watch`. */
  watch?: typeof fs.watch;
}

/** The identity of a directory, or null when it is not one (gone, or a file). */
function identity(dir: string): string | null {
  try {
    const st = fs.statSync(dir);
    return st.isDirectory() ? `${st.dev}:${st.ino}` : null;
  } catch {
    return null;
  }
}

/** The lazy, debounced watcher of one canvas root. */
export class CanvasWatcher {
  private readonly listeners = new Set<ChangeListener>();
  private watcher: fs.FSWatcher | null = null;
  private watched: string | null = null;
  private check: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private linger: NodeJS.Timeout | null = null;
  /** Changes reported so far (while watching): a page compares the one it was served under. */
  generation = 0;
  private readonly pending = new Set<string>();
  private readonly o: Required<Omit<WatcherOptions, "onError">> & Pick<WatcherOptions, "onError">;

  constructor(o: WatcherOptions) {
    this.o = { debounceMs: 100, checkMs: 1000, lingerMs: 10_000, watch: fs.watch, ...o };
  }

  /** Adds a listener; the first one starts the watch (unless it still lingers). Returns the function that removes it. */
  subscribe(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    if (this.check === null) this.start();
    return () => {
      if (!this.listeners.delete(fn) || this.listeners.size > 0) return;
      if (this.o.lingerMs <= 0) return this.stop();
      this.linger = setTimeout(() => this.stop(), this.o.lingerMs);
      this.linger.unref();
    };
  }

  /** True while something is watched or checked (tests: nothing is left after the last subscriber). */
  get active(): boolean {
    return this.watcher !== null || this.check !== null || this.debounce !== null || this.linger !== null;
  }

  /** Listeners now. */
  get size(): number {
    return this.listeners.size;
  }

  /** Stops watching and forgets every listener (gateway stop). */
  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private start(): void {
    try {
      this.o.ensureRoot();
    } catch (err) {
      this.o.onError?.(err as Error);
    }
    this.watchRoot();
    this.check = setInterval(() => this.checkRoot(), this.o.checkMs);
    this.check.unref();
  }

  private stop(): void {
    this.unwatch();
    if (this.check) clearInterval(this.check);
    if (this.debounce) clearTimeout(this.debounce);
    if (this.linger) clearTimeout(this.linger);
    this.check = this.debounce = this.linger = null;
    this.pending.clear();
  }

  private watchRoot(): void {
    const root = this.o.root();
    this.watched = identity(root);
    if (this.watched === null) return; // not there (yet): checkRoot watches it once it is
    try {
      const w = this.o.watch(root, { recursive: true, persistent: false });
      w.on("change", (_event, name) => {
        const rel = typeof name === "string" ? name : (name?.toString() ?? "");
        // An event of the root itself (it was removed): this watch is done. checkRoot starts a new
        // one once a root is there again; its identity cannot tell, as tmpfs reuses inode numbers.
        if (rel === "") this.unwatch();
        this.changed(rel || ".");
      });
      // A watch that breaks (the root removed under it) is dropped; checkRoot starts a new one.
      w.on("error", (err) => {
        this.o.onError?.(err);
        this.unwatch();
      });
      this.watcher = w;
    } catch (err) {
      this.o.onError?.(err as Error);
      this.watched = null;
    }
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = null;
    this.watched = null;
  }

  /** The root removed, replaced or made again: watch what is there now and report it. */
  private checkRoot(): void {
    const now = identity(this.o.root());
    if (now === this.watched && (now === null || this.watcher !== null)) return;
    this.unwatch();
    this.watchRoot();
    this.changed(".");
  }

  private changed(name: string): void {
    if (name !== "." && name.split(path.sep).some((part) => part.startsWith("."))) return;
    if (this.pending.size < MAX_REPORTED) this.pending.add(name);
    // Not pushed back by later events: a file rewritten without pause is still reported in time.
    if (this.debounce) return;
    this.debounce = setTimeout(() => this.flush(), this.o.debounceMs);
    this.debounce.unref();
  }

  private flush(): void {
    this.debounce = null;
    const changed = [...this.pending];
    this.pending.clear();
    if (changed.length === 0) return;
    this.generation++;
    for (const fn of this.listeners) fn(changed);
  }
}
