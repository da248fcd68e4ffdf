#!/usr/bin/env node
// Fails when src/ breaks the one-way dependency rule (a folder may import only from lower layers
// or itself) or when any import cycle exists between files. Part of `npm test`.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "src");
// Lower number = lower layer. A folder may import from folders of a strictly lower rank, or itself.
const rank = {
  shared: 0,
  metrics: 0.5,
  paths: 1,
  config: 2,
  proc: 2,
  service: 2,
  // The configured agents and the bindings that route messages to them (pure, from the config).
  agents: 2.5,
  lock: 3,
  protocol: 3,
  logging: 3,
  store: 3,
  client: 4,
  agent: 4,
  channels: 4,
  sessions: 4,
  approvals: 4,
  browser: 4,
  // Devices (OpenClaw companion apps and clients): approvals and tokens in the store.
  devices: 4,
  // The canvas host's files reuse the workspace tools' confinement (agent/tools/fs).
  canvas: 4.2,
  brain: 4.5,
  // Cron, hooks and alerts submit messages through the brain and read its state.
  cron: 4.7,
  hooks: 4.7,
  // The watchdog reads cron's and the brain's tables and the channels' states.
  alerts: 4.8,
  server: 5,
  setup: 5,
  migrate: 5,
  diagnostics: 6,
  onboard: 6.5,
  cli: 7,
};

function walk(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith(".ts") ? [path.join(dir, d.name)] : []));
}

const files = walk(root);
const graph = new Map();
const problems = [];
const importRe = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"|import\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g;

for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  const folder = path.relative(root, file).split(path.sep)[0];
  if (!(folder in rank)) problems.push(`${path.relative(root, file)}: folder "${folder}" has no layer in scripts/check-deps.js`);
  const deps = [];
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    const target = path.resolve(path.dirname(file), spec);
    deps.push(target);
    const tFolder = path.relative(root, target).split(path.sep)[0];
    if (tFolder !== folder && !(rank[tFolder] < rank[folder])) {
      problems.push(
        `${path.relative(root, file)} imports ${path.relative(root, target)}: ${folder} (layer ${rank[folder]}) may not depend on ${tFolder} (layer ${rank[tFolder]})`,
      );
    }
  }
  graph.set(file, deps);
  // @discordjs/rest is loaded once, from its lean build, in src/channels/discord/rest.ts: a value
  // imported from the package name is another copy of its classes (instanceof on errors fails).
  if (!file.endsWith(path.join("channels", "discord", "rest.ts")) && /(?:^|\n)\s*import\s+(?!type\b)[^;]*?from\s+"@discordjs\/rest"/.test(text))
    problems.push(`${path.relative(root, file)}: import @discordjs/rest's values from channels/discord/rest.ts (types may come from the package)`);
}

// Cycle detection over files (type-only imports count too: they still couple the files).
const state = new Map();
function visit(file, stack) {
  if (state.get(file) === "done") return;
  if (state.get(file) === "active") {
    const cycle = stack
      .slice(stack.indexOf(file))
      .concat(file)
      .map((f) => path.relative(root, f));
    problems.push(`import cycle: ${cycle.join(" -> ")}`);
    return;
  }
  state.set(file, "active");
  for (const dep of graph.get(file) ?? []) visit(dep, [...stack, file]);
  state.set(file, "done");
}
for (const file of files) visit(file, []);

if (problems.length) {
  console.error(`check-deps: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
console.error(`check-deps: ${files.length} files, layers respected, no cycles`);
