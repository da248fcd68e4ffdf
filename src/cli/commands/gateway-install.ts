/** `onebrain gateway install [--system --user NAME] [--force] [--print]`: a systemd unit for this brain. */
import fs from "node:fs";
import path from "node:path";
import { loadBrainConfig } from "../../config/load.ts";
import { portPlan } from "../../paths/ports.ts";
import { accessFor, installFiles, nodeBinary, shebangNodeFlags, type InstalledFiles } from "../../service/install.ts";
import { unavailable } from "../../service/lifecycle.ts";
import { systemctlOk, unitDir } from "../../service/systemd.ts";
import { noRestartExitStatuses, renderUnit, timeoutStopSec, WATCHDOG_SEC, type UnitFacts } from "../../service/unit.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { onebrainVersion } from "../../shared/version.ts";
import type { GlobalOptions } from "../brain.ts";
import { printJson, printLines, rows } from "../output.ts";
import { binPath, serviceContext, serviceUserFrom, type ServiceContext, type ServiceFlags } from "./gateway-service.ts";

export interface InstallFlags extends ServiceFlags {
  force?: boolean;
  print?: boolean;
}

/** Secrets a shell may hold that a service never sees (systemd starts it with a clean environment). */
const SHELL_ONLY = ["ONEBRAIN_GATEWAY_TOKEN", "ONEBRAIN_GATEWAY_PASSWORD", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY"];

/** The facts of this brain's unit, from the flags, the environment and its config. */
export function unitFactsFor(ctx: ServiceContext): UnitFacts {
  const { brain } = ctx;
  const { config } = loadBrainConfig(brain.paths); // a broken config fails here (exit 20-22), before anything is written
  const bin = binPath();
  const docs = path.resolve(path.dirname(bin), "..", "docs", "service.md");
  const logFile = config.logging.file ? path.resolve(brain.paths.stateDir, config.logging.file) : null;
  const port = brain.env.ONEBRAIN_GATEWAY_PORT;
  return {
    scope: ctx.scope,
    user: brain.user,
    home: brain.home,
    stateDir: brain.paths.stateDir,
    configPath: brain.paths.configPath,
    profile: brain.paths.profile,
    nodePath: nodeBinary(),
    nodeFlags: shebangNodeFlags(bin),
    binPath: bin,
    shutdownGraceMs: config.gateway.shutdownGraceMs,
    port: portPlan({ env: brain.env, configPort: config.gateway.port, profile: brain.paths.profile }).base,
    ...(port ? { extraEnv: { ONEBRAIN_GATEWAY_PORT: port } } : {}),
    ...(logFile ? { writablePaths: [path.dirname(logFile)] } : {}),
    docsPath: fs.existsSync(docs) ? docs : undefined,
    version: onebrainVersion(),
  };
}

/** A system unit's user must be able to run node and read the code and the config. */
function checkAccess(ctx: ServiceContext, facts: UnitFacts): void {
  const user = ctx.serviceUser;
  if (!user) return;
  const needs: Array<[string, "r" | "x"]> = [
    [facts.nodePath, "x"],
    [facts.binPath, "r"],
    [path.resolve(path.dirname(facts.binPath), "..", "dist", "onebrain.js"), "r"],
    ...(fs.existsSync(facts.configPath) ? ([[facts.configPath, "r"]] as Array<[string, "r"]>) : []),
  ];
  for (const [file, mode] of needs) {
    const a = accessFor(user, file, mode);
    if (!a.ok) {
      throw new OnebrainError("SERVICE_PERMISSION", `The service user ${user.name} cannot ${mode === "x" ? "run" : "read"} ${file}: blocked at ${a.blocker}`, {
        hint: "Install onebrain where the service user can read it (e.g. /opt/onebrain, or `npm install -g`), or give the config to that user.",
        details: { user: user.name, file, blocker: a.blocker },
      });
    }
  }
}

/** The command. */
export default async function install(global: GlobalOptions, opts: InstallFlags): Promise<void> {
  if (opts.system) serviceUserFrom(opts); // argument errors first, whatever the host
  const ctx = serviceContext(global, { system: opts.system, user: opts.user }, { brainFromUnit: false });
  const facts = unitFactsFor(ctx);
  const text = renderUnit(facts);
  if (opts.print) {
    if (opts.json) printJson({ ok: true, name: ctx.name, scope: ctx.scope, path: ctx.unitPath, unit: text });
    else process.stdout.write(text);
    return;
  }
  if (!ctx.systemd.running) throw unavailable(ctx, "install a systemd service");
  if (ctx.scope === "system" && process.getuid?.() !== 0) {
    throw new OnebrainError("SERVICE_PERMISSION", "Installing a system unit needs root (it writes /etc/systemd/system)", {
      hint: "Run it with sudo, or install a user unit (without --system).",
    });
  }
  checkAccess(ctx, facts);
  const files: InstalledFiles = installFiles({
    unitDir: unitDir(ctx.scope, ctx.host),
    name: ctx.name,
    text,
    force: Boolean(opts.force),
    stateDir: facts.stateDir,
    owner: ctx.serviceUser ? { uid: ctx.serviceUser.uid, gid: ctx.serviceUser.gid, name: ctx.serviceUser.name } : null,
  });
  await systemctlOk(ctx.scope, ["daemon-reload"], ctx.host);
  await systemctlOk(ctx.scope, ["enable", `${ctx.name}.service`], ctx.host);

  const notes: string[] = [];
  const shellOnly = SHELL_ONLY.filter((k) => process.env[k]);
  if (shellOnly.length)
    notes.push(
      `${shellOnly.join(", ")} ${shellOnly.length > 1 ? "are" : "is"} set in this shell, but the service will not see ${shellOnly.length > 1 ? "them" : "it"}: put ${shellOnly.length > 1 ? "them" : "it"} in ${files.envFile} (0600)`,
    );
  if (ctx.scope === "user" && !fs.existsSync(`/var/lib/systemd/linger/${facts.user}`))
    notes.push(`a user unit stops when ${facts.user} logs out: \`loginctl enable-linger ${facts.user}\` keeps it running`);
  const start = `onebrain gateway start${ctx.scope === "system" ? " --system" : ""}`;
  const report = {
    ok: true,
    unit: { name: ctx.name, scope: ctx.scope, path: files.unit.path, result: files.unit.result },
    brain: { user: facts.user, stateDir: facts.stateDir, configPath: facts.configPath, profile: facts.profile ?? null, port: facts.port },
    envFile: files.envFile,
    watchdogSec: WATCHDOG_SEC,
    timeoutStopSec: timeoutStopSec(facts.shutdownGraceMs),
    restartPreventExitStatus: noRestartExitStatuses(),
    notes,
    next: start,
  };
  if (opts.json) return printJson(report);
  printLines([
    `installed ${ctx.scope} unit ${ctx.name}.service (${files.unit.result}), enabled`,
    ...rows([
      ["unit file", files.unit.path],
      ["runs as", facts.user],
      ["state dir", facts.stateDir],
      ["config", facts.configPath],
      ["profile", facts.profile ?? "default"],
      ["port", String(facts.port)],
      ["secrets", `${files.envFile} (0600, optional)`],
      ["watchdog", `${WATCHDOG_SEC}s; no restart after exit ${noRestartExitStatuses().join(" ")}`],
    ]),
    ...notes.map((n) => `note: ${n}`),
    `next: ${start}`,
  ]);
}
