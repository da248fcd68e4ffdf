/**
 * JSON5 text to a value, without the schema: for readers that need a few raw keys fast (the
 * browser CLI's port and secret) and must not pay for loading the whole config schema.
 */
import JSON5 from "json5";

/**
 * JSON5.parse, by the native JSON parser when the text is plain JSON (JSON5 is a superset: the
 * same value). JSON5's lexer runs in JavaScript, a call per character: a few configs read by the
 * gateway's start-up check were enough for V8 to optimise it, and its compilers' pages stayed in RSS.
 */
export function parseJson5(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return JSON5.parse(text);
  }
}
