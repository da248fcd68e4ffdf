/** Formatting for the pages: every missing value is shown as "—", never as a made-up default. */

export const DASH = "—";

/** `v` as text, or "—" when it is null, undefined or empty. */
export function show(v: unknown): string {
  if (v === null || v === undefined || v === "") return DASH;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return JSON.stringify(v) ?? DASH;
}

/** A byte count as KB/MB/GB. */
export function bytes(n: unknown): string {
  if (typeof n !== "number" || !Number.isFinite(n)) return DASH;
  const units = ["B", "KB", "MB", "GB"];
  let v = n;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A duration as "3 d 4 h", "5 min 2 s", "850 ms". */
export function duration(ms: unknown): string {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400),
    h = Math.floor((s % 86400) / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${r} s`;
  return `${r} s`;
}

/** An epoch-ms or ISO time as local date and time. */
export function time(t: unknown): string {
  if (typeof t !== "number" && typeof t !== "string") return DASH;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? DASH : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

/** How long ago an epoch-ms or ISO time was, relative to `now`. */
export function ago(t: unknown, now: number): string {
  if (typeof t !== "number" && typeof t !== "string") return DASH;
  const ms = now - new Date(t).getTime();
  if (!Number.isFinite(ms)) return DASH;
  if (ms < 5_000) return "just now";
  return `${duration(ms)} ago`;
}

/** Milliseconds with one decimal. */
export function millis(v: unknown): string {
  return typeof v === "number" && Number.isFinite(v) ? `${v.toFixed(1)} ms` : DASH;
}
