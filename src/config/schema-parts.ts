/** The building blocks of the config schema (schema.ts, schema-channels.ts): each leaf's check and its message. */
import * as z from "zod/mini";
import { parseIpOrCidr } from "../shared/net.ts";
import { hasControlCharacter, MAX_SECRET_LENGTH } from "../shared/redact.ts";

export const int = (min: number, max: number) => {
  const expected = `expected an integer ${min}-${max}`;
  return z.int({ error: expected }).check(z.minimum(min, { error: expected }), z.maximum(max, { error: expected }));
};

export const port = () => int(1, 65535);

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `expected one of ${values.join(", ")}` });

export const text = () => z.string({ error: "expected a string" }).check(z.minLength(1, { error: "expected a non-empty string" }));
/**
 * A secret (token, password, API key): it travels in headers and URLs, where a newline or a
 * megabyte is never right. Errors about it never show its value (load.ts).
 */
export const secret = () =>
  text().check(
    z.maxLength(MAX_SECRET_LENGTH, { error: `expected a string of at most ${MAX_SECRET_LENGTH} characters` }),
    z.refine((v) => !hasControlCharacter(v), { error: "expected a string without control characters (newlines, tabs)" }),
  );
export const textList = () => z.array(text(), { error: "expected a list of strings" });
export const ipOrCidr = () => text().check(z.refine((v) => parseIpOrCidr(v) !== null, { error: "expected an IP address or CIDR such as 10.0.0.0/8 or ::1" }));

export const hostName = () =>
  text().check(
    z.refine((v) => /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)$/.test(v), { error: "expected a host name without scheme or port, such as onebrain.example.com" }),
  );

/** The name of an environment variable (a secret or a URL read from the gateway's environment); `example` shows one. */
export const envName = (example: string) =>
  text().check(z.refine((v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v), { error: `expected an environment variable name such as ${example}` }));

/** An object section parsed from `{}` when missing, so the defaults inside it apply. */
export const section = <S extends z.ZodMiniType>(schema: S) => z.prefault(schema, {} as never);

export const httpUrl = () =>
  text().check(
    z.refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), { error: "expected an http(s) URL such as http://127.0.0.1:11434/v1" }),
  );

/** "provider/model": the model id may itself contain slashes (OpenRouter's "anthropic/claude-sonnet-4.5"). */
export const modelRef = () =>
  text().check(z.refine((v) => /^[A-Za-z0-9_.-]+\/\S+$/.test(v), { error: 'expected "provider/model", such as "anthropic/claude-sonnet-4-5"' }));
