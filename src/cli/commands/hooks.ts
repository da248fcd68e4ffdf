/**
 * `onebrain hooks token [--rotate]` and `onebrain hooks status` (docs/hooks.md). The token is made
 * here and printed once; only its hash is stored, and the running gateway reads it at the next
 * request (no restart). Status comes from the running gateway (which knows whether its own
 * environment overrides the file), else read-only from the config, the token file and the store.
 */
import { agentRoster } from "../../agents/roster.ts";
import { loadBrainConfig } from "../../config/load.ts";
import { hooksStatus, type HooksStatus } from "../../hooks/status.ts";
import { createHookToken, HOOK_TOKEN_ENV, hookTokenPath, HookTokens } from "../../hooks/token.ts";
import { peekStore } from "../../store/peek.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { readFromGateway } from "../gateway-read.ts";
import { printJson, printLines } from "../output.ts";

/** `hooks token [--rotate]`: a new token, shown once. */
export async function tokenCommand(global: GlobalOptions, opts: { rotate?: boolean; json?: boolean }): Promise<void> {
  const paths = brainPaths(global);
  const made = createHookToken(paths.stateDir, { rotate: Boolean(opts.rotate) });
  const file = hookTokenPath(paths.stateDir);
  const envSet = Boolean(process.env[HOOK_TOKEN_ENV]);
  if (opts.json) return printJson({ ok: true, token: made.token, createdAt: made.createdAt, rotated: made.rotated, file, envOverride: envSet });
  printLines([
    made.rotated ? "A new hook token (the old one no longer works):" : "The hook token:",
    "",
    `  ${made.token}`,
    "",
    `It is shown only now: ${file} keeps its SHA-256, not the token.`,
    "Senders send it as `Authorization: Bearer <token>` or `X-Onebrain-Hook-Token: <token>`, never in the URL.",
    ...(envSet ? [`Note: ${HOOK_TOKEN_ENV} is set here; a gateway started with it uses that token instead of this file.`] : []),
    "next: onebrain hooks status",
  ]);
}

/** The status from the running gateway, or (none running, or not answering) from the files and the store. */
async function readStatus(global: GlobalOptions): Promise<{ via: "gateway" | "files"; note: string | null; status: HooksStatus }> {
  const paths = brainPaths(global);
  const live = await readFromGateway(paths, (conn) => conn.request<HooksStatus>("hooks.status", {}));
  if (live && "value" in live) return { via: "gateway", note: null, status: live.value };
  const note = live ? `${live.note}: read from the files` : null;
  const full = loadBrainConfig(paths).config;
  const config = full.hooks;
  const defaultAgent = agentRoster(full, paths).defaultAgent.id;
  const token = new HookTokens(paths.stateDir, process.env).state();
  const read = (store: Parameters<typeof hooksStatus>[0]["store"]) => hooksStatus({ config, token, store, env: process.env, defaultAgent });
  return { via: "files", note, status: peekStore(paths.storePath, read) ?? read(null) };
}

const tokenLine = (s: HooksStatus, via: string): string => {
  if (s.token.source === "env") return `token: set by ${HOOK_TOKEN_ENV}${via === "gateway" ? " in the gateway's environment" : " here"}`;
  if (s.token.source === "file") return `token: set (made ${s.token.createdAt})`;
  return `token: none${s.token.problem ? ` (${s.token.problem})` : ""}: every hook that needs it is refused until \`onebrain hooks token\``;
};

/** `hooks status`. */
export async function statusCommand(global: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const r = await readStatus(global);
  if (opts.json) return printJson({ via: r.via, ...(r.note ? { note: r.note } : {}), ...r.status });
  const s = r.status;
  printLines([
    `hooks: ${s.enabled ? "on" : "off (hooks.enabled is false)"} (${r.via === "gateway" ? "from the running gateway" : "from the files; the gateway is not running"})`,
    ...(r.note ? [`  note: ${r.note}`] : []),
    `  ${tokenLine(s, r.via)}`,
    `  built-in: POST /hooks/agent (${s.deliveries.agent ?? 0} deliveries), POST /hooks/wake (${s.deliveries.wake ?? 0})`,
    `  mappings:${s.mappings.length ? "" : " none (hooks.mappings)"}`,
    ...s.mappings.map(
      (m) =>
        `    POST ${m.path}  auth ${m.auth}${m.secret === "env-missing" ? " (its secret's env variable is not set)" : ""}, agent ${m.agent}, session ${m.session}, ${m.deliver ? `announce ${m.deliver}` : "no delivery"}, ${m.deliveries} deliveries`,
    ),
    `  recent:${s.recent.length ? "" : " none"}`,
    ...s.recent.map((d) => `    ${d.id}  ${d.receivedAt}  ${d.hook.padEnd(12)} ${d.state}${d.note ? `: ${d.note}` : ""}`),
    ...(s.token.source === null ? ["next: onebrain hooks token"] : []),
  ]);
}
