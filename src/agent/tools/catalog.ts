/**
 * The gateway's tools: one entry per tool with its policy group and side-effect bit, and a
 * loader that imports its module only when a run first needs it (registry.ts). The policy
 * (policy.ts) reads this list without loading anything, so a gateway whose runs never use tools
 * pays nothing for them in start-up time or memory. docs/tools.md lists them for people.
 */
import { lazyModule, type ToolEntry } from "./registry.ts";

const fs = lazyModule(async () => (await import("./fs/index.ts")).fsTools());
const exec = lazyModule(async () => [(await import("./exec/index.ts")).execTool()]);
const web = lazyModule(async () => [(await import("./web/index.ts")).webFetchTool()]);
const memory = lazyModule(async () => (await import("./memory.ts")).memoryTools());
const browser = lazyModule(async () => [(await import("./browser.ts")).browserTool()]);
const message = lazyModule(async () => [(await import("./message.ts")).messageTool()]);
const canvas = lazyModule(async () => [(await import("./canvas.ts")).canvasTool()]);
const cron = lazyModule(async () => [(await import("./cron.ts")).cronTool()]);

/** Every tool this build can offer. */
export const CATALOG: readonly ToolEntry[] = [
  { name: "read", group: "fs", sideEffects: false, load: fs("read") },
  { name: "write", group: "fs", sideEffects: true, load: fs("write") },
  { name: "edit", group: "fs", sideEffects: true, load: fs("edit") },
  { name: "list", group: "fs", sideEffects: false, load: fs("list") },
  { name: "grep", group: "fs", sideEffects: false, load: fs("grep") },
  { name: "glob", group: "fs", sideEffects: false, load: fs("glob") },
  { name: "exec", group: "runtime", sideEffects: true, load: exec("exec") },
  { name: "web_fetch", group: "web", sideEffects: false, load: web("web_fetch") },
  { name: "message", group: "messaging", sideEffects: true, load: message("message") },
  { name: "memory_search", group: "memory", sideEffects: false, load: memory("memory_search") },
  { name: "memory_get", group: "memory", sideEffects: false, load: memory("memory_get") },
  { name: "browser", group: "ui", sideEffects: true, load: browser("browser") },
  { name: "canvas", group: "ui", sideEffects: true, load: canvas("canvas") },
  { name: "cron", group: "automation", sideEffects: true, load: cron("cron") },
];
