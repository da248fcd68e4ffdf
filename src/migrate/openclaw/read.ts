/**
 * Reads a source state dir into a Snapshot, whichever layout it has. Where both exist (a dir
 * OpenClaw's doctor half-migrated), the SQLite store wins for what it holds, as it does for
 * OpenClaw: an agent with a database is read from it, else from its files; cron, pairing and the
 * default agent's auth store come from the state database when there is one. Nothing in the
 * source is written (databases are read from private copies).
 */
import fs from "node:fs";
import path from "node:path";
import type { Env } from "../../paths/paths.ts";
import { readOpenclawConfig } from "./read-config.ts";
import { fileSessionStores, readFileAuth, readFileCron, readFilePairing, readFileSessions } from "./read-files.ts";
import { DatabaseCopies, KNOWN_AGENT_SCHEMA, KNOWN_STATE_SCHEMA, readAgentAuth, readAgentDatabase, readStateDatabase } from "./read-sqlite.ts";
import { asObject, asText, defaultAgentOf, type Snapshot, type SourceAuthStore } from "./snapshot.ts";
import type { SourceDir } from "./source.ts";

const isFile = (f: string) => fs.statSync(f, { throwIfNoEntry: false })?.isFile() === true;

/** Reads everything an import maps; throws IMPORT_SOURCE_UNREADABLE / IMPORT_SOURCE_TOO_NEW for a database it cannot read. */
export function readSnapshot(source: SourceDir, o: { home: string; env: Env }): Snapshot {
  const copies = new DatabaseCopies();
  try {
    return read(source, o, copies);
  } catch (err) {
    copies.close();
    throw err;
  }
}

function read(source: SourceDir, o: { home: string; env: Env }, copies: DatabaseCopies): Snapshot {
  const dir = source.dir;
  const cfg = readOpenclawConfig(source.configFile);
  const config = cfg.config;
  const snap: Snapshot = {
    config,
    configProblem: cfg.problem,
    sessions: [],
    cron: [],
    pairing: [],
    pendingPairing: 0,
    auth: [],
    left: cfg.includesLeft.map((what) => ({ section: "other" as const, what: `$include ${what}`, why: "not followed" })),
    versions: {},
    close: () => copies.close(),
  };
  const defaultAgent = defaultAgentOf(config);

  // Sessions and auth stores, per agent.
  const storeTemplate = asText(asObject(config?.session)?.store);
  const stores = fileSessionStores(dir, storeTemplate, o.home);
  const agentIds = [
    ...new Set([...stores.map((s) => s.agentId), ...(fs.existsSync(path.join(dir, "agents")) ? fs.readdirSync(path.join(dir, "agents")) : [])]),
  ].sort();
  for (const agentId of agentIds) {
    const dbFile = path.join(dir, "agents", agentId, "agent", "openclaw-agent.sqlite");
    let auth: SourceAuthStore | { problem: string } | null;
    if (isFile(dbFile)) {
      const db = copies.openCopy(dbFile);
      const got = readAgentDatabase(agentId, dbFile, db);
      snap.sessions.push(...got.sessions);
      if (got.schema !== null) snap.versions.agentSchema = Math.max(snap.versions.agentSchema ?? 0, got.schema);
      if (got.app) snap.versions.app ??= got.app;
      auth = readAgentAuth(agentId, dbFile, db);
    } else {
      const store = stores.find((s) => s.agentId === agentId);
      if (store) {
        const got = readFileSessions(agentId, store.file, o.home);
        snap.sessions.push(...got.sessions);
        if (got.problem) snap.left.push({ section: "sessions", what: `sessions of agent ${agentId}`, why: got.problem });
      }
      auth = readFileAuth(agentId, path.join(dir, "agents", agentId, "agent", "auth-profiles.json"));
    }
    if (auth && "problem" in auth) snap.left.push({ section: "models", what: `stored keys of agent ${agentId}`, why: auth.problem });
    else if (auth) snap.auth.push(auth);
  }

  // Cron, pairing and the shared auth store.
  const stateDb = path.join(dir, "state", "openclaw.sqlite");
  if (isFile(stateDb)) {
    const got = readStateDatabase(stateDb, copies.openCopy(stateDb), defaultAgent);
    snap.cron = got.cron;
    snap.pairing = got.pairing;
    snap.pendingPairing = got.pending;
    if (got.auth && !snap.auth.some((a) => a.agentId === got.auth!.agentId)) snap.auth.unshift(got.auth);
    if (got.schema !== null) snap.versions.stateSchema = got.schema;
    if (got.app) snap.versions.app = got.app;
  } else {
    const cronStore = asText(asObject(config?.cron)?.store);
    const cronFile = cronStore
      ? cronStore.startsWith("~/")
        ? path.join(o.home, cronStore.slice(2))
        : path.resolve(dir, cronStore)
      : path.join(dir, "cron", "jobs.json");
    const cron = readFileCron(cronFile);
    snap.cron = cron.jobs;
    if (cron.problem) snap.left.push({ section: "cron", what: "cron jobs", why: cron.problem });
    const credentials = o.env.OPENCLAW_OAUTH_DIR?.trim() ? path.resolve(o.env.OPENCLAW_OAUTH_DIR) : path.join(dir, "credentials");
    const pairing = readFilePairing(credentials);
    snap.pairing = pairing.entries;
    snap.pendingPairing = pairing.pending;
    for (const p of pairing.problems) snap.left.push({ section: "pairing", what: "a pairing allowlist", why: p });
  }
  const newer = [
    snap.versions.agentSchema !== undefined && snap.versions.agentSchema > KNOWN_AGENT_SCHEMA
      ? `agent schema ${snap.versions.agentSchema} (known: ${KNOWN_AGENT_SCHEMA})`
      : null,
    snap.versions.stateSchema !== undefined && snap.versions.stateSchema > KNOWN_STATE_SCHEMA
      ? `state schema ${snap.versions.stateSchema} (known: ${KNOWN_STATE_SCHEMA})`
      : null,
  ].filter(Boolean);
  if (newer.length)
    snap.left.push({
      section: "other",
      what: `whatever is new in ${newer.join(" and ")}`,
      why: "not read: this onebrain knows OpenClaw 2026.9.6's layout (every table and column it reads was there)",
    });
  return snap;
}
