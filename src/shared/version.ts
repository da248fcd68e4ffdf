/** The package version, read once from package.json beside dist/ or src/. */
import fs from "node:fs";

let cached: string | undefined;

/** The onebrain version string, e.g. "0.1.0". */
export function onebrainVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    cached = pkg.version;
  }
  return cached;
}
