/**
 * The canvas host's state in a running gateway (docs/canvas.md): the root (made on first need),
 * the capability of the secret in force, the URLs an operator opens, the lazy watcher the
 * live-reload sockets share, and the listener on the canvas port. The requests themselves are
 * answered by routes.ts and reload.ts, which read this through the gateway context.
 */
import fs from "node:fs";
import type http from "node:http";
import type { Logger } from "pino";
import { canvasCapability, loadCanvasKey } from "../../canvas/capability.ts";
import { CanvasWatcher } from "../../canvas/watch.ts";
import { canvasRootDir } from "../../config/effective.ts";
import type { Config } from "../../config/schema.ts";
import type { BrainPaths } from "../../paths/paths.ts";
import type { PortPlan } from "../../paths/ports.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { secretMatches, type AuthSettings } from "../auth.ts";
import type { BindPlan } from "../bind.ts";
import { listenAll } from "../listen.ts";

/** Where the canvas is mounted on the gateway port (and, optionally, on the canvas port). */
export const CANVAS_MOUNT = "/__canvas__";

/** The addresses at which a canvas file is shown. */
export interface CanvasUrls {
  /** On the gateway port: `http://HOST:PORT/__canvas__/c/CAP/PATH`. */
  gateway: string;
  /** On the canvas port, `http://HOST:PORT/c/CAP/PATH`; null while nothing listens there. */
  canvas: string | null;
}

export interface CanvasHostOptions {
  paths: BrainPaths;
  plan: PortPlan;
  bind: BindPlan;
  config: () => Readonly<Config>;
  auth: () => AuthSettings;
  /** The addresses the gateway port really listens on. */
  gatewayHosts: readonly string[];
  logger: Logger;
}

/** A listen address as a URL host: a wildcard means this host's loopback, IPv6 gets brackets. */
function urlHost(host: string | undefined): string {
  if (host === undefined || host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/** A path below the root as URL path segments, each percent-encoded; a trailing `/` (a directory) is kept. */
export function encodeRel(rel: string): string {
  const path = rel
    .split("/")
    .filter((s) => s !== "" && s !== ".")
    .map(encodeURIComponent)
    .join("/");
  return path && rel.endsWith("/") ? `${path}/` : path;
}

/** The canvas host of one gateway. */
export class CanvasHost {
  private key: Buffer | null = null;
  private watching: CanvasWatcher | null = null;
  private servers: http.Server[] = [];
  private hosts: string[] = [];
  /** Why the canvas port is not listening (taken, refused), or null. */
  portProblem: string | null = null;

  private readonly o: CanvasHostOptions;

  constructor(o: CanvasHostOptions) {
    this.o = o;
  }

  /** `canvasHost.enabled` (a restart applies a change). */
  get enabled(): boolean {
    return this.o.config().canvasHost.enabled;
  }

  /** The canvas port while it listens, else null. */
  get port(): number | null {
    return this.servers.length ? this.o.plan.canvas : null;
  }

  /** The configured root, as a path (not made, not resolved through links). */
  rootPath(): string {
    return canvasRootDir(this.o.config(), this.o.paths.stateDir);
  }

  /** The root's real path, made (0700, with its parents) when missing. Throws STATE_DIR_UNUSABLE naming it when it cannot be. */
  root(): string {
    const dir = this.rootPath();
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const real = fs.realpathSync(dir);
      if (!fs.statSync(real).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
      return real;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      const why =
        code === "EEXIST" || code === "ENOTDIR"
          ? `The canvas root ${dir} is not a directory: set canvasHost.root to a directory, or move that file away`
          : `The canvas root ${dir} cannot be made or used (${code}): fix its permissions or set canvasHost.root`;
      throw new OnebrainError("STATE_DIR_UNUSABLE", why, { cause: err });
    }
  }

  /** The capability of the secret in force (capability.ts). */
  capability(): string {
    this.key ??= loadCanvasKey(this.o.paths.stateDir);
    const a = this.o.auth();
    const secret = a.mode === "token" ? a.token : a.mode === "password" ? a.password : "";
    return canvasCapability(this.key, `${a.mode}:${secret ?? ""}`);
  }

  /** True when `presented` is the capability in force; compared in constant time. */
  capabilityMatches(presented: string): boolean {
    return secretMatches(presented, this.capability());
  }

  /** The path of `rel` behind the capability on the gateway port: `/__canvas__/c/CAP/rel`. */
  capabilityPath(rel = ""): string {
    return `${CANVAS_MOUNT}/c/${this.capability()}/${encodeRel(rel)}`;
  }

  /** The full URLs of `rel` (a path below the root; "" for its index) on both ports. */
  urls(rel = ""): CanvasUrls {
    const tail = `c/${this.capability()}/${encodeRel(rel)}`;
    const port = this.port;
    return {
      gateway: `http://${urlHost(this.o.gatewayHosts[0])}:${this.o.plan.base}${CANVAS_MOUNT}/${tail}`,
      canvas: port === null ? null : `http://${urlHost(this.hosts[0])}:${port}/${tail}`,
    };
  }

  /** The watcher the live-reload sockets share: made on first use, watching only while one subscribes. */
  watcher(): CanvasWatcher {
    this.watching ??= new CanvasWatcher({
      root: () => this.rootPath(),
      ensureRoot: () => void this.root(),
      onError: (err) => this.o.logger.warn({ err: err.message, root: this.rootPath() }, "the canvas watch failed; live reload resumes when the root is back"),
    });
    return this.watching;
  }

  /**
   * Listens on the canvas port on the gateway's addresses. A port that cannot be had (taken,
   * refused) is logged and reported by `canvas.info`, never fatal: the canvas stays reachable
   * under /__canvas__/ on the gateway port.
   */
  async listen(makeServer: () => http.Server): Promise<void> {
    if (!this.enabled) return;
    try {
      const bound = await listenAll(this.o.bind, this.o.plan.canvas, makeServer);
      this.servers = bound.servers;
      this.hosts = bound.hosts;
    } catch (err) {
      this.portProblem = (err as Error).message;
      this.o.logger.warn(
        { port: this.o.plan.canvas, err: this.portProblem },
        `the canvas port ${this.o.plan.canvas} is not available; the canvas is still served under ${CANVAS_MOUNT}/ on the gateway port (set canvasHost.port to move it)`,
      );
    }
  }

  /** Live-reload sockets subscribed now. */
  get reloadClients(): number {
    return this.watching?.size ?? 0;
  }

  /** The canvas port's servers (for the stop sequence). */
  listeners(): readonly http.Server[] {
    return this.servers;
  }

  /** Stops the watcher (the reload sockets are closed by reload.ts). */
  close(): void {
    this.watching?.close();
  }
}
