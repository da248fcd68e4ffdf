/**
 * The canvas host on the wire (docs/protocol.md, `canvas.info`; docs/canvas.md): typed once here
 * for the server and the console.
 */

/** What `canvas.info` answers. Paths and URLs carry the capability: they are for the operator. */
export interface CanvasInfo {
  /** `canvasHost.enabled`; when false, every other field but `root` and `port` is null or false. */
  enabled: boolean;
  /** The configured root directory (`canvasHost.root`, default `<workspace>/canvas`). */
  root: string;
  /** The planned canvas port (`canvasHost.port`, default base+4). */
  port: number;
  /** Whether the canvas port listens now. */
  listening: boolean;
  /** Why the canvas port does not listen (taken by another process), or null. */
  portProblem: string | null;
  /** The capability path on the gateway port, `/__canvas__/c/<cap>/`: what the console frames. */
  path: string | null;
  /** Full URLs of the canvas index on the gateway port and on the canvas port (null while it does not listen). */
  urls: { gateway: string; canvas: string | null } | null;
  /** Live-reload sockets open now. */
  reloadClients: number;
}
