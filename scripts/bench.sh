#!/usr/bin/env bash
# Run every benchmark; each prints one JSON line with its figures, its floor and target ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
export PATH="$PWD/.venv/bin:$PATH"
for module in benchmarks/[a-z]*.py; do
  name=$(basename "$module" .py)
  echo "==> benchmarks.$name"
  python -m "benchmarks.$name"
done
