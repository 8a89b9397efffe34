#!/usr/bin/env bash
# Set up .venv from nothing: CPU PyTorch first (see DESIGN.md), then the package.
# Usage: scripts/setup.sh [--dev]   (--dev adds test tools and the Debian packages tests use)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if [[ "${1:-}" == "--dev" ]]; then
  need=()
  command -v chromium >/dev/null || need+=(chromium fonts-noto-color-emoji)
  command -v pg_ctlcluster >/dev/null || need+=(postgresql)
  if ((${#need[@]})); then
    echo "installing Debian packages: ${need[*]}"
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --upgrade pip
# The CPU build lies on the machine (pip find-links); a bare `torch` would pull CUDA wheels.
.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/pip install -q torch==2.13.0
extras=""; [[ "${1:-}" == "--dev" ]] && extras="[dev]"
echo "installing the tutor and its dependencies (llama-cpp-python compiles once, ~6 min)…"
.venv/bin/pip install -q -e ".${extras}"
