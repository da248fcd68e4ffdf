/**
 * The gateway's tools: one entry per tool with its policy group and side-effect bit, and a
 * loader that imports its module only when a run first needs it (registry.ts). The policy
 * (policy.ts) reads this list without loading anything.
 *
 * A tool module is added with a few lines, for example:
 *
 *   const fs = lazyModule(async () => (await import("./fs/index.ts")).fsTools());
 *   { name: "read", group: "fs", sideEffects: false, load: fs("read") },
 *   { name: "write", group: "fs", sideEffects: true, load: fs("write") },
 *
 * With no entries the agent offers no tools: every run is a plain conversation.
 */
import type { ToolEntry } from "./registry.ts";

/** Every tool this build can offer. */
export const CATALOG: readonly ToolEntry[] = [];
