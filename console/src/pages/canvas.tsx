/**
 * Canvas: the pages the agent's `canvas` tool writes (docs/canvas.md), framed from `canvas.info`'s
 * capability path on this same origin (so it works behind the proxy that serves the console).
 * The frame is sandboxed (the gateway sandboxes it too): agent-written pages never see the
 * console's storage or its connection. They reload by themselves when a file changes.
 */
import { useState } from "preact/hooks";
import type { CanvasInfo } from "../../../src/protocol/canvas.ts";
import { useRequest } from "../ui/hooks.ts";

const SANDBOX = "allow-scripts allow-forms allow-popups allow-modals allow-downloads";

/** The canvas page. */
export function CanvasPage() {
  const info = useRequest<CanvasInfo>("canvas.info");
  // Bumped by Reload: a new key makes a new frame, which loads the page afresh.
  const [frame, setFrame] = useState(0);
  const c = info.data;
  return (
    <section class="page">
      <div class="card">
        <div class="toolbar">
          <h2 class="grow">Canvas</h2>
          {c?.path && (
            <a class="btn" href={c.path} target="_blank" rel="noopener noreferrer" data-testid="canvas-open">
              Open in a new tab
            </a>
          )}
          <button type="button" class="btn" onClick={() => (info.reload(), setFrame((n) => n + 1))}>
            Reload
          </button>
        </div>
        {info.error && <p class="error-text">Could not ask for the canvas: {info.error}</p>}
        {!c && !info.error && <p class="muted">Loading…</p>}
        {c && !c.enabled && (
          <p class="empty" data-testid="canvas-off">
            The canvas host is off (canvasHost.enabled is false in the config).
          </p>
        )}
        {c?.enabled && (
          <p class="muted mono" data-testid="canvas-root">
            {c.root}
            {c.urls?.canvas ? ` · also at ${c.urls.canvas.replace(/\/c\/[^/]+\//, "/c/…/")}` : ""}
            {c.portProblem ? ` · canvas port not listening: ${c.portProblem}` : ""}
          </p>
        )}
      </div>
      {c?.path && <iframe key={frame} class="canvas-frame" src={c.path} sandbox={SANDBOX} title="Canvas" data-testid="canvas-frame" />}
    </section>
  );
}
