/** The web tools' public entry: `web_fetch` (its fetch, guard and Markdown load on its first call). */
import type { LookupFunction } from "node:net";
import type { Tool } from "../types.ts";
import { createWebFetch } from "./web-fetch.ts";

/** The `web_fetch` tool; `deps.lookup` replaces DNS resolution (tests), its answers still vetted by the guard. */
export function webFetchTool(deps: { lookup?: LookupFunction } = {}): Tool {
  return createWebFetch(deps);
}
