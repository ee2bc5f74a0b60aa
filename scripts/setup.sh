#!/usr/bin/env bash
# Set up a fresh clone: system packages, a virtualenv in .venv, the project and its dependencies.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --dev    plus test and lint tools (used by `make test` and CI)
#   scripts/setup.sh --bench  plus the benchmarks' peers (the `bench` extra; `make bench`)
# Idempotent: a second call only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
BENCH=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    --bench) BENCH=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python3}

# System packages: rclone (the GDrive sync job). Debian's package; installed only if missing.
need_apt=()
command -v rclone >/dev/null 2>&1 || need_apt+=(rclone)
# --dev: Debian's chromium, which the UI tests drive headless through Playwright (they never
# download a browser of their own).
if ((DEV)) && ! command -v chromium >/dev/null 2>&1; then
  need_apt+=(chromium)
fi
if ((${#need_apt[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing system packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
stamp=.venv/.pixel-setup-$DEV$BENCH-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [[ -f "$stamp" ]]; then
  exit 0
fi
"${PIP[@]}" --upgrade pip wheel
# `make run` trains a tiny model and the tests do too, so both need the training extras. Without
# a GPU, install the CPU torch build first so no later requirement pulls a multi-GB CUDA build;
# on a machine with an NVIDIA GPU torch stays unpinned (pip picks its CUDA build), or bring your
# own before running this.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "setup: NVIDIA GPU found; torch comes unpinned with the training extras"
  else
    "${PIP[@]}" "torch==2.13.0"
  fi
fi
# DS_BUILD_OPS=0: DeepSpeed installs without compiling its C++/CUDA ops.
extras=train
((DEV)) && extras+=",dev"
((BENCH)) && extras+=",bench"
DS_BUILD_OPS=0 "${PIP[@]}" -e ".[$extras]"
# --dev: Label Studio, the review queue's tool, is a service with its own virtualenv (Django and
# its pins never meet the platform's); the review tests start it on 127.0.0.1.
if ((DEV)); then
  bash scripts/label_studio.sh install
fi
touch "$stamp"
echo "setup: done"
