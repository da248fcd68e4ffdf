/** The workspace tools (policy group "fs"): read, write, edit, list, grep, glob. */
import type { Tool } from "../types.ts";
import { editTool } from "./edit.ts";
import { globTool } from "./glob.ts";
import { grepTool } from "./grep.ts";
import { listTool } from "./list.ts";
import { readTool } from "./read.ts";
import { writeTool } from "./write.ts";

/** The workspace tools, confined to the workspace by real path (see confine.ts). */
export function fsTools(): Tool[] {
  return [readTool(), writeTool(), editTool(), listTool(), grepTool(), globTool()];
}
