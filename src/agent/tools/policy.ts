/**
 * Which tools a run gets: the profile's base set, then `tools.allow` adds, then `tools.deny`
 * removes (deny wins over everything), each entry a tool name or `group:<group>`; with
 * `tools.exec.security: deny`, `exec` is never offered whatever allow says.
 *
 * The config schema cannot know tool names cheaply (the tools load lazily), so names are checked
 * here, against the catalog: an entry that names no tool or group is a warning (logged once and
 * shown in status), never an error that would stop the gateway over a typo in a list.
 */
import { TOOL_GROUPS, type ToolGroup, type ToolsConfig } from "./types.ts";

/** What the policy needs to know of a tool without loading it. */
export interface ToolMeta {
  name: string;
  group: ToolGroup;
}

/** The tools profile names (`tools.profile`). */
export type ToolProfile = ToolsConfig["profile"];

/** Each profile's base set, as names and groups; `full` is every tool. */
export const PROFILES: Readonly<Record<ToolProfile, readonly string[]>> = {
  // Reads the workspace and remembers; changes nothing.
  minimal: ["read", "list", "grep", "glob", "memory_search", "memory_get"],
  messaging: ["message", "memory_search", "memory_get"],
  coding: ["group:fs", "group:runtime", "group:web", "group:memory"],
  full: TOOL_GROUPS.map((g) => `group:${g}`),
};

/** The outcome: enabled tool names (in catalog order) and one sentence per entry that named nothing. */
export interface ToolSelection {
  enabled: string[];
  warnings: string[];
}

/** The policy the config in force gives, over the tools in `catalog`. Pure. */
export function selectTools(config: Pick<ToolsConfig, "profile" | "allow" | "deny" | "exec">, catalog: readonly ToolMeta[]): ToolSelection {
  const warnings: string[] = [];
  const expand = (entry: string, from: string | null): string[] => {
    if (entry.startsWith("group:")) {
      const group = entry.slice("group:".length);
      if ((TOOL_GROUPS as readonly string[]).includes(group)) return catalog.filter((t) => t.group === group).map((t) => t.name);
      if (from)
        warnings.push(`${from} names ${JSON.stringify(entry)}, which is not a tool group; the groups are ${TOOL_GROUPS.map((g) => `group:${g}`).join(", ")}.`);
      return [];
    }
    if (catalog.some((t) => t.name === entry)) return [entry];
    // A profile may name a tool this build does not have; only the operator's own lists are checked.
    if (from) warnings.push(`${from} names ${JSON.stringify(entry)}, which is not a tool; ${known(catalog)}.`);
    return [];
  };
  const on = new Set(PROFILES[config.profile].flatMap((e) => expand(e, null)));
  for (const e of config.allow) for (const n of expand(e, "tools.allow")) on.add(n);
  for (const e of config.deny) for (const n of expand(e, "tools.deny")) on.delete(n);
  if (config.exec.security === "deny") on.delete("exec");
  return { enabled: catalog.filter((t) => on.has(t.name)).map((t) => t.name), warnings };
}

function known(catalog: readonly ToolMeta[]): string {
  if (catalog.length === 0) return "this gateway has no tools";
  return `the tools are ${catalog.map((t) => t.name).join(", ")} (or a group such as group:fs)`;
}
