/**
 * Strings a client names that the gateway keeps as keys: idempotency keys, session keys, its
 * client id, channel names and codes. They are stored in SQLite as UTF-8 and used as map keys; a
 * string with a lone UTF-16 surrogate (JSON allows "\ud800") has no UTF-8 form and would be
 * stored as U+FFFD, so two different keys would become one. Such strings are refused.
 */
import * as z from "zod/mini";

/** Why `s` cannot be a key, or null when it is well-formed Unicode. */
export function loneSurrogate(s: string): string | null {
  // With the u flag a surrogate pair is one code point, so only a lone half matches.
  const m = /\p{Surrogate}/u.exec(s);
  if (!m) return null;
  const unit = s.charCodeAt(m.index).toString(16);
  return `expected well-formed Unicode: a lone UTF-16 surrogate (\\u${unit} at index ${m.index}) has no UTF-8 form and would be stored as U+FFFD, the same as other keys`;
}

/** A non-empty key of at most `max` UTF-16 units, well-formed Unicode. */
export const keyString = (max: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    z.superRefine((s, ctx) => {
      const why = loneSurrogate(s);
      if (why) ctx.addIssue({ code: "custom", message: why, input: s });
    }),
  );
