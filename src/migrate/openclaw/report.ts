/**
 * What `onebrain import openclaw` took and what it left, section by section, each item with its
 * reason: the one record every step of the import writes to, and what the command prints (a few
 * lines per section) or hands over whole with `--json`. Values of secrets never enter it: items
 * name keys, ids and counts.
 */

/** The parts of an OpenClaw state the report is organised by, in the order it prints them. */
export const SECTIONS = ["gateway", "models", "channels", "session", "agents", "bindings", "workspace", "sessions", "cron", "pairing", "other"] as const;

export type SectionName = (typeof SECTIONS)[number];

/** One thing taken (with an optional note) or left (with why). */
export interface ReportItem {
  what: string;
  why?: string;
}

export interface SectionReport {
  took: ReportItem[];
  left: ReportItem[];
}

/** Exact counts: what a dry run reports is what the real run does. */
export interface ImportCounts {
  configKeys: number;
  agents: number;
  bindings: number;
  sessions: number;
  /** Imported sessions that are older generations of a key (or share a key with a newer one): imported as ended. */
  sessionsEnded: number;
  /** Sessions whose key this brain already has: skipped. */
  sessionsSkipped: number;
  /** Sessions that could not be brought over (odd key, nothing readable). */
  sessionsLeft: number;
  messages: number;
  toolLines: number;
  /** Transcript lines left out (not JSON, too big, heartbeat polls, other branches, images, ...). */
  linesLeft: number;
  cronJobs: number;
  cronLeft: number;
  pairings: number;
}

/** The running record of an import. */
export class Ledger {
  readonly sections: Record<SectionName, SectionReport>;
  readonly counts: ImportCounts = {
    configKeys: 0,
    agents: 0,
    bindings: 0,
    sessions: 0,
    sessionsEnded: 0,
    sessionsSkipped: 0,
    sessionsLeft: 0,
    messages: 0,
    toolLines: 0,
    linesLeft: 0,
    cronJobs: 0,
    cronLeft: 0,
    pairings: 0,
  };
  /** What the user does next, one sentence or command each (set VAR, start the gateway, ...). */
  readonly next: string[] = [];

  constructor() {
    this.sections = Object.fromEntries(SECTIONS.map((s) => [s, { took: [], left: [] }])) as unknown as Record<SectionName, SectionReport>;
  }

  /** Records something brought over. */
  took(section: SectionName, what: string, why?: string): void {
    this.sections[section].took.push(why === undefined ? { what } : { what, why });
  }

  /** Records something left behind, and why. */
  left(section: SectionName, what: string, why: string): void {
    this.sections[section].left.push({ what, why });
  }

  /** Adds a next step once. */
  todo(step: string): void {
    if (!this.next.includes(step)) this.next.push(step);
  }

  /** A copy for a transaction that may be rolled back: the ledger's state is restored from it. */
  snapshot(): string {
    return JSON.stringify({ sections: this.sections, counts: this.counts, next: this.next });
  }

  restore(snapshot: string): void {
    const s = JSON.parse(snapshot) as { sections: Record<SectionName, SectionReport>; counts: ImportCounts; next: string[] };
    Object.assign(this.sections, s.sections);
    Object.assign(this.counts, s.counts);
    this.next.splice(0, Infinity, ...s.next);
  }
}

/** `n thing(s)`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
