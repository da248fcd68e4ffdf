/**
 * Rendering the model's Markdown for Telegram, and splitting long replies: pure functions,
 * checked against the fake server's HTML parser (the same rules Telegram applies).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { markdownToHtml } from "../../src/channels/telegram/format.ts";
import { splitText } from "../../src/channels/split.ts";
import { parseHtml } from "../helpers/fake-telegram-parse.ts";

test("renders the Markdown a model writes as Telegram HTML", () => {
  const cases: Array<[string, string]> = [
    ["**bold**, __bold__, *it*, _it_, ~~gone~~", "<b>bold</b>, <b>bold</b>, <i>it</i>, <i>it</i>, <s>gone</s>"],
    ["`a < b && c`", "<code>a &lt; b &amp;&amp; c</code>"],
    ['[docs](https://example.com/?a=1&b="2")', '<a href="https://example.com/?a=1&amp;b=&quot;2&quot;">docs</a>'],
    ["[not a link](javascript:alert(1))", "[not a link](javascript:alert(1))"],
    ["# Title\n## Sub", "<b>Title</b>\n<b>Sub</b>"],
    ["> quoted *line*\n> second", "<blockquote>quoted <i>line</i>\nsecond</blockquote>"],
    ["- one\n* two\n+ three", "• one\n• two\n• three"],
    ["```python\nif a < b:\n    print('**not bold**')\n```", "<pre><code class=\"language-python\">if a &lt; b:\n    print('**not bold**')</code></pre>"],
    ["snake_case_name and 2 * 3 * 4", "snake_case_name and 2 * 3 * 4"],
    ["***both***", "<b><i>both</i></b>"],
    ["\\*literal\\* <tag> & co", "*literal* &lt;tag&gt; &amp; co"],
  ];
  for (const [md, html] of cases) assert.equal(markdownToHtml(md), html, md);
});

test("whatever the input, the HTML is well formed for Telegram and shows no more characters than the source", () => {
  const atoms = [
    "*",
    "**",
    "_",
    "__",
    "~~",
    "`",
    "```",
    "[",
    "](",
    "https://a.b",
    ")",
    "<",
    ">",
    "&",
    "\\",
    "#",
    "> ",
    "- ",
    "\n",
    "\n\n",
    " ",
    "word",
    "é",
    "🎉",
    "snake_case",
  ];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let n = 0; n < 3000; n++) {
    const md = Array.from({ length: 1 + Math.floor(random() * 30) }, () => atoms[Math.floor(random() * atoms.length)]).join("");
    const html = markdownToHtml(md);
    const parsed = parseHtml(html);
    assert.ok(parsed.ok, `${JSON.stringify(md)} -> ${JSON.stringify(html)}: ${parsed.ok ? "" : parsed.description}`);
    assert.ok(parsed.text.length <= md.length, `${JSON.stringify(md)} shows ${parsed.text.length} characters`);
  }
});

test("a short reply is one part; a long one is cut at paragraph breaks, then lines, then spaces, then hard", () => {
  assert.deepEqual(splitText("short", 100), ["short"]);
  assert.deepEqual(splitText("", 100), []);
  const paras = ["a".repeat(60), "b".repeat(60), "c".repeat(60)].join("\n\n");
  assert.deepEqual(splitText(paras, 130), ["a".repeat(60) + "\n\n" + "b".repeat(60), "c".repeat(60)]);
  const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ` + "x".repeat(20)).join("\n");
  const byLine = splitText(lines, 100);
  assert.ok(
    byLine.every((p) => p.length <= 100 && /^line \d/.test(p)),
    JSON.stringify(byLine),
  );
  assert.equal(byLine.join("\n"), lines);
  const words = Array.from({ length: 60 }, (_, i) => `w${i}`).join(" ");
  const byWord = splitText(words, 50);
  assert.ok(byWord.every((p) => p.length <= 50 && !p.startsWith(" ") && !p.endsWith(" ")));
  assert.equal(byWord.join(" "), words);
  assert.deepEqual(
    splitText("x".repeat(250), 100).map((p) => p.length),
    [92, 92, 66],
  );
  const emoji = "🎉".repeat(80);
  assert.ok(
    splitText(emoji, 101).every((p) => !/[\ud800-\udbff]$/.test(p)),
    "never cuts a surrogate pair",
  );
});

test("a code block cut in two is closed and reopened with its language, so each part renders alone", () => {
  const code = "Here:\n\n```ts\n" + Array.from({ length: 40 }, (_, i) => `  const v${i} = ${i};`).join("\n") + "\n```\nDone.";
  const parts = splitText(code, 300);
  assert.ok(parts.length > 2);
  for (const p of parts) {
    assert.ok(p.length <= 300, `${p.length}`);
    assert.equal((p.match(/```/g) ?? []).length % 2, 0, `balanced fences in ${JSON.stringify(p)}`);
    assert.ok(parseHtml(markdownToHtml(p)).ok);
  }
  assert.ok(
    parts.slice(1, -1).every((p) => p.startsWith("```ts\n")),
    "reopened with the language",
  );
  assert.ok(parts[1]!.split("\n")[1]!.startsWith("  const"), "indentation kept");
});
