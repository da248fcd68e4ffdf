/** What every command needs first: the paths of the brain the global flags select. */
import { resolvePaths, type BrainPaths } from "../paths/paths.ts";

export interface GlobalOptions {
  profile?: string;
}

/** Resolves the brain's paths from `--profile` and the environment. */
export function brainPaths(global: GlobalOptions): BrainPaths {
  return resolvePaths({ profile: global.profile });
}
