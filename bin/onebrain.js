#!/usr/bin/env -S node --max-semi-space-size=1 --disable-warning=DEP0040 --disable-warning=DEP0169
// The installed entry point: checks the Node version, then runs the bundled CLI (dist/, built by
// scripts/build.js), so Node >= 22.13 needs no type stripping.
// The shebang caps V8's young generation at 2 x 1 MB: without it a burst of long-lived objects
// (thousands of WebSocket clients connecting at once) grows it to 64 MB, and V8 never returns
// those pages to the OS. Measured with 5,000 clients: +90 MB RSS uncapped, +47 MB capped; idle
// 67 MB instead of 70; RPC throughput within 7% (see docs/ARCHITECTURE.md, "Memory").
// The two --disable-warning flags silence deprecations raised inside grammY's HTTP dependency
// (node-fetch 2: punycode, url.parse), which an operator can do nothing about.
// Launchers that call `node` directly must pass the same flags (the systemd unit reads them here).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `onebrain: Node ${process.versions.node} is too old: onebrain needs Node >= 22.13 (24 LTS recommended)\n` +
      "  next: run `bash scripts/install.sh` (installs Node 24 into /usr/local), or put a newer node first in PATH\n",
  );
  process.exit(2);
}
// A plain `browser status` is answered by one small bundle, without the CLI framework (a tenth of
// the command's time); when it cannot answer it prints nothing and the full CLI runs.
const argv = process.argv.slice(2);
const fast = argv.includes("browser") && argv.includes("status") ? await import("../dist/fast/browser-status.js").catch(() => null) : null;
try {
  if (!(await fast?.fastBrowserStatus(argv))) await import("../dist/onebrain.js");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/onebrain.js")) {
    process.stderr.write("onebrain: the compiled CLI (dist/) is missing\n  next: run `npm ci` (or `npm run build`) in the onebrain folder\n");
    process.exit(2);
  }
  throw err;
}
