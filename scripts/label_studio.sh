#!/usr/bin/env bash
# Label Studio, the review queue's annotation tool, as a local service in its own virtualenv
# (.venv-labelstudio): Django and its pins stay out of the platform's environment.
#   scripts/label_studio.sh install            create or update .venv-labelstudio
#   scripts/label_studio.sh start [PORT]       run it on 127.0.0.1:PORT (default 8080), data in
#                                              $LABEL_STUDIO_BASE_DATA_DIR (default ./data/label-studio)
# Nothing leaves the machine: Label Studio's error reporting (Sentry, which would send request
# data to its vendor) and its usage analytics are switched off here, in deploy/ and in the tests.
# The first user comes from LABEL_STUDIO_USERNAME / LABEL_STUDIO_PASSWORD; create a personal
# access token for the platform in the tool (Account & Settings) and set LABEL_STUDIO_API_KEY.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${LABEL_STUDIO_VENV:-.venv-labelstudio}
# Pinned together: sentry-sdk 3 no longer accepts an option Label Studio 1.23 passes.
PACKAGES=("label-studio==1.23.2" "sentry-sdk<3")

export SENTRY_DSN="" FRONTEND_SENTRY_DSN="" COLLECT_ANALYTICS=false

case "${1:-}" in
  install)
    stamp="$VENV/.pixel-label-studio-$(printf '%s ' "${PACKAGES[@]}" | sha256sum | cut -c1-16)"
    [[ -f "$stamp" ]] && exit 0
    [[ -x "$VENV/bin/python" ]] || "${PYTHON:-python3}" -m venv "$VENV"
    echo "label-studio: installing ${PACKAGES[*]} into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
    touch "$stamp"
    ;;
  start)
    port=${2:-8080}
    export LABEL_STUDIO_BASE_DATA_DIR=${LABEL_STUDIO_BASE_DATA_DIR:-data/label-studio}
    mkdir -p "$LABEL_STUDIO_BASE_DATA_DIR"
    args=(start --no-browser --internal-host 127.0.0.1 --port "$port"
          --host "http://127.0.0.1:$port")
    if [[ -n "${LABEL_STUDIO_USERNAME:-}" ]]; then
      args+=(--username "$LABEL_STUDIO_USERNAME" --password "${LABEL_STUDIO_PASSWORD:?set it}")
    fi
    exec "$VENV/bin/label-studio" "${args[@]}"
    ;;
  *)
    echo "usage: scripts/label_studio.sh install | start [PORT]" >&2
    exit 2
    ;;
esac
