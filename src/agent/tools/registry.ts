/**
 * The tool registry: each tool's name, policy group and side-effect bit, known without loading
 * it, and a loader that imports its module on first use. An idle gateway, or one whose policy
 * enables no tools, never loads a tool module: idle memory and start-up stay what `bench/`
 * measures without tools.
 *
 * The real tools are listed in `catalog.ts`; tests add their own through `add`.
 */
import type { ToolMeta } from "./policy.ts";
import type { Tool } from "./types.ts";

/** One tool as the catalog declares it, before it is loaded. */
export interface ToolEntry extends ToolMeta {
  /** Must match the loaded tool's `sideEffects`: a tool that lies about it is not offered. */
  sideEffects: boolean;
  /** Loads the tool (a dynamic import, so its module and libraries load only when a run needs it). */
  load: () => Promise<Tool>;
}

/**
 * A loader per tool over a module that builds several (`fsTools()`): the module is imported and
 * its list built once, whichever of its tools is loaded first.
 */
export function lazyModule(load: () => Promise<readonly Tool[]>): (name: string) => () => Promise<Tool> {
  let list: Promise<readonly Tool[]> | undefined;
  return (name) => async () => {
    list ??= load().catch((err: unknown) => {
      list = undefined; // a failed import is tried again by the next run
      throw err;
    });
    const tool = (await list).find((t) => t.name === name);
    if (!tool) throw new Error(`the module lists no tool named "${name}"`);
    return tool;
  };
}

/** Tools loaded for a run, and a sentence per tool that could not be. */
export interface LoadedTools {
  tools: Tool[];
  failures: string[];
}

/** The tools this gateway can offer, by name. */
export class ToolRegistry {
  private readonly entries = new Map<string, ToolEntry>();
  private readonly loaded = new Map<string, Tool>();

  constructor(entries: ReadonlyArray<ToolEntry | Tool> = []) {
    for (const e of entries) this.add(e);
  }

  /** Adds a catalog entry, or a tool already built (tests). Names are unique. */
  add(entry: ToolEntry | Tool): void {
    if (this.entries.has(entry.name)) throw new Error(`a tool named "${entry.name}" is already registered`);
    if ("run" in entry) {
      const tool = entry;
      this.entries.set(tool.name, { name: tool.name, group: tool.group, sideEffects: tool.sideEffects, load: async () => tool });
    } else this.entries.set(entry.name, entry);
  }

  /** Every tool's name, group and side-effect bit, in registration order (nothing is loaded). */
  list(): Array<ToolMeta & { sideEffects: boolean }> {
    return [...this.entries.values()].map((e) => ({ name: e.name, group: e.group, sideEffects: e.sideEffects }));
  }

  /**
   * Loads the named tools (once each; later calls reuse them). A tool whose module fails to load,
   * or whose loaded definition disagrees with its entry, is left out and named in `failures`.
   */
  async load(names: readonly string[]): Promise<LoadedTools> {
    const tools: Tool[] = [];
    const failures: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        const done = this.loaded.get(name);
        if (done) return;
        const entry = this.entries.get(name);
        if (!entry) return void failures.push(`"${name}" is not registered`);
        try {
          const tool = await entry.load();
          if (tool.name !== entry.name || tool.group !== entry.group || tool.sideEffects !== entry.sideEffects) {
            failures.push(`"${name}" was declared as ${describe(entry)} but loaded as ${describe(tool)} (name, group, side effects); it is not offered`);
            return;
          }
          this.loaded.set(name, tool);
        } catch (err) {
          failures.push(`"${name}" could not be loaded: ${(err as Error).message}`);
        }
      }),
    );
    for (const name of names) {
      const tool = this.loaded.get(name);
      if (tool) tools.push(tool);
    }
    return { tools, failures };
  }
}

function describe(t: { name: string; group: string; sideEffects: boolean }): string {
  return `${t.name} (group:${t.group}, ${t.sideEffects ? "side effects" : "read-only"})`;
}
