/**
 * `memory_search` and `memory_get`: the model looks things up in what was said (transcripts of
 * every session of its agent, never another agent's) and what it wrote down (the workspace's `MEMORY.md` and
 * `memory/**\/*.md`). Read-only and safe to run in parallel; the search itself lives in
 * `src/sessions/memory.ts`, reached through the ToolContext.
 */
import type { MemoryHit, Tool, ToolContext } from "./types.ts";

/** Hits when the model names no limit, and the most it may ask for. */
const DEFAULT_LIMIT = 8;
const MAX_LIMIT = 50;
/** Longest query taken (the search looks at fewer characters still). */
const MAX_QUERY_CHARS = 10_000;

function fail(content: string): { content: string; isError: true } {
  return { content, isError: true };
}

function when(ms: number | null): string {
  return ms === null ? "" : `, ${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** How hits read for the model: one numbered block each, ref first so it can be passed to memory_get. */
function render(query: string, hits: MemoryHit[]): string {
  if (!hits.length) return `No memory matches "${query}". Try other words, fewer words, or a word's stem.`;
  const lines = hits.map((h, i) => `${i + 1}. ${h.ref} (${h.source}${when(h.createdAt)})\n   ${h.snippet.replace(/\s*\n\s*/g, " ")}`);
  return `${hits.length} match${hits.length === 1 ? "" : "es"} (best first; memory_get with a ref gives the whole entry):\n${lines.join("\n")}`;
}

const searchTool: Tool = {
  name: "memory_search",
  group: "memory",
  sideEffects: false,
  concurrent: true,
  spec: {
    name: "memory_search",
    description:
      "Full-text search over past conversations (every session's user and assistant messages) and the workspace's notes (MEMORY.md and memory/**/*.md). " +
      "Words are matched as written or as the start of a longer word; all words must match, else any word may. Returns refs for memory_get.",
    inputSchema: {
      type: "object",
      properties: {
        query: { type: "string", description: "Words to look for (plain words; no search syntax needed)." },
        limit: { type: "integer", minimum: 1, maximum: MAX_LIMIT, description: `Most hits to return (default ${DEFAULT_LIMIT}).` },
      },
      required: ["query"],
      additionalProperties: false,
    },
  },
  async run(input: Record<string, unknown>, ctx: ToolContext) {
    if (ctx.signal.aborted) return fail("The run was cancelled, so memory_search did not run.");
    const { query, limit } = input;
    if (typeof query !== "string" || !query.trim()) return fail('memory_search needs "query": the words to look for, as a non-empty string.');
    if (query.length > MAX_QUERY_CHARS) return fail(`The query is ${query.length} characters; use at most ${MAX_QUERY_CHARS} (a few words find more).`);
    if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT))
      return fail(`"limit" must be a whole number from 1 to ${MAX_LIMIT}; leave it out for ${DEFAULT_LIMIT}.`);
    try {
      return { content: render(query.trim(), ctx.searchMemory(query, limit ?? DEFAULT_LIMIT)), isError: false };
    } catch (err) {
      return fail(`The memory search failed: ${(err as Error).message}. Try again, or with other words.`);
    }
  },
};

const getTool: Tool = {
  name: "memory_get",
  group: "memory",
  sideEffects: false,
  concurrent: true,
  spec: {
    name: "memory_get",
    description:
      "The whole memory entry behind a ref from memory_search: msg:ID gives that message (role, session, time), note:PATH#LN the note's section holding line N, read fresh from the file.",
    inputSchema: {
      type: "object",
      properties: { ref: { type: "string", description: "A ref as memory_search returned it, e.g. msg:123 or note:memory/2026-12.md#L10." } },
      required: ["ref"],
      additionalProperties: false,
    },
  },
  async run(input: Record<string, unknown>, ctx: ToolContext) {
    if (ctx.signal.aborted) return fail("The run was cancelled, so memory_get did not run.");
    const { ref } = input;
    if (typeof ref !== "string" || !ref.trim()) return fail('memory_get needs "ref": a ref from memory_search, like msg:123 or note:MEMORY.md#L1.');
    const shown = ref.length > 200 ? `${ref.slice(0, 200)}…` : ref;
    try {
      const entry = ctx.getMemory(ref.trim());
      if (!entry)
        return fail(`No memory entry "${shown}": use a ref exactly as memory_search returned it (msg:ID or note:PATH#LN); the entry may have been deleted.`);
      return { content: `${entry.ref}\n${entry.content}`, isError: false };
    } catch (err) {
      return fail(`Reading "${shown}" failed: ${(err as Error).message}.`);
    }
  },
};

/** The memory tools: `memory_search` and `memory_get` (group "memory", read-only, concurrent). */
export function memoryTools(): Tool[] {
  return [searchTool, getTool];
}
