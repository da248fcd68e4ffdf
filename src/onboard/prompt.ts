/**
 * How onboarding asks. One interface, two implementations: a terminal one (readline, with hidden
 * input for keys) and a non-interactive one that answers every question from its flag or the
 * default. Steps ask through this interface only, so both modes run the same step code, and a
 * flag given to the interactive form answers its question without asking it.
 */
import readline from "node:readline/promises";
import { OnebrainError } from "../shared/errors.ts";

/** One option of a multiple-choice question. */
export interface Choice<T extends string> {
  value: T;
  label: string;
}

/** What every question has: the flag that answers it, and that flag's value if given. */
interface Question<T> {
  question: string;
  /** The CLI flag that answers this question (named in errors and in "from --flag"). */
  flag: string;
  preset?: T | undefined;
}

/** A question whose answer is one of `choices`. */
export interface ChoiceQuestion<T extends string> extends Question<T> {
  choices: ReadonlyArray<Choice<T>>;
  default: T;
}

/** A free-text question; `validate` returns a problem in words, or null. */
export interface TextQuestion extends Question<string> {
  default?: string | undefined;
  /** Without a default, a non-interactive run must be given the flag. */
  required?: boolean;
  validate?: (value: string) => string | null;
}

/** The interface steps use. */
export interface Prompter {
  readonly interactive: boolean;
  /** Tells the user something (nothing in --json mode). */
  say(line?: string): void;
  choose<T extends string>(q: ChoiceQuestion<T>): Promise<T>;
  /** The trimmed answer; "" when optional and left empty. */
  text(q: TextQuestion): Promise<string>;
  /** Hidden input; "" when left empty. */
  secret(q: Question<string>): Promise<string>;
  confirm(q: Question<boolean> & { default: boolean }): Promise<boolean>;
}

/** The error for Ctrl-C or end of input at a prompt. */
export function aborted(): OnebrainError {
  return new OnebrainError("ONBOARD_ABORTED", "Onboarding cancelled", {
    hint: "Steps already done are kept; run `onebrain onboard` again to go on (the config is kept; answers change only what they answer).",
  });
}

/** A USAGE error about one flag. */
export function flagError(message: string, flag: string): OnebrainError {
  return new OnebrainError("USAGE", message, { details: { flag }, hint: "See `onebrain onboard --help`." });
}

/** Checks a flag's value against a closed list; USAGE naming the list otherwise. */
export function checkFlagChoice<T extends string>(flag: string, value: string, values: readonly T[]): T {
  const hit = values.find((v) => v === value);
  if (hit === undefined) throw flagError(`Cannot use ${JSON.stringify(value)} for ${flag}: expected one of ${values.join(", ")}`, flag);
  return hit;
}

/** Checks a flag's text value with a validator; USAGE with the validator's words otherwise. */
export function checkFlagText(flag: string, value: string, validate?: (v: string) => string | null): string {
  const problem = validate?.(value);
  if (problem) throw flagError(`Cannot use ${JSON.stringify(value)} for ${flag}: ${problem}`, flag);
  return value;
}

function checkChoice<T extends string>(q: ChoiceQuestion<T>, value: string): T {
  return checkFlagChoice(
    q.flag,
    value,
    q.choices.map((c) => c.value),
  );
}

function checkText(q: TextQuestion, value: string): string {
  return checkFlagText(q.flag, value, q.validate);
}

/** Answers from flags and defaults; `say` goes to `out` (null: silent, for --json). */
export function presetPrompter(out: NodeJS.WritableStream | null): Prompter {
  return {
    interactive: false,
    say: (line = "") => void out?.write(`${line}\n`),
    async choose(q) {
      return checkChoice(q, q.preset ?? q.default);
    },
    async text(q) {
      const value = q.preset ?? q.default;
      if (value === undefined || value === "") {
        if (q.required) throw flagError(`${q.flag} is required with --non-interactive here (${q.question.toLowerCase()})`, q.flag);
        return "";
      }
      return checkText(q, value.trim());
    },
    async secret(q) {
      return q.preset ?? "";
    },
    async confirm(q) {
      return q.preset ?? q.default;
    },
  };
}

/** Reads one line at a prompt; Ctrl-C or end of input reject with ONBOARD_ABORTED. */
async function askLine(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  const rl = readline.createInterface({ input, output, terminal: true });
  const ac = new AbortController();
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    ac.abort();
  };
  rl.on("SIGINT", cancel);
  rl.on("close", cancel); // end of input (Ctrl-D)
  try {
    return await rl.question(prompt, { signal: ac.signal });
  } catch (err) {
    if (cancelled) {
      output.write("\n");
      throw aborted();
    }
    throw err;
  } finally {
    rl.off("close", cancel);
    rl.close();
  }
}

/** Reads a line without echoing it (a `*` per character), in raw mode; Ctrl-C or Ctrl-D on an empty line abort. */
function askHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  output.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    let escape = false;
    const wasRaw = input.isRaw;
    const finish = (result: string | null) => {
      input.off("data", onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write("\n");
      if (result === null) reject(aborted());
      else resolve(result);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (escape) {
          // Skip a terminal escape sequence (arrow keys): ESC [ ... final letter or ~.
          if (/[A-Za-z~]/.test(ch)) escape = false;
          continue;
        }
        if (ch === "\r" || ch === "\n") return finish(value);
        if (ch === "\u0003" || (ch === "\u0004" && value === "")) return finish(null);
        if (ch === "\u001b") escape = true;
        else if (ch === "\u007f" || ch === "\b") {
          if (value) {
            value = value.slice(0, -1);
            output.write("\b \b");
          }
        } else if (ch >= " ") {
          value += ch;
          output.write("*");
        }
      }
    };
    input.setRawMode(true);
    input.on("data", onData);
    input.resume();
  });
}

/** Asks on a terminal: `input` must be a TTY. */
export function ttyPrompter(input: NodeJS.ReadStream, output: NodeJS.WritableStream): Prompter {
  const fromFlag = (q: { question: string; flag: string }, shown: string) => output.write(`${q.question}: ${shown} (from ${q.flag})\n`);
  return {
    interactive: true,
    say: (line = "") => void output.write(`${line}\n`),
    async choose(q) {
      if (q.preset !== undefined) {
        const v = checkChoice(q, q.preset);
        fromFlag(q, v);
        return v;
      }
      const lines = q.choices.map((c, i) => `  ${i + 1}) ${c.label}${c.value === q.default ? "  [default]" : ""}`);
      output.write(`${q.question}\n${lines.join("\n")}\n`);
      for (;;) {
        const answer = (await askLine(input, output, `Choose 1-${q.choices.length} [${q.choices.findIndex((c) => c.value === q.default) + 1}]: `)).trim();
        if (answer === "") return q.default;
        const byNumber = q.choices[Number(answer) - 1];
        const hit = /^\d+$/.test(answer) ? byNumber : q.choices.find((c) => c.value === answer);
        if (hit) return hit.value;
        output.write(`  Please answer with a number from 1 to ${q.choices.length}.\n`);
      }
    },
    async text(q) {
      if (q.preset !== undefined) {
        const v = checkText(q, q.preset.trim());
        fromFlag(q, v);
        return v;
      }
      for (;;) {
        const answer = (await askLine(input, output, `${q.question}${q.default ? ` [${q.default}]` : ""}: `)).trim() || q.default || "";
        if (answer === "" && q.required) {
          output.write("  An answer is needed here.\n");
          continue;
        }
        const problem = answer === "" ? null : q.validate?.(answer);
        if (!problem) return answer;
        output.write(`  ${problem}\n`);
      }
    },
    async secret(q) {
      if (q.preset !== undefined) {
        fromFlag(q, "(hidden)");
        return q.preset;
      }
      return (await askHidden(input, output, `${q.question}: `)).trim();
    },
    async confirm(q) {
      if (q.preset !== undefined) {
        fromFlag(q, q.preset ? "yes" : "no");
        return q.preset;
      }
      for (;;) {
        const answer = (await askLine(input, output, `${q.question} [${q.default ? "Y/n" : "y/N"}]: `)).trim().toLowerCase();
        if (answer === "") return q.default;
        if (/^y(es)?$/.test(answer)) return true;
        if (/^no?$/.test(answer)) return false;
        output.write("  Please answer y or n.\n");
      }
    },
  };
}
