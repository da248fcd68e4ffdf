/**
 * Check 5: the installed service against this CLI. A unit that runs another HOME, state dir,
 * config or profile than the one this CLI resolves means "you are editing one config while the
 * service runs another". No unit installed is fine.
 */
import fs from "node:fs";
import os from "node:os";
import { resolvePaths, serviceName } from "../../paths/paths.ts";
import { flagValue } from "./argv.ts";
import type { DoctorCheck, DoctorContext } from "./types.ts";
import { expandSpecifiers, findGatewayUnits, type UnitFile } from "./unit-file.ts";

const KEYS = ["HOME", "ONEBRAIN_STATE_DIR", "ONEBRAIN_CONFIG_PATH", "ONEBRAIN_PROFILE"];

function passwdHome(user: string, passwdFile: string): string | null {
  try {
    const line = fs
      .readFileSync(passwdFile, "utf8")
      .split("\n")
      .find((l) => l.split(":")[0] === user);
    return line?.split(":")[5] ?? null;
  } catch {
    return null;
  }
}

/** Only the path variables of an EnvironmentFile (it may hold secrets: nothing else is kept). */
function envFileVars(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m && KEYS.includes(m[1]!)) out[m[1]!] = m[2]!.trim().replace(/^(["'])(.*)\1$/, "$2");
    }
  } catch {
    // Missing or unreadable: systemd would fail or skip it too ("-" prefix).
  }
  return out;
}

export interface ServiceBrain {
  unit: string;
  file: string;
  user: string;
  home: string;
  profile: string | null;
  stateDir: string;
  configPath: string;
}

/** The brain a unit runs: its HOME (Environment=, else User='s home, else the user unit's owner), profile and paths. */
export function serviceBrain(unit: UnitFile, ctx: Pick<DoctorContext, "paths" | "procFs">, currentUser: string): ServiceBrain | null {
  const user = unit.scope === "user" ? currentUser : (unit.user ?? "root");
  const baseHome = unit.scope === "user" ? ctx.paths.home : (passwdHome(user, ctx.procFs.passwdFile) ?? (user === "root" ? "/root" : `/home/${user}`));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(unit.environment)) if (KEYS.includes(k)) env[k] = expandSpecifiers(v, baseHome, user);
  for (const f of unit.environmentFiles) Object.assign(env, envFileVars(expandSpecifiers(f, baseHome, user)));
  const home = env.HOME ?? baseHome;
  const flag = flagValue(unit.execStart, "--profile");
  try {
    const p = resolvePaths({ profile: flag, env, home });
    return { unit: unit.name, file: unit.file, user, home, profile: p.profile ?? null, stateDir: p.stateDir, configPath: p.configPath };
  } catch {
    return null; // an invalid profile name in the unit: it cannot start
  }
}

export const serviceCheck: DoctorCheck = {
  id: "service",
  group: "this brain",
  title: "The installed service (systemd unit) runs the same HOME, state dir, config and profile as this CLI resolves.",
  run(ctx) {
    const units = findGatewayUnits(ctx.unitDirs);
    const want = serviceName(ctx.paths.profile);
    const me = os.userInfo().username;
    const mine = units.filter((u) => u.name === want);
    const others = units.filter((u) => u.name !== want).map((u) => `${u.name} (${u.scope})`);
    const elsewhere = others.length ? `; also installed: ${others.join(", ")}` : "";
    if (mine.length === 0)
      return [{ id: "service", status: "ok", finding: `no ${want} service installed${elsewhere}`, details: { units: units.map((u) => u.file) } }];
    const brains = mine.map((u) => serviceBrain(u, ctx, me));
    const p = ctx.paths;
    for (const [i, b] of brains.entries()) {
      const u = mine[i]!;
      if (!b)
        return [
          {
            id: "service",
            status: "fail",
            finding: `${u.file} names an invalid profile: the service cannot start`,
            fix: "reinstall the service for a valid profile name",
          },
        ];
      const diffs: string[] = [];
      if (b.stateDir !== p.stateDir) diffs.push(`state dir ${b.stateDir}`);
      if (b.configPath !== p.configPath) diffs.push(`config ${b.configPath}`);
      if ((b.profile ?? null) !== (p.profile ?? null)) diffs.push(`profile ${b.profile ?? "default"}`);
      if (diffs.length) {
        return [
          {
            id: "service",
            status: "fail",
            finding: `you are editing one config while the service runs another: ${u.scope} unit ${b.unit} runs ${diffs.join(", ")} (HOME ${b.home}, user ${b.user}), this CLI uses ${p.stateDir} and ${p.configPath}`,
            fix: `run the CLI as the service does (${b.user === me ? "" : `\`sudo -u ${b.user}\` `}with HOME=${b.home}${b.profile ? ` --profile ${b.profile}` : ""}), or reinstall the service for this brain`,
            details: { service: b, cli: { home: p.home, stateDir: p.stateDir, configPath: p.configPath, profile: p.profile ?? null } },
          },
        ];
      }
    }
    const b = brains[0]!;
    return [
      {
        id: "service",
        status: "ok",
        finding: `${mine.map((u) => `${u.scope} unit ${u.name}`).join(" and ")} runs this brain (${b.stateDir}, user ${b.user})${elsewhere}`,
        details: { service: brains },
      },
    ];
  },
};
