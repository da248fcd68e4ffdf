/**
 * What the mapping steps share: the source, its config, where its variables came from, the
 * ledger they report to, and the one rule for secrets: a literal secret is carried over (the
 * config is 0600, as OpenClaw's was); a secret that came from a variable stays out of the file,
 * the variable is named, and the user is told to set it for onebrain.
 */
import path from "node:path";
import type { Env } from "../../paths/paths.ts";
import { secretProblem } from "../../shared/redact.ts";
import { envRef, hasTemplate, originOf, otherSecretRef, type EnvSources } from "./env.ts";
import type { Ledger, SectionName } from "./report.ts";
import type { SourceDir } from "./source.ts";

export interface MapContext {
  source: SourceDir;
  /** The source's config (an empty object when it has none or it was unreadable). */
  oc: Record<string, unknown>;
  home: string;
  env: Env;
  sources: EnvSources;
  ledger: Ledger;
}

/** A secret as the mapping carries it: a literal value, the variable it came from, or neither (reported). */
export type SecretTake = { value: string } | { env: string } | null;

/**
 * Reads a secret of the source config at `key`. A literal is returned; `${VAR}` (or a SecretRef
 * to the environment) returns the variable and adds "set <onebrainVar or VAR> for onebrain" to
 * the next steps; anything else is reported as left.
 */
export function takeSecret(ctx: MapContext, section: SectionName, key: string, value: unknown, onebrainVar?: string): SecretTake {
  if (value === undefined || value === null || value === "") return null;
  const ref = envRef(value);
  if (ref) {
    const origin = originOf(ref, ctx.sources, ctx.env);
    const set = onebrainVar && onebrainVar !== ref ? `set ${onebrainVar} to the value of ${ref}` : `set ${ref}`;
    ctx.ledger.todo(`${set} in the gateway's environment (${key} came from \${${ref}}: ${origin}; onebrain reads no .env file)`);
    return { env: ref };
  }
  const other = otherSecretRef(value);
  if (other) {
    ctx.ledger.left(section, key, `${other}: onebrain takes the value itself or an environment variable; set it with \`onebrain config set\``);
    return null;
  }
  if (typeof value !== "string") {
    ctx.ledger.left(section, key, "not a string");
    return null;
  }
  if (hasTemplate(value)) {
    ctx.ledger.left(section, key, "a value with ${VAR} inside it: onebrain does not fill variables into config strings");
    return null;
  }
  const problem = secretProblem(value);
  if (problem) {
    ctx.ledger.left(section, key, problem);
    return null;
  }
  return { value };
}

/** A path of the source config: `~` against the source's home, relative ones against the config's dir. */
export function sourcePath(ctx: MapContext, p: string): string {
  if (p === "~") return ctx.home;
  if (p.startsWith("~/")) return path.join(ctx.home, p.slice(2));
  return path.resolve(ctx.source.configFile ? path.dirname(ctx.source.configFile) : ctx.source.dir, p);
}

/** Names the keys of `o` not in `known`, for one "left" item. */
export function otherKeys(o: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(o).filter((k) => !known.includes(k));
}
