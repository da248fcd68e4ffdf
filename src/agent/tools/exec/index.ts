/** The exec tool's public entry: only re-exports. */
import type { Tool } from "../types.ts";
import { execTool as tool } from "./exec.ts";

/** The exec tool (group runtime, side effects, never run alongside other calls). */
export function execTool(): Tool {
  return tool;
}

export { decide, type Decision } from "./policy.ts";
export { planArgv, planShell, type Plan, type Program } from "./plan.ts";
export { parseShell } from "./parse.ts";
