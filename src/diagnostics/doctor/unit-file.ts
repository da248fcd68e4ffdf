/**
 * A small reader of systemd unit files, enough to learn which brain an installed
 * `onebrain-gateway[-<profile>].service` runs: `Environment=` (quoted, several per line),
 * `EnvironmentFile=`, `User=`, `WorkingDirectory=` and `ExecStart=` of the [Service] section.
 * Kept here, independent of src/service/ (which writes units), so doctor reads any unit,
 * including a hand-written one.
 */
import fs from "node:fs";
import path from "node:path";

export interface UnitDir {
  dir: string;
  /** user: `~/.config/systemd/user`, runs as that user; system: `/etc/systemd/system`, runs as `User=` (root if unset). */
  scope: "user" | "system";
}

export interface UnitFile {
  file: string;
  /** `onebrain-gateway` or `onebrain-gateway-<profile>` (without `.service`). */
  name: string;
  scope: UnitDir["scope"];
  user: string | null;
  workingDirectory: string | null;
  environment: Record<string, string>;
  environmentFiles: string[];
  /** ExecStart split into words, prefixes (`-@:+!`) removed. */
  execStart: string[];
}

/** The unit dirs doctor looks in: the user's own and the system's. */
export function defaultUnitDirs(home: string, env: Readonly<Record<string, string | undefined>> = process.env): UnitDir[] {
  return [
    { dir: path.join(env.XDG_CONFIG_HOME || path.join(home, ".config"), "systemd", "user"), scope: "user" },
    { dir: "/etc/systemd/system", scope: "system" },
  ];
}

/** Splits a systemd value into words: double and single quotes group, backslash escapes. */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let inWord = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && i + 1 < value.length) {
      cur += value[++i];
      inWord = true;
    } else if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Parses the [Service] section of a unit's text. */
export function parseUnitText(text: string, file = "", scope: UnitDir["scope"] = "system"): UnitFile {
  const unit: UnitFile = {
    file,
    name: path.basename(file).replace(/\.service$/, ""),
    scope,
    user: null,
    workingDirectory: null,
    environment: {},
    environmentFiles: [],
    execStart: [],
  };
  let section = "";
  // Backslash at the end of a line continues it.
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      section = line;
      continue;
    }
    if (section !== "[Service]") continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === "Environment") {
      if (value === "") unit.environment = {}; // an empty assignment resets the list
      for (const word of splitWords(value)) {
        const i = word.indexOf("=");
        if (i > 0) unit.environment[word.slice(0, i)] = word.slice(i + 1);
      }
    } else if (key === "EnvironmentFile") unit.environmentFiles.push(value.replace(/^-/, ""));
    else if (key === "User") unit.user = value || null;
    else if (key === "WorkingDirectory") unit.workingDirectory = value.replace(/^-/, "") || null;
    else if (key === "ExecStart" && value) unit.execStart = splitWords(value.replace(/^[-@:+!]+/, ""));
  }
  return unit;
}

/** Replaces the specifiers doctor can know (`%h` home, `%u` user, `%%`). */
export function expandSpecifiers(value: string, home: string, user: string): string {
  return value.replace(/%([hu%])/g, (_m, c: string) => (c === "h" ? home : c === "u" ? user : "%"));
}

/** Every `onebrain-gateway*.service` in the given dirs, parsed. Unreadable dirs are skipped. */
export function findGatewayUnits(dirs: readonly UnitDir[]): UnitFile[] {
  const out: UnitFile[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(d.dir);
    } catch {
      continue;
    }
    for (const n of names.filter((x) => /^onebrain-gateway(-[A-Za-z0-9_-]+)?\.service$/.test(x)).sort()) {
      const file = path.join(d.dir, n);
      try {
        out.push(parseUnitText(fs.readFileSync(file, "utf8"), file, d.scope));
      } catch {
        // A dangling symlink or unreadable unit: nothing to compare.
      }
    }
  }
  return out;
}
