/**
 * A real nginx (Debian's `nginx-light`) as a reverse proxy in front of a gateway, for the
 * reverse-proxy tests. Everything it writes (config, pid, logs, temp files) stays in its own temp
 * dir; it listens on 127.0.0.1 only and runs in the foreground as this process's child, so the
 * test stops it by its pid. Workers drop to `nobody` when the test runs as root: they only proxy.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { freePort, repoRoot, tmpDir } from "./gateway.ts";

/** Where the nginx binary is looked for, in order (`ONEBRAIN_NGINX` first). */
export function nginxBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [env.ONEBRAIN_NGINX, "/usr/sbin/nginx", "/usr/bin/nginx"].filter((c): c is string => Boolean(c));
  return candidates.find((c) => fs.existsSync(c)) ?? null;
}

export interface NginxOptions {
  /** The gateway's port on 127.0.0.1. */
  upstreamPort: number;
  /** Run the `location` of docs/reverse-proxy.md as written (then `upgrade` and `readTimeout` do not apply). */
  fromDocs?: boolean;
  /** Pass the WebSocket upgrade on (`Upgrade`/`Connection` headers, HTTP/1.1); false is the classic misconfiguration. */
  upgrade?: boolean;
  /** The port nginx listens on (127.0.0.1); a free one when omitted. */
  port?: number;
  /** `proxy_read_timeout` / `proxy_send_timeout` as an nginx time (default "90s": longer than the 30 s heartbeat). */
  readTimeout?: string;
}

export interface RunningNginx {
  port: number;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The temp dir that holds its config, pid file, logs and temp files. */
  dir: string;
  config: string;
  /** Lines of the access log so far (`METHOD URI STATUS` each, see the log format). */
  accessLog(): string[];
  errorLog(): string;
  /** Fast shutdown (SIGTERM) and wait for the master to exit. */
  stop(): Promise<void>;
}

/** The proxy part of a config: the `map` that sets `$connection_upgrade` and the `location /` body. */
export interface ProxyBlocks {
  map: string;
  location: string;
}

/** Generated proxy blocks: with or without the upgrade headers, with a given read/send timeout. */
export function proxyBlocks(upstreamPort: number, upgrade: boolean, readTimeout: string): ProxyBlocks {
  const lines = [
    `proxy_pass http://127.0.0.1:${upstreamPort};`,
    ...(upgrade
      ? ["proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $connection_upgrade;"]
      : ["# deliberately no Upgrade/Connection headers: WebSockets arrive as plain HTTP"]),
    "proxy_set_header Host $host;",
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "proxy_set_header X-Forwarded-Proto $scheme;",
    `proxy_read_timeout ${readTimeout};`,
    `proxy_send_timeout ${readTimeout};`,
  ];
  return { map: "map $http_upgrade $connection_upgrade { default upgrade; '' close; }", location: lines.join("\n") };
}

/**
 * The `map` and `location /` blocks of the nginx example in docs/reverse-proxy.md, as written
 * there, with only the `proxy_pass` address pointed at `upstreamPort`: the tests run the docs.
 */
export function docsProxyBlocks(upstreamPort: number, file = path.join(repoRoot, "docs", "reverse-proxy.md")): ProxyBlocks {
  const example = /```nginx\n([\s\S]*?)```/.exec(fs.readFileSync(file, "utf8"))?.[1];
  const map = example && /^map \$http_upgrade \$connection_upgrade \{[^}]*\}/m.exec(example)?.[0];
  const location = example && /^\s*location \/ \{([^}]*)\}/m.exec(example)?.[1];
  if (!map || !location) throw new Error(`Cannot find the map and "location /" blocks of the nginx example in "${file}"`);
  const pointed = location.replace(/proxy_pass http:\/\/127\.0\.0\.1:\d+;/, `proxy_pass http://127.0.0.1:${upstreamPort};`);
  if (pointed === location) throw new Error(`The nginx example in "${file}" has no "proxy_pass http://127.0.0.1:PORT;" line`);
  return { map, location: pointed };
}

/** The nginx.conf for one proxy: everything nginx writes goes under `dir`. */
export function nginxConfig(o: { dir: string; port: number; blocks: ProxyBlocks; user?: string }): string {
  const indent = (text: string, pad: string) =>
    text
      .split("\n")
      .map((l) => pad + l.trim())
      .join("\n");
  return [
    ...(o.user ? [`user ${o.user};`] : []),
    "worker_processes 1;",
    `pid ${o.dir}/nginx.pid;`,
    `lock_file ${o.dir}/nginx.lock;`,
    `error_log ${o.dir}/error.log info;`,
    "events { worker_connections 256; }",
    "http {",
    '  log_format attempts "$request_method $request_uri $status";',
    `  access_log ${o.dir}/access.log attempts;`,
    `  client_body_temp_path ${o.dir}/tmp/body;`,
    `  proxy_temp_path ${o.dir}/tmp/proxy;`,
    `  fastcgi_temp_path ${o.dir}/tmp/fastcgi;`,
    `  uwsgi_temp_path ${o.dir}/tmp/uwsgi;`,
    `  scgi_temp_path ${o.dir}/tmp/scgi;`,
    indent(o.blocks.map, "  "),
    "  server {",
    `    listen 127.0.0.1:${o.port};`,
    "    location / {",
    indent(o.blocks.location.trim(), "      "),
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/** The unprivileged user and group for workers when nginx starts as root (Debian: nobody/nogroup). */
function workerUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const groups = fs.readFileSync("/etc/group", "utf8");
  return /^nogroup:/m.test(groups) ? "nobody nogroup" : "nobody nobody";
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

const started = new Set<ChildProcess>();
// A test process that dies without stopping its nginx must not leave it listening.
process.on("exit", () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** Starts nginx in front of `upstreamPort` and waits until it accepts connections. */
export async function startNginx(opts: NginxOptions): Promise<RunningNginx> {
  const bin = nginxBinary();
  if (!bin) throw new Error("nginx is not installed: apt-get install nginx-light (or set ONEBRAIN_NGINX)");
  const dir = tmpDir("onebrain-nginx-");
  // Workers run as nobody: they must be able to reach their temp dirs.
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, "tmp"), { mode: 0o755 });
  const port = opts.port ?? (await freePort());
  const config = path.join(dir, "nginx.conf");
  const user = workerUser();
  const blocks = opts.fromDocs ? docsProxyBlocks(opts.upstreamPort) : proxyBlocks(opts.upstreamPort, opts.upgrade ?? true, opts.readTimeout ?? "90s");
  fs.writeFileSync(config, nginxConfig({ dir, port, blocks, ...(user ? { user } : {}) }));

  const child = spawn(bin, ["-p", dir, "-c", config, "-e", path.join(dir, "error.log"), "-g", "daemon off;"], { stdio: ["ignore", "pipe", "pipe"] });
  started.add(child);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => (started.delete(child), resolve())));
  const read = (name: string) => {
    try {
      return fs.readFileSync(path.join(dir, name), "utf8");
    } catch {
      return "";
    }
  };

  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}) before listening on ${port}:\n${output}\n${read("error.log")}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nginx did not listen on ${port} within 15 s:\n${output}\n${read("error.log")}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    config,
    accessLog: () => read("access.log").split("\n").filter(Boolean),
    errorLog: () => read("error.log"),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
