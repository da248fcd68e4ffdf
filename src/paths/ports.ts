/**
 * The port plan of a brain: one base port and the ports derived from it.
 * Base precedence: --port > ONEBRAIN_GATEWAY_PORT > gateway.port > profile hash > 18789.
 */
import { OnebrainError } from "../shared/errors.ts";
import type { Env } from "./paths.ts";

export const DEFAULT_PORT = 18789;
/** Offsets from the base port. The CDP range is counted from the browser-control port. */
export const BROWSER_CONTROL_OFFSET = 2;
export const CANVAS_OFFSET = 4;
export const CDP_FIRST_OFFSET = 9;
export const CDP_LAST_OFFSET = 108;

/** Named profiles get a base port in [20000, 58400) in slots wide enough for a whole plan. */
const PROFILE_PORT_MIN = 20000;
const PROFILE_SLOT_WIDTH = 128;
const PROFILE_SLOTS = 300;

export type PortSource = "flag" | "env" | "config" | "profile" | "default";

export interface PortPlan {
  base: number;
  baseSource: PortSource;
  browserControl: number;
  canvas: number;
  cdp: { first: number; last: number };
}

export interface PortInputs {
  flag?: number | string | undefined;
  env?: Env;
  configPort?: number | undefined;
  profile?: string | undefined;
  browserControlPort?: number | undefined;
  canvasPort?: number | undefined;
}

/** Parses a port given as text, with an error that names where it came from. */
export function parsePort(value: number | string, from: string): number {
  const n = typeof value === "number" ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new OnebrainError("USAGE", `Cannot use ${JSON.stringify(String(value))} from ${from} as a port: expected an integer 1-65535`);
  }
  return n;
}

/** FNV-1a, 32 bit: a stable hash that does not depend on Node's crypto. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The deterministic default base port of a named profile, far from 18789. */
export function profilePort(profile: string): number {
  return PROFILE_PORT_MIN + (fnv1a(profile) % PROFILE_SLOTS) * PROFILE_SLOT_WIDTH;
}

/** Resolves the base port and its source from flag, env, config and profile. */
export function resolveBasePort(inputs: PortInputs): { port: number; source: PortSource } {
  const env = inputs.env ?? process.env;
  if (inputs.flag !== undefined) return { port: parsePort(inputs.flag, "--port"), source: "flag" };
  if (env.ONEBRAIN_GATEWAY_PORT) return { port: parsePort(env.ONEBRAIN_GATEWAY_PORT, "ONEBRAIN_GATEWAY_PORT"), source: "env" };
  if (inputs.configPort !== undefined) return { port: inputs.configPort, source: "config" };
  if (inputs.profile) return { port: profilePort(inputs.profile), source: "profile" };
  return { port: DEFAULT_PORT, source: "default" };
}

/** The whole port plan of a brain. */
export function portPlan(inputs: PortInputs): PortPlan {
  const { port, source } = resolveBasePort(inputs);
  const browserControl = inputs.browserControlPort ?? port + BROWSER_CONTROL_OFFSET;
  return {
    base: port,
    baseSource: source,
    browserControl,
    canvas: inputs.canvasPort ?? port + CANVAS_OFFSET,
    cdp: { first: browserControl + CDP_FIRST_OFFSET, last: browserControl + CDP_LAST_OFFSET },
  };
}

/** Every port a plan uses, as [first, last] ranges (single ports have first === last). */
export function planRanges(plan: PortPlan): Array<{ name: string; first: number; last: number }> {
  return [
    { name: "gateway", first: plan.base, last: plan.base },
    { name: "browserControl", first: plan.browserControl, last: plan.browserControl },
    { name: "canvas", first: plan.canvas, last: plan.canvas },
    { name: "cdp", first: plan.cdp.first, last: plan.cdp.last },
  ];
}

export interface PlanOverlap {
  overlap: boolean;
  /** Each clash: which range of plan a meets which range of b, and the shared ports. */
  clashes: Array<{ a: string; b: string; first: number; last: number }>;
}

/** Says whether two port plans share any port, and where. */
export function plansOverlap(a: PortPlan, b: PortPlan): PlanOverlap {
  const clashes: PlanOverlap["clashes"] = [];
  for (const ra of planRanges(a)) {
    for (const rb of planRanges(b)) {
      const first = Math.max(ra.first, rb.first);
      const last = Math.min(ra.last, rb.last);
      if (first <= last) clashes.push({ a: ra.name, b: rb.name, first, last });
    }
  }
  return { overlap: clashes.length > 0, clashes };
}
