/**
 * The actions `act` takes, checked before anything touches the page: each names an element by a
 * ref from the tab's latest snapshot (`e12`, `f1e3` inside frames). Pure: no browser here.
 */
import { OnebrainError } from "../shared/errors.ts";

/** One action on a tab. */
export type BrowserAction =
  | { kind: "click"; ref: string; double: boolean; button: "left" | "right" | "middle" }
  | { kind: "type"; ref: string; text: string; submit: boolean }
  | { kind: "fill"; ref: string; text: string }
  | { kind: "press"; key: string; ref: string | null }
  | { kind: "select"; ref: string; values: string[] }
  | { kind: "hover"; ref: string }
  | { kind: "wait"; ms: number | null; text: string | null; ref: string | null };

/** The kinds there are, for errors and the tool's schema. */
export const ACTION_KINDS = ["click", "type", "fill", "press", "select", "hover", "wait"] as const;

const REF = /^(f\d+)?e\d+$/;
const MAX_TEXT = 100_000;
/** The longest a `wait` may wait. */
export const MAX_WAIT_MS = 30_000;

function bad(message: string): OnebrainError {
  return new OnebrainError("USAGE", message);
}

function ref(input: Record<string, unknown>, required: true): string;
function ref(input: Record<string, unknown>, required: false): string | null;
function ref(input: Record<string, unknown>, required: boolean): string | null {
  const r = input.ref;
  if (r === undefined || r === null) {
    if (required) throw bad(`${String(input.kind)} needs "ref": an element ref from the latest snapshot, such as "e12"`);
    return null;
  }
  if (typeof r !== "string" || !REF.test(r))
    throw bad(`"ref" must be a ref from a snapshot, such as "e12" or "f1e3" (found ${JSON.stringify(r)?.slice(0, 40)})`);
  return r;
}

function str(input: Record<string, unknown>, key: string): string {
  const v = input[key];
  if (typeof v !== "string") throw bad(`${String(input.kind)} needs "${key}" as a string`);
  if (v.length > MAX_TEXT) throw bad(`"${key}" is ${v.length} characters; at most ${MAX_TEXT}`);
  return v;
}

/** Checks an action given as JSON; a USAGE error names what is wrong. */
export function parseAction(input: unknown): BrowserAction {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw bad('an action is an object such as {"kind": "click", "ref": "e3"}');
  const o = input as Record<string, unknown>;
  switch (o.kind) {
    case "click": {
      const button = o.button ?? "left";
      if (button !== "left" && button !== "right" && button !== "middle") throw bad('"button" must be left, right or middle');
      return { kind: "click", ref: ref(o, true), double: o.double === true, button };
    }
    case "type":
      return { kind: "type", ref: ref(o, true), text: str(o, "text"), submit: o.submit === true };
    case "fill":
      return { kind: "fill", ref: ref(o, true), text: str(o, "text") };
    case "press": {
      const key = str(o, "key");
      if (key.length === 0 || key.length > 64) throw bad('"key" must be a key name such as "Enter", "Tab" or "Control+A"');
      return { kind: "press", key, ref: ref(o, false) };
    }
    case "select": {
      const raw = o.values ?? (o.value === undefined ? undefined : [o.value]);
      if (!Array.isArray(raw) || raw.length === 0 || !raw.every((v) => typeof v === "string"))
        throw bad('select needs "values": a list of option values or labels');
      return { kind: "select", ref: ref(o, true), values: raw as string[] };
    }
    case "hover":
      return { kind: "hover", ref: ref(o, true) };
    case "wait": {
      const ms = o.ms === undefined ? null : o.ms;
      if (ms !== null && (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0 || ms > MAX_WAIT_MS)) throw bad(`"ms" must be an integer 0-${MAX_WAIT_MS}`);
      const text = o.text === undefined ? null : str(o, "text");
      const r = ref(o, false);
      if (ms === null && text === null && r === null) throw bad('wait needs "ms", "text" (to appear) or "ref" (to be visible)');
      return { kind: "wait", ms, text, ref: r };
    }
    default:
      throw bad(`"kind" must be one of ${ACTION_KINDS.join(", ")} (found ${JSON.stringify(o.kind)?.slice(0, 40)})`);
  }
}

/** Which URLs a tab may be sent to: the web, and blank pages. Never file: (local files) or the browser's own chrome: pages. */
export function checkNavigable(url: unknown): string {
  if (typeof url !== "string" || !URL.canParse(url))
    throw bad(`"url" must be an absolute URL such as https://example.com (found ${JSON.stringify(url)?.slice(0, 80)})`);
  const u = new URL(url);
  if (u.protocol === "http:" || u.protocol === "https:" || u.href === "about:blank") return u.href;
  throw bad(`Cannot open ${u.protocol} URLs: only http(s) and about:blank (local files and browser pages are off limits)`);
}
