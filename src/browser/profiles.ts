/**
 * The browser profiles of a brain, resolved from the config: the default profile always exists;
 * each is managed (onebrain launches it on a CDP port from the range, with its own user-data-dir
 * under the state dir), pinned (launched by onebrain on a fixed `cdpPort`) or remote (attached to
 * a `cdpUrl` someone else runs: never launched, never killed).
 */
import path from "node:path";
import type { Config } from "../config/schema.ts";
import { OnebrainError } from "../shared/errors.ts";

/** The browser section of the config. */
export type BrowserConfig = Config["browser"];

/** How a profile gets its browser. */
export type ProfileKind = "managed" | "pinned" | "remote";

/** One resolved profile. */
export interface BrowserProfile {
  name: string;
  kind: ProfileKind;
  /** managed: the preferred port of the range (the one tried first); pinned: the port. */
  cdpPort: number | null;
  cdpUrl: string | null;
  /** Where a launched profile keeps its data; null for remote ones. */
  userDataDir: string | null;
  color: string | null;
  /** The profile's own headless setting, when it has one. */
  headless: boolean | undefined;
}

/** Where a profile's browser data lives: `<stateDir>/browser/<name>/user-data` (doctor recognises a brain's browsers by it). */
export function userDataDirOf(stateDir: string, name: string): string {
  return path.join(stateDir, "browser", name, "user-data");
}

/** Which brain and profile a user-data-dir belongs to, when it has our shape. */
export function parseUserDataDir(dir: string): { stateDir: string; profile: string } | null {
  const m = /^(.+)\/browser\/([a-z0-9][a-z0-9_-]{0,31})\/user-data\/?$/.exec(dir);
  return m ? { stateDir: m[1]!, profile: m[2]! } : null;
}

/** Every profile, the default first and the rest by name; managed ones get consecutive preferred ports from the range's start. */
export function resolveProfiles(browser: Readonly<BrowserConfig>, cdpRange: { first: number; last: number }, stateDir: string): BrowserProfile[] {
  const names = [
    browser.defaultProfile,
    ...Object.keys(browser.profiles)
      .filter((n) => n !== browser.defaultProfile)
      .sort(),
  ];
  const size = cdpRange.last - cdpRange.first + 1;
  let managed = 0;
  return names.map((name) => {
    const p = browser.profiles[name] ?? {};
    const cdpUrl = p.cdpUrl ?? (name === browser.defaultProfile ? browser.cdpUrl : undefined);
    const base = { name, color: p.color ?? null, headless: p.headless };
    if (cdpUrl !== undefined) return { ...base, kind: "remote" as const, cdpPort: null, cdpUrl, userDataDir: null };
    const userDataDir = userDataDirOf(stateDir, name);
    if (p.cdpPort !== undefined) return { ...base, kind: "pinned" as const, cdpPort: p.cdpPort, cdpUrl: null, userDataDir };
    return { ...base, kind: "managed" as const, cdpPort: cdpRange.first + (managed++ % size), cdpUrl: null, userDataDir };
  });
}

/** The profile named, or the default one; BROWSER_PROFILE_UNKNOWN names the ones there are. */
export function pickProfile(profiles: readonly BrowserProfile[], name: string | undefined | null): BrowserProfile {
  const wanted = name ?? profiles[0]?.name;
  const found = profiles.find((p) => p.name === wanted);
  if (!found) {
    throw new OnebrainError(
      "BROWSER_PROFILE_UNKNOWN",
      `No browser profile ${JSON.stringify(wanted)}: the profiles are ${profiles.map((p) => p.name).join(", ")}`,
      {
        hint: "add it under browser.profiles, or leave --profile out for the default one",
      },
    );
  }
  return found;
}
