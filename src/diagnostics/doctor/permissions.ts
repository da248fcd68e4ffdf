/**
 * Check 6: the state dir is 0700 and owned by the running user; the config (and its .bak) are
 * 0600, and a token readable by others fails; data files (database, backups, logs, owner
 * record) are private. `--fix` removes group and other bits (chmod), never changes owners.
 */
import fs from "node:fs";
import path from "node:path";
import { userName } from "../../proc/process.ts";
import { holdsSecrets, readRawConfig } from "./credentials.ts";
import { octal, type DoctorCheck, type DoctorContext, type Finding, type Repair, type Status } from "./types.ts";

interface Problem {
  path: string;
  status: Exclude<Status, "ok">;
  text: string;
  /** The mode to chmod to; absent when there is nothing safe to do (ownership). */
  want?: number;
  mode: number;
}

function statOf(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

function filesIn(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

/** A chmod that first checks the mode is still the one seen, and records the old one. */
function chmodRepair(p: Problem): Repair {
  const want = p.want!;
  return {
    describe: `chmod ${octal(want)} ${p.path} (was ${octal(p.mode)})`,
    needsYes: false,
    apply(journal) {
      const st = statOf(p.path);
      if (!st || (st.mode & 0o777) !== p.mode) return null;
      fs.chmodSync(p.path, want);
      const record = { check: "perms", action: "chmod", path: p.path, before: octal(p.mode), after: octal(want) };
      journal.record(record);
      return record;
    },
  };
}

/** Every permission problem of this brain's files. */
export function permissionProblems(ctx: DoctorContext): Problem[] {
  const { stateDir, configPath } = ctx.paths;
  const out: Problem[] = [];
  const dir = statOf(stateDir);
  if (!dir) return out;
  const mode = dir.mode & 0o777;
  if (dir.uid !== ctx.uid) {
    out.push({
      path: stateDir,
      mode,
      status: "warn",
      text: `${stateDir} belongs to ${userName(dir.uid, ctx.procFs) ?? `uid ${dir.uid}`}, not to the user running doctor (${userName(ctx.uid, ctx.procFs) ?? `uid ${ctx.uid}`})`,
    });
  }
  if (mode & 0o022)
    out.push({ path: stateDir, mode, want: mode & 0o700, status: "fail", text: `${stateDir} is ${octal(mode)}: others can replace files in it` });
  else if (mode & 0o077) out.push({ path: stateDir, mode, want: mode & 0o700, status: "warn", text: `${stateDir} is ${octal(mode)}: others can look inside` });

  // A config that cannot be parsed may still hold a token: count it as one.
  const secretsIn = (file: string) => {
    const raw = readRawConfig(file);
    return raw === undefined ? true : holdsSecrets(raw);
  };
  for (const file of [configPath, `${configPath}.bak`]) {
    const st = statOf(file);
    if (!st?.isFile()) continue;
    const m = st.mode & 0o777;
    if (!(m & 0o077)) continue;
    const fileSecrets = secretsIn(file);
    const who = m & 0o004 ? "anyone on this host" : "its group";
    out.push({
      path: file,
      mode: m,
      want: m & 0o600,
      status: fileSecrets ? "fail" : "warn",
      text: `${file} is ${octal(m)}: ${fileSecrets ? `a token readable by ${who}` : `readable by ${who}`}`,
    });
  }
  const data = [
    ...["brain.db", "brain.db-wal", "brain.db-shm", "brain.owner.json"].map((f) => path.join(stateDir, f)),
    ...filesIn(path.join(stateDir, "backups")),
    ...filesIn(ctx.paths.logDir),
  ];
  for (const file of data) {
    const st = statOf(file);
    if (!st?.isFile()) continue;
    const m = st.mode & 0o777;
    if (m & 0o077) out.push({ path: file, mode: m, want: m & 0o600, status: "warn", text: `${file} is ${octal(m)}: conversations or logs readable by others` });
  }
  return out;
}

export const permissionsCheck: DoctorCheck = {
  id: "perms",
  group: "security",
  title: "Permissions: state dir 0700 and owned by the running user; config and secrets 0600; no token readable by others.",
  run(ctx): Finding[] {
    const dir = statOf(ctx.paths.stateDir);
    if (!dir) return [{ id: "perms", status: "ok", finding: `${ctx.paths.stateDir} does not exist yet (\`onebrain setup\` creates it 0700)` }];
    const problems = permissionProblems(ctx);
    if (problems.length === 0) {
      const cfg = statOf(ctx.paths.configPath);
      return [
        {
          id: "perms",
          status: "ok",
          finding: `state dir ${octal(dir.mode)}${cfg ? `, config ${octal(cfg.mode)}` : ""}, data files private, owned by ${userName(dir.uid, ctx.procFs) ?? `uid ${dir.uid}`}`,
        },
      ];
    }
    const sorted = [...problems].sort((a, b) => Number(b.status === "fail") - Number(a.status === "fail"));
    const fixable = problems.filter((p) => p.want !== undefined);
    const chmods = fixable.map((p) => `chmod ${octal(p.want!)} ${p.path}`);
    return [
      {
        id: "perms",
        status: sorted[0]!.status,
        finding: `${sorted[0]!.text}${problems.length > 1 ? `; +${problems.length - 1} more` : ""}`,
        fix: fixable.length
          ? `\`onebrain doctor --fix\`, or: ${chmods.slice(0, 2).join(" && ")}${chmods.length > 2 ? " ..." : ""}`
          : "run onebrain as the user that owns the state dir (or `chown -R USER DIR` as root)",
        details: {
          problems: problems.map((p) => ({
            path: p.path,
            mode: octal(p.mode),
            status: p.status,
            text: p.text,
            ...(p.want !== undefined ? { want: octal(p.want) } : {}),
          })),
        },
        repairs: fixable.map(chmodRepair),
      },
    ];
  },
};
