/**
 * Checks of this brain itself: its config parses, and the lock agrees with reality (the kernel
 * lock holder, the owner record, the live process and who listens on its port). A stale owner
 * record whose lock is free is the one thing `--fix` removes here (moved to the backup dir).
 */
import fs from "node:fs";
import path from "node:path";
import { inspectLock } from "../../lock/inspect.ts";
import { readOwnerRecord, type OwnerRecord } from "../../lock/owner.ts";
import type { DoctorCheck, DoctorContext, Finding, Repair } from "./types.ts";
import { whoListens } from "./ports.ts";

export const configCheck: DoctorCheck = {
  id: "config",
  group: "this brain",
  title: "The config file parses and matches the schema (a broken one stops the gateway from starting).",
  run(ctx) {
    const b = ctx.brain();
    if (b.configError)
      return [
        {
          id: "config",
          status: "fail",
          finding: b.configError.message.split("\n").slice(0, 3).join(" "),
          fix: b.configError.hint ?? `fix ${ctx.paths.configPath}, then \`onebrain config validate\``,
        },
      ];
    return [
      { id: "config", status: "ok", finding: b.configExists ? `${ctx.paths.configPath} is valid` : `no config file (${ctx.paths.configPath}): defaults apply` },
    ];
  },
};

/** Moves a stale owner record into the backup dir, after checking again that the lock is free and the record unchanged. */
function removeStaleOwner(ctx: DoctorContext, stale: OwnerRecord): Repair {
  const { lockPath, ownerPath } = ctx.paths;
  return {
    describe: `remove the stale owner record ${ownerPath} (pid ${stale.pid}; nobody holds the lock)`,
    needsYes: false,
    apply(journal) {
      const now = inspectLock(lockPath, ownerPath, ctx.procFs);
      if (now.status !== "free" || now.owner?.instanceId !== stale.instanceId) return null;
      const backup = path.join(journal.backupDir(), "brain.owner.json");
      fs.renameSync(ownerPath, backup);
      // A gateway that started in the meantime wrote its own record: give it back.
      if (readOwnerRecord(backup)?.instanceId !== stale.instanceId) {
        fs.renameSync(backup, ownerPath);
        return null;
      }
      const record = { check: "lock", action: "removed stale owner record", path: ownerPath, before: `record of pid ${stale.pid}`, after: "absent", backup };
      journal.record(record);
      return record;
    },
  };
}

export const lockCheck: DoctorCheck = {
  id: "lock",
  group: "this brain",
  title: "Lock vs reality: the kernel lock holder, the owner record, the live process and the listener on the brain's port agree.",
  run(ctx): Finding[] {
    const { lock, plan } = ctx.brain();
    const host = ctx.host();
    const details = {
      status: lock.status,
      holderPid: lock.holderPid,
      owner: lock.owner ? { ...lock.owner, argv: undefined } : null,
      ownerAlive: lock.ownerAlive,
      ownerIsHolder: lock.ownerIsHolder,
    };
    if (lock.status === "unknown")
      return [
        {
          id: "lock",
          status: "warn",
          finding: "cannot read /proc/locks: who holds this brain is unknown",
          fix: "run doctor on Linux with /proc mounted",
          details,
        },
      ];
    if (lock.status === "free") {
      if (lock.owner) {
        const state = lock.ownerAlive ? "alive but does not hold the lock" : "gone (a crash; the kernel released the lock)";
        return [
          {
            id: "lock",
            status: "warn",
            finding: `nobody holds the lock, but a stale owner record names pid ${lock.owner.pid}, which is ${state}`,
            fix: "`onebrain doctor --fix` removes it (kept in the backup dir); it is harmless otherwise: the next start overwrites it",
            details,
            repairs: [removeStaleOwner(ctx, lock.owner)],
          },
        ];
      }
      return [{ id: "lock", status: "ok", finding: "no gateway holds this brain (stopped); no stale owner record", details }];
    }
    const pid = lock.holderPid!;
    const port = lock.ownerIsHolder ? lock.owner!.port : (plan?.base ?? null);
    const holders = port === null ? [] : host.listeners.filter((l) => l.port === port);
    const strangers = holders.filter((l) => l.pid !== pid);
    if (strangers.length) {
      return [
        {
          id: "lock",
          status: "fail",
          finding: `pid ${pid} holds the lock, but port ${port} is held by ${whoListens(ctx, strangers[0]!)}: two processes claim this brain`,
          fix: "stop the process that is not the lock holder (`onebrain gateway status` shows both), then check again",
          details,
        },
      ];
    }
    if (!lock.owner)
      return [
        {
          id: "lock",
          status: "warn",
          finding: `pid ${pid} holds the lock but has written no owner record (still starting, or not a onebrain gateway)`,
          fix: "wait a second and run doctor again; if it stays, `onebrain gateway status` names the process",
          details,
        },
      ];
    if (!lock.ownerIsHolder)
      return [
        {
          id: "lock",
          status: "warn",
          finding: `pid ${pid} holds the lock but the owner record names pid ${lock.owner.pid}`,
          fix: "the record is stale: it is rewritten at the next start; `onebrain gateway status` shows the holder",
          details,
        },
      ];
    if (holders.length === 0)
      return [
        {
          id: "lock",
          status: "warn",
          finding: `pid ${pid} holds the lock but nothing listens on its port ${port} (still starting, or stuck)`,
          fix: "look at `onebrain logs`; restart the gateway if it stays so",
          details,
        },
      ];
    const user = lock.owner.user;
    return [
      {
        id: "lock",
        status: "ok",
        finding: `pid ${pid} (${user}, since ${lock.owner.startedAt}) holds the lock, its owner record agrees, and it listens on ${port}`,
        details,
      },
    ];
  },
};
