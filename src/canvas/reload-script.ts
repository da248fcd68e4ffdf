/**
 * The live-reload script put into every HTML page the canvas serves: it opens the reload
 * WebSocket of the mount the page came from and reloads the page when the server says a file
 * changed. When the socket drops (a gateway restart), it reconnects with backoff and reloads once
 * it is back, since files may have changed meanwhile.
 */

/** The script element for a page whose reload socket is at `wsPath` (an absolute path on the page's own host). */
export function reloadScript(wsPath: string): string {
  // JSON.stringify quotes the path; `<` is escaped so no path can close the script element.
  const where = JSON.stringify(wsPath).replace(/</g, "\\u003c");
  return (
    `<script data-onebrain-canvas-reload>(()=>{let t=0,was=false;const go=()=>{` +
    `const w=new WebSocket((location.protocol==="https:"?"wss://":"ws://")+location.host+${where});` +
    `w.onopen=()=>{if(was)location.reload();t=0};` +
    `w.onmessage=()=>location.reload();` +
    `w.onclose=()=>{was=true;setTimeout(go,Math.min(30000,500*2**t++))}};go()})();</script>`
  );
}

/** `html` with the reload script before its last `</body>` (or at its end when it has none). */
export function injectReload(html: Buffer, wsPath: string): Buffer {
  const script = Buffer.from(reloadScript(wsPath));
  // latin1 keeps one character per byte, so the index found is a byte offset into `html`.
  const at = html.toString("latin1").toLowerCase().lastIndexOf("</body");
  if (at === -1) return Buffer.concat([html, script]);
  return Buffer.concat([html.subarray(0, at), script, html.subarray(at)]);
}
