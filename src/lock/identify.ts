/** Recognises onebrain gateways among processes: a gateway keeps `<stateDir>/brain.lock` open. */
import path from "node:path";
import { lockHolders } from "../proc/locks.ts";
import { defaultProcFs, openFiles, type ProcFs } from "../proc/process.ts";
import { readOwnerRecord, type OwnerRecord } from "./owner.ts";

export interface GatewayIdentity {
  pid: number;
  stateDir: string;
  /** True when this pid holds the kernel lock of that state dir (not merely has the file open). */
  holdsLock: boolean;
  owner: OwnerRecord | null;
}

const LOCK_FILE = "brain.lock";

/** If `pid` is a onebrain gateway, the brain it holds; null otherwise (or when /proc hides its fds). */
export function identifyGateway(pid: number, procFs: ProcFs = defaultProcFs): GatewayIdentity | null {
  const lockFile = openFiles(pid, procFs).find((f) => path.basename(f) === LOCK_FILE);
  if (!lockFile) return null;
  const stateDir = path.dirname(lockFile);
  const holders = lockHolders(lockFile, procFs, [pid]);
  const owner = readOwnerRecord(path.join(stateDir, "brain.owner.json"));
  return { pid, stateDir, holdsLock: holders?.some((h) => h.pid === pid) ?? false, owner: owner?.pid === pid ? owner : null };
}
