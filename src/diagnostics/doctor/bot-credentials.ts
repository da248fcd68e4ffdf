/**
 * A brain's channel credentials wherever the gateway reads them: its config (values, `${VAR}`
 * references, OpenClaw's env SecretRefs, token files) and its environment (TELEGRAM_BOT_TOKEN and
 * the like, which onebrain and OpenClaw both read when the config sets no token; OpenClaw also
 * reads its state dir's `.env`). Fingerprints only: no token leaves this file.
 */
import fs from "node:fs";
import path from "node:path";
import { PLATFORMS } from "../../channels/platforms.ts";
import { envSources } from "../../migrate/openclaw/env.ts";
import { readTokenFile } from "../../migrate/openclaw/env.ts";
import { credentialFingerprints, fingerprint, readRawConfig, type CredentialFingerprint } from "./credentials.ts";
import type { BrainKind } from "./host-scan.ts";

/** The variables a channel credential may come from, in both gateways: TELEGRAM_BOT_TOKEN, DISCORD_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_BOT_TOKEN. */
export const CREDENTIAL_ENV: readonly string[] = PLATFORMS.flatMap((p) => [p.tokenEnv, p.companion?.env ?? ""]).filter((n) => n !== "");

export interface BrainSecretsInput {
  kind: BrainKind;
  configPath: string | null;
  stateDir: string | null;
  home: string | null;
  /** The gateway's process environment (the CREDENTIAL_ENV part is enough). */
  env: Readonly<Record<string, string | undefined>>;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});

/** The fingerprints of every channel credential this brain would use. */
export function brainCredentials(b: BrainSecretsInput): CredentialFingerprint[] {
  const raw = readRawConfig(b.configPath);
  const claw = b.kind !== "onebrain";
  // OpenClaw fills variables from its state dir's .env and the config's env block too (the process wins).
  const extra = claw && b.stateDir ? envSources(b.stateDir, raw && typeof raw === "object" ? (raw as Obj) : null).values : new Map<string, string>();
  const env = (name: string) => b.env[name] || extra.get(name);
  const base = b.configPath ? path.dirname(b.configPath) : (b.stateDir ?? "/");
  const file = (p: string) => readTokenFile(p.startsWith("~/") && b.home ? path.join(b.home, p.slice(2)) : path.resolve(base, p));
  const out = credentialFingerprints(raw, { env, file });
  const channels = obj(obj(raw).channels);
  for (const pl of PLATFORMS) {
    const pairs: Array<[string, string]> = [[pl.tokenKey, pl.tokenEnv]];
    if (pl.companion) pairs.push([pl.companion.key, pl.companion.env]);
    for (const [key, name] of pairs) {
      if (!name) continue;
      const section = channels[pl.id];
      // OpenClaw starts a channel only when its section exists; onebrain starts one on the variable alone.
      if ((claw && section === undefined) || obj(section).enabled === false) continue;
      const leaf = key.split(".").pop()!;
      if (obj(section)[leaf] !== undefined || obj(section).tokenFile !== undefined) continue;
      const v = env(name);
      if (v && v.length >= 8) out.push({ path: name, fingerprint: fingerprint(v) });
    }
  }
  return out;
}

/** The systemd unit a process runs in, from its /proc/PID/cgroup text: `{unit, user}` or null. */
export function unitOfCgroup(text: string): { unit: string; user: boolean } | null {
  for (const line of text.split("\n")) {
    const cg = line.split(":").slice(2).join(":");
    const m = /\/([^/]+\.service)$/.exec(cg);
    if (!m || /^user@\d+\.service$/.test(m[1]!)) continue;
    return { unit: m[1]!, user: /\/user@\d+\.service\//.test(cg) };
  }
  return null;
}

/** How to stop a running gateway: through its systemd unit when it has one (a kill would be restarted), else by pid. */
export function howToStop(pid: number, procRoot = "/proc"): string {
  let text = "";
  try {
    text = fs.readFileSync(`${procRoot}/${pid}/cgroup`, "utf8");
  } catch {
    // gone, or hidden
  }
  const u = unitOfCgroup(text);
  if (!u) return `\`kill ${pid}\``;
  return u.user ? `\`systemctl --user disable --now ${u.unit}\` (as its user)` : `\`sudo systemctl disable --now ${u.unit}\``;
}
