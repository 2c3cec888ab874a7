#!/usr/bin/env bash
# Every check, in the order a reviewer would run them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "==> ruff format --check"; ruff format --check .
echo "==> ruff check"; ruff check .
echo "==> manage.py check"; python manage.py check
echo "==> makemigrations --check"; python manage.py makemigrations --check --dry-run
echo "==> OpenAPI schema"; python manage.py spectacular --validate --fail-on-warn --file /dev/null
echo "==> check --deploy (production settings)"
DEBUG=false SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
  ALLOWED_HOSTS=club.example.com python manage.py check --deploy --fail-level WARNING
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "==> installing Debian's chromium for the end-to-end tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

echo "==> pytest"
# Two workers on the two cores: each has its own test database (docs/architecture.md, Tests).
python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
