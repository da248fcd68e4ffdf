#!/usr/bin/env bash
# make-openclaw-state.sh - a state dir made by the REAL OpenClaw CLI and gateway, for the import
# tests (test/import/openclaw-state.test.ts). `scripts/install.sh --test-tools` runs it once.
#
#   scripts/test-tools/make-openclaw-state.sh <out-dir>
#
# <out-dir> (must not exist, or be empty) receives:
#   state/   the OpenClaw state dir (OPENCLAW_STATE_DIR of the run; cache/ of the Control UI dropped)
#   run/     the run's HOME, one log per step, the gateway's output, timings.tsv
#   ok       written last: a dir without it is a failed or unfinished run (install.sh makes it again)
#
# What it makes, through the real CLI and gateway only (all secrets fake), against the project's
# fake model and fake Telegram (scripts/test-tools/openclaw-fakes.ts):
#   - onboard --non-interactive: gateway port/bind/token, an OpenAI-compatible provider "fakeai"
#   - <state>/.env with FAKEAI_API_KEY, referenced as "${FAKEAI_API_KEY}" from the provider's apiKey
#   - the config's env block, session settings, hooks, a Telegram channel (botToken, allowFrom,
#     pairing) with a second account "alerts" (tokenFile), pointed at the fake Bot API
#   - a second agent "work" (workspace, identity, tools, a binding to telegram:alerts, a peer binding)
#   - API keys stored by `models auth paste-api-key`: anthropic for "work" (its agent database),
#     openrouter for "main" (the shared store in state/openclaw.sqlite)
#   - sessions: two `openclaw agent` turns (the second calls the read tool), one with an explicit
#     session key for "work", Telegram DMs to both bots, a stranger paired with `pairing approve`,
#     a hook run (POST /hooks/agent)
#   - three cron jobs: cron+tz with announce delivery, every (disabled), at (one-shot system event)
#   - a graceful gateway stop (SIGTERM; SIGKILL after GATEWAY_STOP_WAIT seconds)
#
# Faster than the research run it comes from (about 9 minutes): no diagnostic steps (config
# validate, gateway status, cron list, sessions list, a dump), the pairing code read from the fake
# Telegram instead of `pairing list`, and the stored keys pasted while the gateway starts.
#
# Env: OPENCLAW_BIN (default: the test-tools cache's), OC_PORT_BASE (default: the first base of
# 19440, 19450, ... 19490 whose ports are free: fakes at +0..+2, the gateway at +5), GATEWAY_STOP_WAIT (45).
set -uo pipefail
export PATH=/usr/local/bin:$PATH

die() { echo "make-openclaw-state: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: $0 <out-dir>"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(realpath -m "$1")"
TARGET="$OUT/state"
RUN="$OUT/run"
OC="${OPENCLAW_BIN:-${ONEBRAIN_TEST_TOOLS_DIR:-$HOME/.cache/onebrain-test-tools}/openclaw/node_modules/.bin/openclaw}"
GATEWAY_STOP_WAIT="${GATEWAY_STOP_WAIT:-45}"
GW_TOKEN="gw-token-fake-0123456789abcdef"
HOOK_TOKEN="hook-token-fake-fedcba9876543210"
FAKEAI_KEY="sk-fake-fakeai-000000000000"
ANTHROPIC_KEY="sk-ant-fake-api03-000000000000000000"
OPENROUTER_KEY="sk-or-fake-main-000000000000"
TG_MAIN_TOKEN="123456:ABCdefFAKEtokenForImportTests_0123456789"
TG_ALERTS_TOKEN="654321:XYZfakeAlertsTokenForImportTests_98765"
TG_USER=987654321        # allowlisted Telegram user (allowFrom tg:987654321)
TG_STRANGER=111222333    # not allowlisted -> pairing request -> approved with `openclaw pairing approve`

[ -x "$OC" ] || die "openclaw CLI not found at $OC (scripts/install.sh --test-tools installs it)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' || die "node 24+ required"
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then die "$OUT exists and is not empty"; fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
base_free() { for o in 0 1 2 5; do port_free $(($1 + o)) || return 1; done; }
if [ -n "${OC_PORT_BASE:-}" ]; then BASE=$OC_PORT_BASE; base_free "$BASE" || die "a port of $BASE..$((BASE + 5)) is in use"
else
  BASE=""
  for b in 19440 19450 19460 19470 19480 19490; do if base_free $b; then BASE=$b; break; fi; done
  [ -n "$BASE" ] || die "no free port base in 19440-19495"
fi
MODEL_PORT=$BASE; TG_PORT=$((BASE + 1)); CTL_PORT=$((BASE + 2)); GW_PORT=$((BASE + 5))

mkdir -p "$TARGET" "$RUN/home" "$RUN/logs"
export HOME="$RUN/home"
export OPENCLAW_STATE_DIR="$TARGET"
unset OPENCLAW_CONFIG_PATH OPENCLAW_PROFILE OPENCLAW_HOME OPENCLAW_GATEWAY_PORT OPENCLAW_GATEWAY_TOKEN
export NO_COLOR=1 FORCE_COLOR=0

T0=$(date +%s)
printf 'step\tseconds\tstatus\n' > "$RUN/logs/timings.tsv"
GW_PID=""; FAKES_PID=""

cleanup() {
  local rc=$?
  if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM -- -"$GW_PID" 2>/dev/null; sleep 2; kill -KILL -- -"$GW_PID" 2>/dev/null
  fi
  if [ -n "$FAKES_PID" ] && kill -0 "$FAKES_PID" 2>/dev/null; then
    kill -TERM -- -"$FAKES_PID" 2>/dev/null; sleep 1; kill -KILL -- -"$FAKES_PID" 2>/dev/null
  fi
  echo "make-openclaw-state: $(( $(date +%s) - T0 ))s (exit $rc)" >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# step NAME TIMEOUT -- command...   (one log per step in run/logs, its time in timings.tsv)
STEP_N=0
step() {
  local name=$1 to=$2; shift 2
  [ "${1:-}" = "--" ] && shift
  [ "${1:-}" = "oc" ] && set -- "$OC" "${@:2}"
  STEP_N=$((STEP_N + 1))
  local log; log=$(printf '%s/logs/%02d-%s.log' "$RUN" "$STEP_N" "$name")
  local s; s=$(date +%s)
  echo "[$(( s - T0 ))s] $name" >&2
  timeout --kill-after=10 "$to" "$@" >"$log" 2>&1 </dev/null
  local rc=$?
  printf '%s\t%s\t%s\n' "$name" "$(( $(date +%s) - s ))" "$rc" >> "$RUN/logs/timings.tsv"
  if [ $rc -ne 0 ]; then tail -5 "$log" | sed 's/^/    | /' >&2; die "step $name failed (exit $rc, log $log)"; fi
}
ctl() { curl -s -m 10 "http://127.0.0.1:$CTL_PORT$1" "${@:2}"; }
# wait_for SECONDS WHAT -- command   (polls every second until the command succeeds)
wait_for() {
  local secs=$1 what=$2; shift 2; [ "${1:-}" = "--" ] && shift
  local end=$(( $(date +%s) + secs ))
  while [ "$(date +%s)" -lt "$end" ]; do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  die "timed out after ${secs}s waiting for $what"
}
# sent_to CHAT [BOT_ID]: the fake Telegram has sent something to CHAT (from that bot).
sent_to() { ctl /telegram/sent | node -e 'const s=JSON.parse(require("fs").readFileSync(0));process.exit(s.some(m=>m.chatId===Number(process.argv[1])&&(!process.argv[2]||m.token.startsWith(process.argv[2]+":")))?0:1)' "$1" "${2:-}"; }

# ---------------------------------------------------------------- fakes
echo "make-openclaw-state: state $TARGET, ports: model $MODEL_PORT, telegram $TG_PORT, gateway $GW_PORT" >&2
TG_MAIN_TOKEN=$TG_MAIN_TOKEN TG_ALERTS_TOKEN=$TG_ALERTS_TOKEN setsid node "$HERE/openclaw-fakes.ts" "$BASE" "$RUN/logs" >"$RUN/logs/fakes.log" 2>&1 </dev/null &
FAKES_PID=$!
wait_for 30 "the fakes" -- test -s "$RUN/logs/fakes-ready.json"

# ---------------------------------------------------------------- onboarding and config (no gateway yet)
step onboard 300 -- oc onboard --non-interactive --accept-risk --mode local --flow manual \
  --auth-choice custom-api-key --custom-base-url "http://127.0.0.1:$MODEL_PORT/v1" --custom-model-id fake-model \
  --custom-api-key "$FAKEAI_KEY" --custom-provider-id fakeai --custom-compatibility openai --custom-text-input \
  --gateway-port "$GW_PORT" --gateway-bind loopback --gateway-auth token --gateway-token "$GW_TOKEN" \
  --skip-channels --skip-daemon --no-install-daemon --skip-health --skip-skills --skip-search --skip-ui --skip-hooks --json

printf '# global dotenv read by OpenClaw ($OPENCLAW_STATE_DIR/.env)\nFAKEAI_API_KEY=%s\n' "$FAKEAI_KEY" > "$TARGET/.env"
mkdir -p "$TARGET/secrets" && chmod 700 "$TARGET/secrets"
printf '%s\n' "$TG_ALERTS_TOKEN" > "$TARGET/secrets/telegram-alerts.token" && chmod 600 "$TARGET/secrets/telegram-alerts.token"

BATCH=$(TARGET="$TARGET" TG_PORT="$TG_PORT" TG_MAIN_TOKEN="$TG_MAIN_TOKEN" TG_USER="$TG_USER" HOOK_TOKEN="$HOOK_TOKEN" node -e '
const e = process.env;
console.log(JSON.stringify([
  { path: "models.providers.fakeai.apiKey", value: "${FAKEAI_API_KEY}" },
  { path: "env", value: { vars: { ONEBRAIN_IMPORT_MARKER: "set-in-config-env-block" } } },
  { path: "channels.telegram", value: {
      enabled: true, botToken: e.TG_MAIN_TOKEN, dmPolicy: "pairing", allowFrom: ["tg:" + e.TG_USER],
      apiRoot: "http://127.0.0.1:" + e.TG_PORT, groups: { "*": { requireMention: true } }, defaultAccount: "default",
      accounts: { alerts: { name: "Alerts bot", tokenFile: e.TARGET + "/secrets/telegram-alerts.token", dmPolicy: "allowlist", allowFrom: [e.TG_USER] } },
  } },
  { path: "session", value: { dmScope: "per-channel-peer", resetTriggers: ["/new", "/reset"], reset: { mode: "idle", idleMinutes: 240 } } },
  { path: "hooks", value: { enabled: true, token: e.HOOK_TOKEN, path: "/hooks", allowedAgentIds: ["main", "work"] } },
  { path: "browser.enabled", value: false },
]));')
step config-batch 180 -- oc config set --batch-json "$BATCH"
step agents-add-work 240 -- oc agents add work --workspace "$TARGET/workspace-work" --non-interactive --model fakeai/fake-model --bind telegram:alerts --json
WORK_BATCH='[
  {"path":"agents.entries.work.identity","value":{"name":"Worker","emoji":"🛠️","theme":"terse ops assistant"}},
  {"path":"agents.entries.work.tools","value":{"profile":"coding","deny":["browser"]}},
  {"path":"bindings[2]","value":{"agentId":"work","match":{"channel":"telegram","accountId":"default","peer":{"kind":"direct","id":"555000111"}}}}
]'
step config-work 180 -- oc config set --batch-json "$WORK_BATCH"

# ---------------------------------------------------------------- gateway (the stored keys are pasted while it starts)
echo "[$(( $(date +%s) - T0 ))s] gateway run --port $GW_PORT" >&2
GW_START=$(date +%s)
setsid "$OC" gateway run --port "$GW_PORT" >"$RUN/logs/gateway.out.log" 2>&1 </dev/null &
GW_PID=$!
step auth-anthropic-work 240 -- bash -c "printf '%s\n' '$ANTHROPIC_KEY' | '$OC' models auth paste-api-key --provider anthropic --agent work"
step auth-openrouter-main 240 -- bash -c "printf '%s\n' '$OPENROUTER_KEY' | '$OC' models auth paste-api-key --provider openrouter --agent main"
wait_for 300 "the gateway's /readyz" -- bash -c "curl -s -m 3 http://127.0.0.1:$GW_PORT/readyz | grep -q '\"ready\":true'"
printf 'gateway-ready\t%s\t0\n' $(( $(date +%s) - GW_START )) >> "$RUN/logs/timings.tsv"

# ---------------------------------------------------------------- sessions through the gateway
( step agent-main-1 300 -- oc agent --agent main --message "Hello OpenClaw, this is the onebrain import fixture." --json
  step agent-main-2-tool 300 -- oc agent --agent main --message "TOOLTEST please read AGENTS.md and summarize it." --json ) &
P1=$!
step agent-work-project 300 -- oc agent --agent work --session-key agent:work:project-x --message "What is the status of project X?" --json &
P2=$!
wait $P1 || die "the main agent's turns failed"
wait $P2 || die "the work agent's turn failed"
# Telegram: the allowlisted user to the main bot (agent main), then to the alerts bot (agent work).
ctl /telegram/say -X POST -d "{\"chatId\":$TG_USER,\"text\":\"hi from telegram, please answer\"}" > "$RUN/logs/tg-say-1.json"
wait_for 300 "the main bot's reply" -- sent_to "$TG_USER" "${TG_MAIN_TOKEN%%:*}"
ctl /telegram/say -X POST -d "{\"chatId\":$TG_USER,\"text\":\"alert: disk almost full\",\"bot\":\"alerts\"}" > "$RUN/logs/tg-say-2.json"
wait_for 300 "the alerts bot's reply" -- sent_to "$TG_USER" "${TG_ALERTS_TOKEN%%:*}"
# A stranger gets a pairing code (read from what the bot sent), approved with the CLI.
ctl /telegram/say -X POST -d "{\"chatId\":$TG_STRANGER,\"text\":\"hello, can I talk to you?\"}" > "$RUN/logs/tg-say-3.json"
wait_for 120 "the pairing code" -- sent_to "$TG_STRANGER"
CODE=$(ctl /telegram/sent | node -e 'const s=JSON.parse(require("fs").readFileSync(0));const m=s.filter(x=>x.chatId===Number(process.argv[1])).map(x=>x.text).join("\n");console.log((/code:\s*([A-Z0-9]{8})\b/i.exec(m.replace(/<[^>]+>/g," "))||[])[1]||"")' "$TG_STRANGER")
[ -n "$CODE" ] || die "no pairing code in the bot's message to $TG_STRANGER"
step pairing-approve 120 -- oc pairing approve telegram "$CODE"
step hook-agent 300 -- curl -sf -m 280 -X POST "http://127.0.0.1:$GW_PORT/hooks/agent" \
  -H "Authorization: Bearer $HOOK_TOKEN" -H 'content-type: application/json' \
  -d '{"message":"Webhook says: build 42 passed","name":"CI","agentId":"main","deliver":false,"waitForCompletion":true}'

# ---------------------------------------------------------------- cron jobs (through the gateway)
step cron-add-cron-tz 120 -- oc cron add --name "morning-brief" --cron "0 7 * * *" --tz "Europe/Berlin" --agent main \
  --session isolated --message "Summarize my day" --announce --channel telegram --to "$TG_USER" --json
step cron-add-every 120 -- oc cron add --name "hourly-check" --every 1h --agent work --session isolated --message "Check the alerts queue" --disabled --json
step cron-add-at 120 -- oc cron add --name "one-shot-reminder" --at 2h --agent main --session main --system-event "Reminder: stretch" --delete-after-run --json

# ---------------------------------------------------------------- stop the gateway
S=$(date +%s)
kill -TERM "$GW_PID" 2>/dev/null
MODE=graceful
end=$(( $(date +%s) + GATEWAY_STOP_WAIT ))
while kill -0 "$GW_PID" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 1; done
if kill -0 "$GW_PID" 2>/dev/null; then MODE=killed; kill -KILL -- -"$GW_PID" 2>/dev/null; sleep 1; fi
kill -KILL -- -"$GW_PID" 2>/dev/null # strays of its group
printf 'gateway-stop(%s)\t%s\t0\n' "$MODE" $(( $(date +%s) - S )) >> "$RUN/logs/timings.tsv"
GW_PID=""
ctl /shutdown -X POST >/dev/null; sleep 1
kill -TERM -- -"$FAKES_PID" 2>/dev/null; FAKES_PID=""

rm -rf "$TARGET/cache" # the Control UI's assets (tens of MB): not state
printf 'made by %s with scripts/test-tools/make-openclaw-state.sh in %ss (gateway stop: %s)\n' \
  "$("$OC" --version 2>/dev/null | head -n 1)" "$(( $(date +%s) - T0 ))" "$MODE" > "$OUT/ok"
echo "make-openclaw-state: done: $TARGET" >&2
