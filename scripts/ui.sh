#!/usr/bin/env bash
# `make ui`: the Dagster UI on the embedded instance, run the way deploy/docker-compose.yaml runs
# production: one code server (on a Unix socket; the UI's "Reload definitions" reloads it), the
# webserver and the daemon, both reading the code from that server. It replaces `dagster dev`,
# which Dagster 1.13 marks superseded.
#
#   scripts/ui.sh [--host 127.0.0.1] [--port 3000]
#
# DAGSTER_HOME is yours if set, else .dagster/ in the checkout with a link to the checkout's
# dagster.yaml (pixel_platform.cli.common.ensure_dagster_home, as `pixel-platform run` does).
#
# Stopping: TERM, INT (Ctrl-C) or HUP stops everything within GRACE_S seconds. Each of the three
# runs in a process group of its own, and stopping signals whole groups, so what they started
# (the code server's worker, run workers) goes too: TERM first, KILL for what is left after
# GRACE_S (the code server does not act on TERM). When one of the three exits by itself, the others
# are stopped and the script exits with its status.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=127.0.0.1
PORT=3000
GRACE_S=4
STARTUP_TIMEOUT_S=300
while (($#)); do
  case "$1" in
    --host) HOST=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    *) echo "usage: $0 [--host HOST] [--port PORT]" >&2; exit 2 ;;
  esac
done

BIN=.venv/bin
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pixel-ui.XXXXXX")
SOCKET=$RUN_DIR/code.sock
groups=()

alive() {
  local group
  for group in "${groups[@]}"; do
    kill -0 -- "-$group" 2>/dev/null && return 0
  done
  return 1
}

stop() {
  trap '' TERM INT HUP  # a second Ctrl-C must not leave the services behind
  local group deadline=$((SECONDS + GRACE_S))
  for group in "${groups[@]}"; do kill -TERM -- "-$group" 2>/dev/null || true; done
  while alive && ((SECONDS < deadline)); do sleep 0.2; done
  for group in "${groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$RUN_DIR"
}

# A process group of its own (setsid), remembered for stop().
launch() {
  setsid "$@" &
  groups+=("$!")
}

trap 'echo "ui: stopping" >&2; stop; exit 143' TERM
trap 'echo "ui: stopping" >&2; stop; exit 130' INT
trap 'stop; exit 129' HUP

DAGSTER_HOME=$("$BIN/python" -c \
  'from pixel_platform.cli.common import ensure_dagster_home; print(ensure_dagster_home())')
export DAGSTER_HOME
# Create or upgrade the instance's tables first: on a new instance the webserver and the daemon
# would otherwise race to create them.
"$BIN/dagster" instance migrate >/dev/null

launch "$BIN/dagster" code-server start --socket "$SOCKET" \
  -m pixel_platform.defs.definitions -a defs --location-name pixel_platform
deadline=$((SECONDS + STARTUP_TIMEOUT_S))
# Healthy once the definitions are loaded. In the background, so a signal is handled at once.
until { "$BIN/dagster" api grpc-health-check --socket "$SOCKET" >/dev/null 2>&1 & wait $!; }; do
  if ! alive || ((SECONDS >= deadline)); then
    echo "ui: the code server did not start (see its log above)" >&2
    stop
    exit 1
  fi
  sleep 1
done

cat >"$RUN_DIR/workspace.yaml" <<EOF
load_from:
  - grpc_server:
      socket: $SOCKET
      host: localhost
      location_name: pixel_platform
EOF
launch "$BIN/dagster-webserver" -w "$RUN_DIR/workspace.yaml" -h "$HOST" -p "$PORT"
launch "$BIN/dagster-daemon" run -w "$RUN_DIR/workspace.yaml"
echo "ui: Dagster UI on http://$HOST:$PORT (instance $DAGSTER_HOME); Ctrl-C stops it" >&2

status=0
wait -n || status=$?
echo "ui: a Dagster process exited with status $status; stopping the others" >&2
stop
exit "$status"
