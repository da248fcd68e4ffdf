#!/usr/bin/env node
// Builds dist/ from src/ with esbuild: one ESM bundle per lazily loaded command (code splitting),
// dependencies included and tree-shaken. Fewer, smaller modules start faster and keep the
// gateway's resident memory low (see docs/ARCHITECTURE.md, "Build"). Types are checked by tsc.
// A second build bundles the operator console (console/) for the browser into dist/console/.
import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const outdir = path.join(root, "dist");
fs.rmSync(outdir, { recursive: true, force: true });

const result = await build({
  entryPoints: { onebrain: path.join(root, "src/cli/main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22.13",
  chunkNames: "chunks/[name]-[hash]",
  legalComments: "none",
  // playwright-core reads its own package files at run time (injected scripts, protocol data):
  // loaded from node_modules, and only when a browser is first used.
  // Baileys (ESM, protobufs, a WebAssembly bridge) and qrcode (CommonJS) load from node_modules too,
  // and only when WhatsApp is linked or used.
  external: ["playwright-core", "@whiskeysockets/baileys", "qrcode"],
  // V8 keeps a module's source in memory, as one byte per character only while every character is
  // Latin-1: a single "€" doubles the whole chunk (the server's 300 KB, grammY's 950 KB). esbuild
  // escapes strings, templates and regexes with this; comments it keeps are escaped below.
  charset: "ascii",
  metafile: true,
  logLevel: "warning",
});

// Node built-ins are taken with process.getBuiltinModule instead of an ESM import: importing a
// built-in as ESM builds its namespace by reading every export, and node:http's lazy getters
// (WebSocket, fetch's classes) then load undici, http2, zlib and TLS, about 70 internal modules
// that nothing here uses. The calls go to the top of the chunk, where the imports were hoisted
// to. Only the chunk with esbuild's require helper (bundled CommonJS) gets a require.
const BUILTIN_IMPORT = /^import\s+(?:(\w+)|\*\s+as\s+(\w+)|\{([^}]*)\})\s+from\s+"(node:[^"]+)";[ \t]*\n/gm;
const builtinOf = (spec) => `globalThis.process.getBuiltinModule(${JSON.stringify(spec)})`;
const bindingsOf = (named) =>
  named
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replace(/^(\w+)\s+as\s+(\w+)$/, "$1: $2"))
    .join(", ");

/** A chunk with its built-in imports turned into getBuiltinModule calls, and a require where one is used. */
function rewriteBuiltins(text, file) {
  const hoisted = [];
  let body = text.replace(BUILTIN_IMPORT, (_, def, ns, named, spec) => {
    hoisted.push(`const ${def ?? ns ?? `{ ${bindingsOf(named)} }`} = ${builtinOf(spec)};`);
    return "";
  });
  if (/^import[^;]*from\s*"node:/m.test(body)) throw new Error(`build: ${file} imports a Node built-in in a form the rewrite does not know`);
  if (body.includes("typeof require")) hoisted.push(`const require = ${builtinOf("node:module")}.createRequire(import.meta.url);`);
  return hoisted.length ? `${hoisted.join("\n")}\n${body}` : body;
}

// `browser status` is answered before the CLI loads (src/cli/browser/fast-status.ts): one file,
// no shared chunks, so bin/onebrain.js reads a single small module for it.
const fast = await build({
  entryPoints: { "fast/browser-status": path.join(root, "src/cli/browser/fast-status.ts") },
  outdir,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node22.13",
  legalComments: "none",
  charset: "ascii",
  metafile: true,
  logLevel: "warning",
});
Object.assign(result.metafile.outputs, fast.metafile.outputs);

// What charset "ascii" leaves is in comments (ours, and dependencies' such as grammY's emoji
// docs): escaped there it means the same and keeps each chunk a one-byte string in V8.
const nonAscii = /[^\u0020-\u007e\t\n\r]/gu; // anything but printable ASCII and whitespace
for (const file of Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"))) {
  const text = fs.readFileSync(file, "utf8");
  const out = rewriteBuiltins(text, file).replace(nonAscii, (c) => (c.charCodeAt(0) < 0x80 ? c : `\\u{${c.codePointAt(0).toString(16)}}`));
  if (out !== text) fs.writeFileSync(file, out);
}

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
const files = Object.keys(result.metafile.outputs).length;
console.error(`build: ${files} files, ${(bytes / 1024).toFixed(0)} KB in ${path.relative(root, outdir)}/`);

// The operator console: one script and one stylesheet for the browser, named by content hash so
// the gateway can cache them for a year; index.html (revalidated) points at the current names.
const consoleDir = path.join(outdir, "console");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const ui = await build({
  entryPoints: [path.join(root, "console/src/main.tsx")],
  outdir: path.join(consoleDir, "assets"),
  entryNames: "app-[hash]",
  assetNames: "[name]-[hash]",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  define: { ONEBRAIN_CONSOLE_VERSION: JSON.stringify(pkg.version) },
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

const names = Object.keys(ui.metafile.outputs).map((o) => path.basename(o));
const script = names.find((n) => n.endsWith(".js"));
const style = names.find((n) => n.endsWith(".css"));
if (!script || !style) throw new Error(`console build: expected one .js and one .css asset, got ${names.join(", ")}`);
let html = fs.readFileSync(path.join(root, "console/index.html"), "utf8");
for (const [placeholder, name] of [
  ["assets/app.js", script],
  ["assets/app.css", style],
]) {
  if (!html.includes(`"${placeholder}"`)) throw new Error(`console/index.html does not reference "${placeholder}"`);
  html = html.replace(`"${placeholder}"`, `"assets/${name}"`);
}
fs.writeFileSync(path.join(consoleDir, "index.html"), html);

const uiBytes = Object.values(ui.metafile.outputs).reduce((n, o) => n + o.bytes, 0) + Buffer.byteLength(html);
console.error(`build: console ${names.length + 1} files, ${(uiBytes / 1024).toFixed(0)} KB in ${path.relative(root, consoleDir)}/`);
