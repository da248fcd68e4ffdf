#!/usr/bin/env node
// Builds dist/ from src/ with esbuild: one ESM bundle per lazily loaded command (code splitting),
// dependencies included and tree-shaken. Fewer, smaller modules start faster and keep the
// gateway's resident memory low (see docs/ARCHITECTURE.md, "Build"). Types are checked by tsc.
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
  // Bundled CommonJS dependencies call require() for Node built-ins; give ESM a require.
  banner: { js: 'import { createRequire as __onebrainRequire } from "node:module"; const require = __onebrainRequire(import.meta.url);' },
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
const files = Object.keys(result.metafile.outputs).length;
console.error(`build: ${files} files, ${(bytes / 1024).toFixed(0)} KB in ${path.relative(root, outdir)}/`);
