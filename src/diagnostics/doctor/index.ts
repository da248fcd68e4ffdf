/** `doctor`: the public entry (re-exports only). */
export { createContext, type DoctorOptions } from "./context.ts";
export { runChecks, runDoctor, worstOf, type DoctorReport, type DoctorRunOptions, type ReportedCheck } from "./run.ts";
export { doctorChecks } from "./registry.ts";
export { credentialFingerprints, fingerprint } from "./credentials.ts";
export type { DoctorCheck, DoctorContext, DoctorResult, Finding, FixRecord, Repair, Status } from "./types.ts";
