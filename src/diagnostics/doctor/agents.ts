/**
 * Several agents on one brain (docs/agents.md): each must have a workspace of its own, or one
 * agent's tools read and overwrite another's files and its notes show up in the other's memory.
 * Two agents whose workspaces are one directory (compared by real path: symlinks, `..` and
 * relative paths resolved), or one inside the other, fail. A binding that can never match (its
 * agent is not configured, its channel does not run here, its account is not the channel's, or an
 * earlier binding always wins over it) warns. Reads the config and the file system only.
 */
import fs from "node:fs";
import path from "node:path";
import { agentRoster, type AgentProfile } from "../../agents/roster.ts";
import { configuredAccounts } from "../../channels/inspect.ts";
import type { Config } from "../../config/schema.ts";
import type { DoctorCheck, DoctorContext, Finding } from "./types.ts";

/** The real path of `p`, for a path that may not exist yet: its nearest existing ancestor's real path, plus the rest. */
export function realish(p: string): string {
  const rest: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return path.join(at, ...rest.reverse());
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

const inside = (outer: string, inner: string): boolean => inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep);

/** The key that sets an agent's workspace, for the fix. */
function workspaceKey(config: Readonly<Config>, a: AgentProfile): string {
  const i = config.agents.list.findIndex((e) => e.id === a.id);
  if (a.workspaceFrom === "agent") return `agents.list.${i}.workspace`;
  return a.workspaceFrom === "defaults" ? "agents.defaults.workspace" : `agents.list.${i}.workspace`;
}

function workspaceFindings(ctx: DoctorContext, config: Readonly<Config>): Finding[] {
  const roster = agentRoster(config, { stateDir: ctx.paths.stateDir, home: ctx.paths.home });
  const real = roster.agents.map((a) => ({ a, dir: realish(a.workspace) }));
  const out: Finding[] = [];
  for (let i = 0; i < real.length; i++) {
    for (let j = i + 1; j < real.length; j++) {
      const [x, y] = [real[i]!, real[j]!];
      const same = x.dir === y.dir;
      const nested = inside(x.dir, y.dir) ? { outer: x, inner: y } : inside(y.dir, x.dir) ? { outer: y, inner: x } : null;
      if (!same && !nested) continue;
      // The one to move: the inner one, or (same directory) the later one, which is rarely the default.
      const move = nested?.inner ?? y;
      const keep = move === x ? y : x;
      const finding = nested
        ? `agent "${nested.inner.a.id}"'s workspace (${nested.inner.dir}) is inside agent "${nested.outer.a.id}"'s (${nested.outer.dir}): their files and notes mix`
        : `agents "${x.a.id}" and "${y.a.id}" share one workspace (${x.dir}): each reads and overwrites the other's files and notes`;
      out.push({
        id: "agents",
        status: "fail",
        finding,
        fix: `give each agent a directory of its own: set ${workspaceKey(config, move.a)} for "${move.a.id}" to a directory outside "${keep.a.id}"'s (and not around it)`,
        details: { agents: [x.a.id, y.a.id], workspaces: [x.dir, y.dir] },
      });
    }
  }
  if (out.length) return out;
  const list = real.map(({ a, dir }) => `${a.id}${a.isDefault ? " (default)" : ""} ${dir}`).join(", ");
  return [
    {
      id: "agents",
      status: "ok",
      finding: real.length === 1 ? `one agent, ${real[0]!.a.id}, workspace ${real[0]!.dir}` : `${real.length} agents, each with its own workspace: ${list}`,
      details: { agents: real.map((r) => ({ id: r.a.id, workspace: r.dir })) },
    },
  ];
}

/** What a binding's match covers, for spotting one an earlier binding always wins over. */
const matchKey = (m: Config["bindings"][number]["match"]): string =>
  JSON.stringify([
    m.channel,
    m.accountId === undefined || m.accountId === "*" ? "*" : m.accountId,
    m.peer ? [m.peer.kind === "direct" ? "dm" : "group", m.peer.id] : null,
  ]);

function bindingFindings(ctx: DoctorContext, config: Readonly<Config>): Finding[] {
  const roster = agentRoster(config, { stateDir: ctx.paths.stateDir, home: ctx.paths.home });
  const accounts = configuredAccounts(config, ctx.env, ctx.paths.stateDir);
  const seen = new Map<string, number>();
  const out: Finding[] = [];
  config.bindings.forEach((b, i) => {
    const key = `bindings.${i}`;
    const { channel, accountId } = b.match;
    const running = accounts.filter((a) => a.id === channel).map((a) => a.account);
    const earlier = seen.get(matchKey(b.match));
    let why: string | null = null;
    let fix = "";
    if (!roster.get(b.agentId)) {
      why = `names agent "${b.agentId}", which is not configured`;
      fix = `add "${b.agentId}" to agents.list, or point ${key}.agentId at one of ${roster.ids.join(", ")}`;
    } else if (!running.length) {
      why = `is for ${channel}, which does not run in this brain (no credential, or disabled)`;
      fix = `configure the ${channel} channel (\`onebrain channels status\`), or remove ${key}`;
    } else if (accountId !== undefined && accountId !== "*" && !running.includes(accountId)) {
      why = `is for ${channel} account "${accountId}", but this brain's ${channel} account is ${running.join(", ")}`;
      fix = `set ${key}.match.accountId to ${running.map((r) => JSON.stringify(r)).join(" or ")}, or "*" for any`;
    } else if (earlier !== undefined) {
      why = `matches exactly what bindings.${earlier} matches, which comes first and always wins`;
      fix = `remove ${key}, or change bindings.${earlier} if "${b.agentId}" should get these messages`;
    }
    if (earlier === undefined) seen.set(matchKey(b.match), i);
    if (why) out.push({ id: "agents.bindings", status: "warn", finding: `${key} (to "${b.agentId}") ${why}: it never matches`, fix, details: { binding: i } });
  });
  if (!out.length && config.bindings.length)
    out.push({
      id: "agents.bindings",
      status: "ok",
      finding: `${config.bindings.length} binding(s), each can match; others go to "${roster.defaultAgent.id}"`,
    });
  return out;
}

export const agentsCheck: DoctorCheck = {
  id: "agents",
  group: "this brain",
  title: "Each agent has a workspace of its own (no two share a directory or nest), and each binding can match a message.",
  run(ctx): Finding[] {
    const { config } = ctx.brain();
    if (!config) return [{ id: "agents", status: "ok", finding: "not checked: the config does not load (see `config`)" }];
    return [...workspaceFindings(ctx, config), ...bindingFindings(ctx, config)];
  },
};
