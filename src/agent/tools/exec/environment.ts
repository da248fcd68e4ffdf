/**
 * The environment a command gets: a small safe base, the names the operator lists in
 * `tools.exec.env`, and extras the call passes for those names. Nothing else of the gateway's
 * environment reaches a command, so its API keys and tokens never do.
 */

/** The base names always passed (with defaults when the gateway has none). */
export const BASE_ENV_NAMES = ["PATH", "HOME", "LANG", "LC_ALL", "TERM", "TZ", "USER"] as const;

const DEFAULTS: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", TERM: "dumb" };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The child's environment, or a sentence saying which extra is refused and why. `listed` are the
 * configured `tools.exec.env` names; `extras` the call's `env` input.
 */
export function childEnv(
  gatewayEnv: NodeJS.ProcessEnv,
  listed: readonly string[],
  extras: Record<string, unknown>,
  workspace: string,
): { ok: true; env: Record<string, string> } | { ok: false; error: string } {
  const env: Record<string, string> = {};
  for (const name of [...BASE_ENV_NAMES, ...listed]) {
    const value = gatewayEnv[name] ?? DEFAULTS[name] ?? (name === "HOME" ? workspace : undefined);
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(extras)) {
    if (!NAME.test(name)) return { ok: false, error: `env name "${name}" is not a variable name (letters, digits and _, not starting with a digit).` };
    if (!listed.includes(name)) {
      return {
        ok: false,
        error: `env name "${name}" is not allowed: only names listed in tools.exec.env may be passed (${listed.length ? listed.join(", ") : "none are listed"}).`,
      };
    }
    if (typeof value !== "string" || value.includes("\0")) return { ok: false, error: `env value of "${name}" must be a string without NUL bytes.` };
    env[name] = value;
  }
  return { ok: true, env };
}
