/**
 * Options read as getopt reads them for the wrappers (`+` in the optstring: stop at the first
 * operand), and the error a command that cannot be read exactly throws.
 */

/** A command that cannot be read exactly; the message says why, as a sentence fragment. */
export class Unparseable extends Error {}

/** Throws Unparseable with this reason. */
export function bad(reason: string): never {
  throw new Unparseable(reason);
}

/** How an option takes a value: none, the next word (or attached), only attached. */
export type Arity = "flag" | "arg" | "optional";
/** A program's short and long options. */
export interface OptionSpec {
  short: Record<string, Arity>;
  long: Record<string, Arity>;
}

/**
 * Reads leading options (getopt with `+`: stop at the first operand), returning the index of the
 * first operand and calling `seen` for each option; an unknown option is unparseable.
 */
export function readOptions(tool: string, args: string[], spec: OptionSpec, seen: (name: string, value: string | null) => void = () => {}): number {
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return i + 1;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const arity = spec.long[name];
      if (!arity) bad(`\`${tool}\` option \`--${name}\` is not one the allowlist knows`);
      if (arity === "flag" && eq >= 0) bad(`\`${tool}\` option \`--${name}\` takes no value`);
      if (arity === "arg" && eq < 0) {
        if (i + 1 >= args.length) bad(`\`${tool}\` option \`--${name}\` needs a value`);
        seen(name, args[++i] as string);
      } else seen(name, eq < 0 ? null : arg.slice(eq + 1));
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") return i;
    for (let j = 1; j < arg.length; j++) {
      const ch = arg[j] as string;
      const arity = spec.short[ch];
      if (!arity) bad(`\`${tool}\` option \`-${ch}\` is not one the allowlist knows`);
      if (arity === "flag") {
        seen(ch, null);
        continue;
      }
      const rest = arg.slice(j + 1);
      if (arity === "optional" || rest !== "") seen(ch, rest === "" ? null : rest);
      else {
        if (i + 1 >= args.length) bad(`\`${tool}\` option \`-${ch}\` needs a value`);
        seen(ch, args[++i] as string);
      }
      break;
    }
  }
  return i;
}
