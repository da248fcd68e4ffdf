/**
 * `onebrain browser status` without the CLI framework: bin/onebrain.js loads this one bundle
 * (dist/fast/browser-status.js, no commander, no node:http, no config schema) when the command
 * line is exactly a plain `browser status`. It answers only when everything is as expected (a
 * running gateway, a config file in plain JSON, a 200 JSON answer); otherwise it says so and the full CLI
 * runs the same read-only call again, which explains what went wrong with its coded error.
 */
import { resolvePaths } from "../../paths/paths.ts";
import type { BrowserStatus } from "../../browser/manager.ts";
import { isPlainBrowserStatus, splitProfiles } from "./argv.ts";
import { loopbackGetJson } from "./loopback-get.ts";
import { controlTarget } from "./target.ts";
import { statusLines } from "./view.ts";

/** Thrown when the config file is not plain JSON, or needs the full loader to explain it. */
const NEEDS_FULL_CLI = new Error("needs the full CLI");

/** Answers `browser status` if it can; false means nothing was printed and the full CLI must run. */
export async function fastBrowserStatus(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const shape = isPlainBrowserStatus(argv);
  if (!shape) return false;
  try {
    const split = splitProfiles(argv);
    const paths = resolvePaths({ profile: split.brain, env });
    // Plain JSON only (what `setup` writes): JSON5's parser is most of this bundle's size.
    const t = await controlTarget(paths, { parse: (text) => JSON.parse(text), explain: () => Promise.reject(NEEDS_FULL_CLI) }, env);
    const query = split.browser ? `?${new URLSearchParams({ profile: split.browser }).toString()}` : "";
    const answer = await loopbackGetJson(t.port, `/status${query}`, t.authorization, 5000);
    if (!answer || answer.status !== 200) return false;
    const s = answer.body as BrowserStatus;
    const text = shape.json ? JSON.stringify({ ok: true, controlPort: t.port, ...s }, null, 2) : statusLines(s, t.port).join("\n");
    process.stdout.write(`${text}\n`);
    return true;
  } catch {
    return false;
  }
}
