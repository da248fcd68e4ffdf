/** What every command needs first: the paths of the brain the global flags select. */
import { resolvePaths, resolveProfile, type BrainPaths } from "../paths/paths.ts";

export interface GlobalOptions {
  profile?: string;
}

/** Resolves the brain's paths from `--profile` and the environment. */
export function brainPaths(global: GlobalOptions): BrainPaths {
  return resolvePaths({ profile: global.profile });
}

/** The profile in use for `next:` hints; an invalid name is left to the command to refuse. */
export function hintProfileOf(flag: string | undefined): string | undefined {
  try {
    return resolveProfile(flag);
  } catch {
    return undefined;
  }
}
