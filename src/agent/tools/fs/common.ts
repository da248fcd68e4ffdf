/** What the workspace tools share: the workspace's real path per call, and result wording. */
import { fail, type ToolOutcome } from "../define.ts";
import type { PropertySchema } from "../input.ts";
import type { ToolContext } from "../types.ts";
import { isRefusal, workspaceRoot, type Refusal } from "./confine.ts";

/** The workspace's real path for this call, or the error result when it is missing. */
export function rootOf(ctx: ToolContext): string | ToolOutcome {
  const ws = workspaceRoot(ctx.workspace);
  return isRefusal(ws) ? fail(ws.refused) : ws;
}

/** A refusal as an error result. */
export function refused(r: Refusal): ToolOutcome {
  return fail(r.refused);
}

/** A byte count for people and models: "512 bytes", "3.0 KiB", "4.0 MiB", "2.0 GiB". */
export function bytes(n: number | bigint): string {
  const v = Number(n);
  if (v < 1024) return v === 1 ? "1 byte" : `${v} bytes`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  if (v < 1024 ** 3) return `${(v / 1024 ** 2).toFixed(1)} MiB`;
  return `${(v / 1024 ** 3).toFixed(1)} GiB`;
}

/** True when the first bytes of a file hold a NUL: treated as binary, as git and grep do. */
export function looksBinary(head: Uint8Array): boolean {
  return head.subarray(0, 8192).includes(0);
}

/** Names a walk skips unless asked for by name: version-control internals and dependency trees. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([".git", "node_modules"]);

/** The schema of a path input: a workspace path, PATH_MAX long at most (confine.ts refuses longer). */
export function pathProperty(description: string): PropertySchema {
  return { type: "string", minLength: 1, maxLength: 4096, description };
}
