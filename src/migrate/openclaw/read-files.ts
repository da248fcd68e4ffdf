/**
 * The file layout of Clawdbot 2026.1.x, Moltbot and OpenClaw before 2026.7.2: per agent
 * `agents/<id>/sessions/sessions.json` (key -> entry) with `<sessionId>.jsonl` transcripts and
 * `agents/<id>/agent/auth-profiles.json`; `cron/jobs.json`; pairing allowlists in
 * `credentials/<channel>[-<account>]-allowFrom.json`. Each reader returns what it could read and
 * what it left with why; none throws for a broken file, none writes.
 */
import fs from "node:fs";
import path from "node:path";
import { parseJson5 } from "../../config/load.ts";
import { readLines } from "./lines.ts";
import { asObject, asText, asTime, entryHints, type SourceAuthStore, type SourceCronJob, type SourcePairing, type SourceSession } from "./snapshot.ts";

/** The largest JSON store read whole (sessions.json carries skill snapshots; it can reach megabytes). */
const MAX_STORE_BYTES = 256 * 1024 * 1024;

/** Parses a JSON (or JSON5) file; throws with a sentence naming the file. */
export function readJsonFile(file: string): unknown {
  const st = fs.statSync(file);
  if (!st.isFile()) throw new Error(`${file} is not a regular file`);
  if (st.size > MAX_STORE_BYTES) throw new Error(`${file} is ${Math.round(st.size / 1048576)} MiB, more than the ${MAX_STORE_BYTES / 1048576} MiB read`);
  const text = fs.readFileSync(file, "utf8");
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseJson5(text);
    } catch (err) {
      throw new Error(`${file} is not JSON: ${(err as Error).message.replace(/^JSON5: /, "")}`, { cause: err });
    }
  }
}

const exists = (f: string) => fs.statSync(f, { throwIfNoEntry: false })?.isFile() === true;

/** The transcript of an entry: the file of `sessionFile` in the sessions dir (the entry's path may be from another machine), then `<sessionId>.jsonl`, then the path as given. */
function transcriptOf(dir: string, key: string, e: Record<string, unknown>, sessionId: string): string | null {
  const given = asText(e.sessionFile);
  const topic = /:topic:([^:]+)$/.exec(key)?.[1];
  const candidates = [
    ...(given ? [path.join(dir, path.basename(given))] : []),
    path.join(dir, `${sessionId}.jsonl`),
    ...(topic ? [path.join(dir, `${sessionId}-topic-${topic}.jsonl`)] : []),
    ...(given && path.isAbsolute(given) ? [given] : []),
  ];
  return candidates.find(exists) ?? null;
}

/** The sessions of one agent's `sessions.json`. */
export function readFileSessions(agentId: string, storeFile: string, home: string): { sessions: SourceSession[]; problem: string | null } {
  if (!exists(storeFile)) return { sessions: [], problem: null };
  let store: Record<string, unknown> | null;
  try {
    store = asObject(readJsonFile(storeFile));
    if (!store) return { sessions: [], problem: `${storeFile} is not an object of sessions` };
  } catch (err) {
    return { sessions: [], problem: (err as Error).message };
  }
  const dir = path.dirname(storeFile);
  const sessions: SourceSession[] = [];
  for (const [key, value] of Object.entries(store)) {
    const e = asObject(value) ?? {};
    const sessionId = asText(e.sessionId) ?? "";
    const file = sessionId ? transcriptOf(dir, key, e, sessionId) : null;
    const where = file ? file.replace(home, "~") : `${storeFile.replace(home, "~")} [${JSON.stringify(key).slice(0, 80)}]`;
    sessions.push({
      agentId,
      key,
      sessionId,
      current: true,
      entry: e,
      hints: entryHints(e),
      startedAt: null,
      updatedAt: asTime(e.updatedAt),
      where,
      lines: file ? () => readLines(file) : null,
      ...(file ? {} : { missing: sessionId ? "its transcript file is missing" : "its entry has no sessionId" }),
    });
  }
  return { sessions, problem: null };
}

/** The agents' session stores: `agents/<id>/sessions/sessions.json` (or `session.store` with `{agentId}`), and the older `sessions/sessions.json` of agent main. */
export function fileSessionStores(dir: string, storeTemplate: string | undefined, home: string): Array<{ agentId: string; file: string }> {
  const agentsDir = path.join(dir, "agents");
  const ids = fs.statSync(agentsDir, { throwIfNoEntry: false })?.isDirectory() ? fs.readdirSync(agentsDir).sort() : [];
  const expand = (p: string) => (p.startsWith("~/") ? path.join(home, p.slice(2)) : path.resolve(dir, p));
  const stores = ids.map((agentId) => ({
    agentId,
    file: storeTemplate?.includes("{agentId}")
      ? expand(storeTemplate.replaceAll("{agentId}", agentId))
      : path.join(agentsDir, agentId, "sessions", "sessions.json"),
  }));
  const legacy = path.join(dir, "sessions", "sessions.json");
  if (exists(legacy) && !ids.includes("main")) stores.push({ agentId: "main", file: legacy });
  return stores;
}

/** Cron jobs of `cron/jobs.json` (or `cron.store`). */
export function readFileCron(file: string): { jobs: SourceCronJob[]; problem: string | null } {
  if (!exists(file)) return { jobs: [], problem: null };
  try {
    const raw = readJsonFile(file);
    const list = Array.isArray(raw) ? raw : asObject(raw)?.jobs;
    if (!Array.isArray(list)) return { jobs: [], problem: `${file} has no list of jobs` };
    return {
      jobs: list.flatMap((j) => (asObject(j) ? [{ job: asObject(j)!, declarationKey: asText(asObject(j)!.declarationKey) ?? null }] : [])),
      problem: null,
    };
  } catch (err) {
    return { jobs: [], problem: (err as Error).message };
  }
}

/** Approved senders (`<channel>[-<account>]-allowFrom.json`) and the number of pending requests (`*-pairing.json`). */
export function readFilePairing(credentialsDir: string): { entries: SourcePairing[]; pending: number; problems: string[] } {
  const entries: SourcePairing[] = [];
  const problems: string[] = [];
  let pending = 0;
  let names: string[] = [];
  try {
    names = fs.readdirSync(credentialsDir).sort();
  } catch {
    return { entries, pending, problems };
  }
  for (const name of names) {
    const file = path.join(credentialsDir, name);
    const allow = /^([a-z0-9]+)(?:-(.+))?-allowFrom\.json$/.exec(name);
    const ask = name.endsWith("-pairing.json");
    if (!allow && !ask) continue;
    try {
      const o = asObject(readJsonFile(file)) ?? {};
      if (ask) pending += Array.isArray(o.requests) ? o.requests.length : 0;
      else
        for (const e of Array.isArray(o.allowFrom) ? o.allowFrom : []) {
          const entry = asText(e);
          if (entry) entries.push({ channel: allow![1]!, account: allow![2] ?? "default", entry });
        }
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return { entries, pending, problems };
}

/** An agent's `auth-profiles.json` (also the older flat `{provider: credential}` form). */
export function readFileAuth(agentId: string, file: string): SourceAuthStore | { problem: string } | null {
  if (!exists(file)) return null;
  try {
    const o = asObject(readJsonFile(file)) ?? {};
    const nested = asObject(o.profiles);
    const profiles: Record<string, Record<string, unknown>> = {};
    if (nested) {
      for (const [id, p] of Object.entries(nested)) if (asObject(p)) profiles[id] = asObject(p)!;
    } else {
      for (const [provider, p] of Object.entries(o))
        if (asObject(p) && typeof asObject(p)!.type === "string") profiles[`${provider}:default`] = { provider, ...asObject(p)! };
    }
    return { agentId, profiles, where: file };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}
