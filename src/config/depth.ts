/**
 * How deep a JSON5 text nests objects and arrays, read from the text before it is parsed. The
 * config is a handful of levels deep; a file (or a `config set` value) nested thousands of levels
 * would pass JSON5's parser and then overflow the stack of every recursive walk after it (the
 * text editor, JSON.stringify, error reports). So it is refused up front, in one pass with no
 * recursion and no allocation, whatever the size of the text.
 */

/** The deepest nesting a config file may have (the schema needs about 6). */
export const MAX_CONFIG_DEPTH = 64;

/** Where the text first nests deeper than `limit`, or null when it never does. Strings and comments are skipped. */
export function tooDeep(text: string, limit: number): { line: number; column: number } | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") {
      line++;
      lineStart = i + 1;
      continue;
    }
    if (quote) {
      if (c === "\\" && text[i + 1] === "\n") {
        line++;
        lineStart = i + 2;
      }
      if (c === "\\") i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      i = (end === -1 ? text.length : end) - 1;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const skipped = text.slice(i, end === -1 ? text.length : end);
      const newlines = skipped.split("\n").length - 1;
      if (newlines) {
        line += newlines;
        lineStart = i + skipped.lastIndexOf("\n") + 1;
      }
      i = end === -1 ? text.length : end + 1;
    } else if (c === "{" || c === "[") {
      if (++depth > limit) return { line, column: i - lineStart + 1 };
    } else if (c === "}" || c === "]") depth--;
  }
  return null;
}
