/**
 * `browser`: the agent drives the brain's browser (docs/browser.md). It opens pages, reads them as
 * an accessibility snapshot whose elements carry refs, and acts on those refs; screenshots are
 * written into the workspace. A side-effecting tool: clicking "Buy" must never happen twice, so
 * every action that changes a page is journaled as started before it runs, and a call cut by a
 * crash is answered "outcome unknown" rather than repeated. Snapshots and tab lists change
 * nothing and may run again.
 */
import fs from "node:fs";
import path from "node:path";
import { OnebrainError } from "../../shared/errors.ts";
import { defineTool, fail, ok, type ToolOutcome } from "./define.ts";
import type { BrowserTabView, ToolContext } from "./types.ts";

const ACTIONS = ["open", "navigate", "snapshot", "act", "screenshot", "tabs", "close"] as const;
type Op = (typeof ACTIONS)[number];
/** The operations that change a page or write a file. */
const CHANGES: ReadonlySet<Op> = new Set(["open", "navigate", "act", "screenshot", "close"]);

interface Input {
  action: Op;
  url?: string;
  tab?: string;
  profile?: string;
  kind?: string;
  ref?: string;
  text?: string;
  key?: string;
  values?: string[];
  ms?: number;
  submit?: boolean;
  double?: boolean;
  fullPage?: boolean;
}

const tabLine = (t: BrowserTabView) => `tab ${t.id}${t.current ? " (current)" : ""}: ${t.title ? `"${t.title}" ` : ""}${t.url}`;

/** What the model is told for a coded failure: the message and the way out. */
function explain(err: unknown): ToolOutcome {
  if (err instanceof OnebrainError) return fail(`${err.message}${err.hint ? ` (next: ${err.hint})` : ""}`);
  throw err;
}

async function screenshotFile(ctx: ToolContext, png: Buffer): Promise<string> {
  const dir = path.join(ctx.workspace, "browser");
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  const name = `screenshot-${ctx.origin.runId}-${ctx.origin.callId.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 40)}.png`;
  const tmp = path.join(dir, `.${name}.tmp`);
  await fs.promises.writeFile(tmp, png, { mode: 0o600 });
  await fs.promises.rename(tmp, path.join(dir, name));
  return path.join("browser", name);
}

async function run(input: Input, ctx: ToolContext): Promise<ToolOutcome> {
  const b = ctx.browser;
  if (!b) return fail("This gateway has no browser control service, so the browser cannot be used.");
  const { action, tab, profile } = input;
  if ((action === "open" || action === "navigate") && !input.url) return fail(`"${action}" needs "url": an http(s) address.`);
  if (action === "act" && !input.kind)
    return fail('"act" needs "kind" (click, type, fill, press, select, hover, wait) and usually "ref" from the latest snapshot.');
  if (action === "close" && !tab) return fail('"close" needs "tab": an id from {"action": "tabs"}.');
  try {
    if (CHANGES.has(action)) await ctx.beginSideEffect();
    switch (action) {
      case "tabs": {
        const tabs = await b.tabs(profile);
        return ok(tabs.length ? tabs.map(tabLine).join("\n") : "No tabs are open.");
      }
      case "open":
        return ok(`Opened ${tabLine(await b.open(input.url!, profile))}. Take a snapshot to read it and get element refs.`);
      case "navigate":
        return ok(`Loaded ${tabLine(await b.navigate(input.url!, tab, profile))}. Take a snapshot to read it.`);
      case "snapshot": {
        const s = await b.snapshot(tab, profile);
        return ok(`${tabLine(s.tab)}\n${s.snapshot}${s.truncated ? "\n(The snapshot was cut: the page is larger.)" : ""}`);
      }
      case "act": {
        const { action: _a, tab: _t, profile: _p, url: _u, fullPage: _f, ...act } = input;
        const t = await b.act(act, tab, profile);
        return ok(
          `Done: ${input.kind}${input.ref ? ` on ${input.ref}` : ""}. Now ${tabLine(t)}. Refs may have changed: take a new snapshot before the next action.`,
        );
      }
      case "screenshot": {
        const png = await b.screenshot(tab, profile, input.fullPage === true);
        return ok(`Saved a ${png.length}-byte PNG screenshot at ${await screenshotFile(ctx, png)} in the workspace.`);
      }
      case "close":
        await b.close(tab!, profile);
        return ok(`Closed tab ${tab}.`);
    }
  } catch (err) {
    return explain(err);
  }
}

/** The `browser` tool. */
export function browserTool() {
  return defineTool<Input>({
    name: "browser",
    group: "ui",
    sideEffects: true,
    concurrent: false,
    description:
      'Use a real web browser. {"action":"open","url":...} opens a tab; "snapshot" returns the page as an accessibility tree whose elements carry refs like [ref=e3]; ' +
      '"act" does one thing to a ref: {"action":"act","kind":"click","ref":"e3"}, kind type/fill (with "text"; "submit": true presses Enter), press (with "key"), select (with "values"), hover, wait (with "ms", "text" or "ref"). ' +
      'Refs last until the page changes: snapshot again after acting. "navigate" loads a URL in the current tab, "tabs" lists tabs, "close" closes one, "screenshot" saves a PNG in the workspace.',
    inputSchema: {
      type: "object",
      properties: {
        action: { type: "string", enum: ACTIONS, description: "What to do." },
        url: { type: "string", description: "open/navigate: an http(s) URL.", maxLength: 8192 },
        tab: { type: "string", description: "A tab id from tabs/open; default: the current tab.", maxLength: 64 },
        profile: { type: "string", description: "A browser profile name; default: the default profile.", maxLength: 32 },
        kind: { type: "string", enum: ["click", "type", "fill", "press", "select", "hover", "wait"], description: "act: the action." },
        ref: { type: "string", description: "act: an element ref from the latest snapshot, such as e3.", maxLength: 32 },
        text: { type: "string", description: "act type/fill: the text; act wait: text to wait for.", maxLength: 100_000 },
        key: { type: "string", description: "act press: a key such as Enter, Tab or Control+A.", maxLength: 64 },
        values: { type: "array", items: { type: "string" }, maxItems: 100, description: "act select: option values or labels." },
        ms: { type: "integer", minimum: 0, maximum: 30_000, description: "act wait: milliseconds." },
        submit: { type: "boolean", description: "act type: press Enter afterwards." },
        double: { type: "boolean", description: "act click: double-click." },
        fullPage: { type: "boolean", description: "screenshot: the whole page, not only the viewport." },
      },
      required: ["action"],
      additionalProperties: false,
    },
    run,
  });
}
