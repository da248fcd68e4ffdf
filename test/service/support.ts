/**
 * Test helpers for the service: a real unix datagram socket standing in for systemd's
 * NOTIFY_SOCKET (Node cannot bind one, so a tiny python3 receiver does), and
 * `systemd-analyze verify` on unit text.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { tmpDir } from "../helpers/gateway.ts";

/** python3, preferring the system one; null when the machine has none. */
export const python3: string | null = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => fs.existsSync(p)) ?? null;
export const systemdAnalyze: string | null = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => fs.existsSync(p)) ?? null;
export const systemdNotify: boolean = ["/usr/bin/systemd-notify", "/bin/systemd-notify"].some((p) => fs.existsSync(p));
/** systemd manages services on this machine (then the "no systemd" tests do not apply). */
export const systemdRunning: boolean = fs.existsSync("/run/systemd/system");

export interface NotifyMessage {
  /** Receive time, Date.now() of this process's clock (the receiver prints epoch ms). */
  at: number;
  /** The datagram's fields, e.g. { READY: "1", STATUS: "..." }. */
  fields: Record<string, string>;
  raw: string;
}

export interface NotifySocket {
  path: string;
  messages: NotifyMessage[];
  /** Resolves with the first message (after `from`) that has `field` (optionally with `value`). */
  waitFor(field: string, value?: string, timeoutMs?: number, from?: number): Promise<NotifyMessage>;
  close(): Promise<void>;
}

// One datagram per line: receive time (epoch ms) and the bytes in hex (only socket, sys and time,
// all in python3-minimal). recv() without room for ancillary data makes the kernel close the
// BARRIER fd systemd-notify passes, which is exactly what the manager does after reading it.
const RECEIVER = `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data = s.recv(65536)
    print("%.3f %s" % (time.time() * 1000, data.hex()), flush=True)
`;

/** Binds a unix datagram socket in a temp dir and records every message sent to it. */
export async function notifySocket(): Promise<NotifySocket> {
  if (!python3) throw new Error("python3 is needed for the NOTIFY_SOCKET stand-in");
  const socketPath = path.join(tmpDir("onebrain-notify-"), "notify.sock");
  const child: ChildProcess = spawn(python3, ["-c", RECEIVER, socketPath], { stdio: ["ignore", "pipe", "pipe"] });
  const messages: NotifyMessage[] = [];
  const waiters = new Set<() => void>();
  let buf = "";
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === "listening") resolve();
        else if (line) {
          const [at, hex] = line.split(" ");
          const m = { at: Number(at), raw: Buffer.from(hex ?? "", "hex").toString("utf8") };
          const fields: Record<string, string> = {};
          for (const kv of m.raw.split("\n")) {
            const i = kv.indexOf("=");
            if (i > 0) fields[kv.slice(0, i)] = kv.slice(i + 1);
          }
          messages.push({ at: m.at, raw: m.raw, fields });
          for (const w of waiters) w();
        }
      }
    });
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => reject(new Error(`notify receiver exited ${code}: ${stderr}`)));
  });
  return {
    path: socketPath,
    messages,
    waitFor(field, value, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const find = () => messages.find((m) => m.at >= from && field in m.fields && (value === undefined || m.fields[field] === value));
        const check = () => {
          const m = find();
          if (m) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no ${field}${value === undefined ? "" : `=${value}`} within ${timeoutMs} ms; got:\n${messages.map((m) => m.raw.replaceAll("\n", " | ")).join("\n")}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((r) => {
        child.once("exit", () => r());
        child.kill("SIGKILL");
      });
    },
  };
}

export interface VerifyResult {
  code: number | null;
  /** Everything systemd-analyze said; a clean unit says nothing. */
  output: string;
}

/** Writes `text` as `<name>.service` into a temp dir and runs `systemd-analyze [--user] verify` on it. */
export function verifyUnit(text: string, name: string, scope: "user" | "system"): Promise<VerifyResult> {
  const dir = tmpDir("onebrain-unit-");
  const file = path.join(dir, `${name}.service`);
  fs.writeFileSync(file, text);
  // The user manager's verify needs a runtime dir, as a login session would provide.
  const runtime = path.join(dir, "runtime");
  fs.mkdirSync(runtime, { mode: 0o700 });
  const env = { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: "0" };
  const args = [...(scope === "user" ? ["--user"] : []), "verify", file];
  return new Promise((resolve) => {
    execFile(systemdAnalyze!, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}`.trim() });
    });
  });
}
