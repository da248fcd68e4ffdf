/**
 * The imported settings into this brain's config file. The mapped config is first cut down to
 * what onebrain's schema accepts (each key it refuses is left, with the schema's reason), then
 * merged into the file as `migrate` merges: keys this brain already sets are kept unless
 * `--force` (reported as left). The new text keeps the file's comments and layout where the
 * editor can; it is validated, then written in one atomic rename (the old file kept beside it).
 */
import fs from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { describeIssues, parseConfigText, validateConfig } from "../../config/load.ts";
import { setInText } from "../../config/json5-edit.ts";
import { configSchema, type Config } from "../../config/schema.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { writeFileAtomic } from "../../shared/fs-atomic.ts";
import { fileStamp } from "../../store/backup.ts";
import { planConfigMerge } from "../config-merge.ts";
import type { Ledger, SectionName } from "./report.ts";

type Raw = Record<string, unknown>;

export interface ConfigPlan {
  /** The file's object after the import. */
  merged: Raw;
  /** It parsed with defaults: what the database steps check against (agents, channels). */
  parsed: Readonly<Config>;
  /** The new file text, or null when nothing changes. */
  text: string | null;
  /** Top-level keys that change. */
  sections: string[];
}

/** The report section a config key belongs to. */
export function sectionOf(key: string): SectionName {
  const top = key.split(".")[0]!;
  if (top === "tools") return "agents";
  return (["gateway", "models", "channels", "session", "agents", "bindings"] as const).find((s) => s === top) ?? "other";
}

/** Removes the value at `path` (an array element at the first index in it, so one bad binding does not take the others). */
function removeAt(root: Raw, path: ReadonlyArray<string | number>): string | null {
  const cut = path.findIndex((p) => typeof p === "number");
  const at = cut >= 0 ? path.slice(0, cut + 1) : path;
  let node: unknown = root;
  for (const seg of at.slice(0, -1)) {
    if (node === null || typeof node !== "object") return null;
    node = (node as Record<string | number, unknown>)[seg];
  }
  const last = at.at(-1);
  if (last === undefined || node === null || typeof node !== "object") return null;
  if (Array.isArray(node) && typeof last === "number") node.splice(last, 1);
  else if (Object.hasOwn(node, last)) delete (node as Raw)[last];
  else return null;
  // An emptied object or list says nothing: drop it too, up the path.
  for (let i = at.length - 1; i > 0; i--) {
    const parent = at.slice(0, i).reduce<unknown>((n, s) => (n as Record<string | number, unknown>)[s], root);
    const empty = Array.isArray(parent) ? parent.length === 0 : parent && typeof parent === "object" && Object.keys(parent).length === 0;
    if (!empty) break;
    const above = at.slice(0, i - 1).reduce<unknown>((n, s) => (n as Record<string | number, unknown>)[s], root) as Raw;
    delete above[at[i - 1] as string];
  }
  return at.join(".");
}

/** Cuts `imported` down to what the schema accepts on its own; each cut is reported. */
export function pruneToSchema(imported: Raw, ledger: Ledger): void {
  for (let round = 0; round < 200; round++) {
    const r = configSchema.safeParse(imported);
    if (r.success) return;
    let progress = false;
    const issues = r.error.issues as unknown as Array<{ code: string; path: Array<string | number>; message: string; keys?: string[] }>;
    const problems = describeIssues(imported, issues as never);
    issues.forEach((issue, i) => {
      const paths = issue.code === "unrecognized_keys" && issue.keys ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const p of paths) {
        const removed = removeAt(imported, p);
        if (removed === null) continue;
        progress = true;
        ledger.left(sectionOf(removed), removed, `onebrain's config refuses it: ${problems[i]?.message ?? issue.message}`);
      }
    });
    if (!progress) return;
  }
}

/** Where a value sits, as a dotted key. */
function get(root: Raw, key: string): unknown {
  return key.split(".").reduce<unknown>((n, s) => (n && typeof n === "object" ? (n as Raw)[s] : undefined), root);
}

/** Plans the file: merge, validate (backing out imported keys the whole file refuses), render. */
export function planConfig(o: {
  file: string;
  text: string | undefined;
  mine: Raw;
  imported: Raw;
  force: boolean;
  sourceDir: string;
  ledger: Ledger;
}): ConfigPlan {
  const plan = planConfigMerge(o.mine, o.imported, { force: o.force, otherStateDir: o.sourceDir, keepLocation: true });
  const merged = plan.merged;
  for (const s of plan.skipped) o.ledger.left(sectionOf(s.key), s.key, s.reason);
  let parsed: Readonly<Config> | null = null;
  for (let round = 0; round < 50 && !parsed; round++) {
    try {
      parsed = validateConfig(merged, o.file);
    } catch (err) {
      const problems = ((err as OnebrainError).details?.problems ?? []) as Array<{ path: string; message: string }>;
      const ours = [...plan.added, ...plan.replaced];
      let progress = false;
      for (const p of problems) {
        const key = ours.find((k) => p.path === k || p.path.startsWith(`${k}.`) || k.startsWith(`${p.path}.`));
        if (!key) continue;
        const before = get(o.mine, key);
        const parent = key
          .split(".")
          .slice(0, -1)
          .reduce<Raw>((n, s) => (n[s] ??= {}) as Raw, merged);
        if (before === undefined) delete parent[key.split(".").at(-1)!];
        else parent[key.split(".").at(-1)!] = structuredClone(before);
        ours.splice(ours.indexOf(key), 1);
        for (const list of [plan.added, plan.replaced]) if (list.includes(key)) list.splice(list.indexOf(key), 1);
        o.ledger.left(sectionOf(key), key, `it does not fit this brain's config: ${p.path}: ${p.message}`);
        progress = true;
      }
      if (!progress)
        throw new OnebrainError("IMPORT_FAILED", `The imported settings would make ${o.file} invalid, so nothing was imported: ${(err as Error).message}`, {
          details: { file: o.file, problems },
          hint: "Fix the key(s) named above in this brain's config (`onebrain config validate`), then run the import again.",
          cause: err,
        });
    }
  }
  if (!parsed) throw new OnebrainError("IMPORT_FAILED", `The imported settings did not settle into a valid config for ${o.file}; nothing was imported`, {});
  const sections = Object.keys(merged).filter((k) => !isDeepStrictEqual(merged[k], o.mine[k]));
  o.ledger.counts.configKeys = plan.added.length + plan.replaced.length;
  return { merged, parsed, sections, text: sections.length ? render(o.text, merged, sections, o.file) : null };
}

/** The file's text edited in place (comments kept) when that reads back as `merged`, else written out whole. */
function render(text: string | undefined, merged: Raw, sections: string[], file: string): string {
  if (text !== undefined && text.trim() !== "") {
    let edited: string | null = text;
    try {
      for (const s of sections) edited = edited === null ? null : merged[s] === undefined ? edited : setInText(edited, [s], merged[s]);
    } catch {
      edited = null;
    }
    if (edited !== null && isDeepStrictEqual(parseConfigText(edited, file), merged)) return edited;
  }
  return `${JSON.stringify(merged, null, 2)}\n`;
}

/** Writes the planned text atomically (0600), keeping the old file as `<file>.before-import-<stamp>`; returns that name. */
export function writeConfig(file: string, text: string, now: number): string | null {
  validateConfig(parseConfigText(text, file), file);
  let keptAs: string | null = null;
  if (fs.existsSync(file)) {
    keptAs = `${file}.before-import-${fileStamp(new Date(now))}`;
    fs.copyFileSync(file, keptAs);
    fs.chmodSync(keptAs, 0o600);
  }
  writeFileAtomic(fs.existsSync(file) ? fs.realpathSync(file) : file, text, { mode: 0o600 });
  return keptAs;
}
