#!/usr/bin/env bash
# Create or update .venv from the lock file. Needs only python3; uses uv when it can.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi

if command -v uv >/dev/null 2>&1 || .venv/bin/python -m pip install -q uv >/dev/null 2>&1; then
  UV=$(command -v uv || echo .venv/bin/uv)
  echo "==> installing with uv"
  VIRTUAL_ENV=.venv "$UV" pip sync -q requirements.lock
  VIRTUAL_ENV=.venv "$UV" pip install -q --no-deps -e .
else
  echo "==> installing with pip"
  .venv/bin/python -m pip install -q -r requirements.lock
  .venv/bin/python -m pip install -q --no-deps -e .
fi
