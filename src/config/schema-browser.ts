/** The config of the browser control service (`browser.*`): part of the one config schema (schema.ts). */
import * as z from "zod/mini";
import { int, port, section, text } from "./schema-parts.ts";

const bool = () => z.boolean({ error: "expected true or false" });

/** Why a CDP URL cannot be used, or null. The port is required: a default of 80/443 is never where a browser listens by accident. */
export function cdpUrlProblem(v: string): string | null {
  if (!URL.canParse(v)) return "expected a URL such as http://127.0.0.1:9222 or ws://10.0.0.5:9222/devtools/browser/ID";
  const u = new URL(v);
  if (!/^(https?|wss?):$/.test(u.protocol)) return `expected an http(s) or ws(s) URL, not ${u.protocol}`;
  if (u.port === "")
    return `expected an explicit port (such as ${u.protocol}//${u.hostname}:9222): a CDP URL without one would reach port ${u.protocol.endsWith("s:") ? 443 : 80}`;
  return null;
}

const cdpUrl = () => text().check(z.refine((v) => cdpUrlProblem(v) === null, { error: (iss) => cdpUrlProblem(String(iss.input)) ?? "expected a CDP URL" }));

/** Profile names become directory names and URL query values: kept to a safe alphabet. */
export const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

const profileSchema = z
  .strictObject({
    /** Launch onebrain's own browser on this CDP port (instead of one chosen from the range). */
    cdpPort: z.optional(port()),
    /** Attach to a browser someone else runs (http(s) discovery or a ws(s) endpoint); never launched or killed by onebrain. */
    cdpUrl: z.optional(cdpUrl()),
    /** A colour for the profile in the console (any CSS colour). */
    color: z.optional(text()),
    /** Overrides browser.headless for this profile. */
    headless: z.optional(bool()),
  })
  .check(
    z.refine((p) => !(p.cdpPort !== undefined && p.cdpUrl !== undefined), {
      error: "expected cdpPort (a browser onebrain launches) or cdpUrl (a browser it attaches to), not both",
    }),
  );

export const browserSchema = z
  .strictObject({
    /** Unset: on when a Chromium or Chrome executable is found. The browser itself starts on first use. */
    enabled: z.optional(bool()),
    controlPort: z.optional(port()),
    /** Chromium/Chrome to launch; unset: the first of chromium, chromium-browser, google-chrome(-stable) found. */
    executablePath: z.optional(text()),
    /** Unset: headless when there is no display (DISPLAY / WAYLAND_DISPLAY unset). */
    headless: z.optional(bool()),
    /** Unset: --no-sandbox only when running as root or in a container. */
    noSandbox: z.optional(bool()),
    /** The default profile attaches to this browser (as its cdpUrl). */
    cdpUrl: z.optional(cdpUrl()),
    /** The profile used when a call names none. */
    defaultProfile: z._default(text().check(z.regex(PROFILE_NAME, { error: "expected a profile name of a-z, 0-9, _ and - (at most 32)" })), "onebrain"),
    /** How long a launched browser may take to answer on its CDP port. */
    startTimeoutMs: z._default(int(1000, 120_000), 15_000),
    /** Tabs one profile may hold open; opening more is refused. */
    maxTabs: z._default(int(1, 200), 20),
    profiles: z._default(
      z.record(z.string().check(z.regex(PROFILE_NAME, { error: "expected a profile name of a-z, 0-9, _ and - (at most 32)" })), profileSchema, {
        error: "expected an object of browser profiles, each named with a-z, 0-9, _ and - (a profile name of at most 32)",
      }),
      {},
    ),
  })
  .check(
    z.refine((b) => !(b.cdpUrl !== undefined && b.profiles[b.defaultProfile]?.cdpPort !== undefined), {
      error: "expected browser.cdpUrl or a cdpPort on the default profile, not both",
    }),
  );

/** The browser section, defaults applied. */
export const browserSection = () => section(browserSchema);
