#!/usr/bin/env bash
# Migrate, seed a demo club once, then run web + Celery worker + beat until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
HOST=${DEMO_HOST:-127.0.0.1}
PORT=${DEMO_PORT:-8000}
# Links in messages, portal sign-in emails and the logins below point at this server.
export SITE_URL=${SITE_URL:-http://$HOST:$PORT}
mkdir -p var/celery/broker var/celery/processed var/celery/control
# The on-disk broker is for machines without Redis. With Redis answering, the demo's worker
# and beat use it as production does: kombu's filesystem transport can read a message file
# while it is being written, and that stops the worker for good.
if [ -z "${CELERY_BROKER_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  export CELERY_BROKER_URL=redis://127.0.0.1:6379/2
  echo "==> Celery broker: Redis at 127.0.0.1:6379 (database 2)"
fi

python manage.py create_database
python manage.py migrate --noinput -v0
python manage.py seed_demo --if-empty --members "${DEMO_MEMBERS:-1500}" --years 2 --seed 7

# Signal only our three processes: Celery stops its own pool (TERMing the pool children
# as well leaves the worker waiting for them forever).
trap 'trap - INT TERM EXIT; echo; echo "==> stopping"; kill $(jobs -p) 2>/dev/null; wait' INT TERM EXIT
python manage.py runserver "$HOST:$PORT" --noreload &
celery -A club worker --loglevel INFO --concurrency 2 --pool prefork &
celery -A club beat --loglevel INFO --schedule var/celerybeat-schedule &
sleep 2
python manage.py demo_logins
cat <<MSG

==> ClubCycle demo running
    Public site:  http://$HOST:$PORT/
    Back-office:  http://$HOST:$PORT/admin/
    Ctrl-C stops web, worker and beat.
MSG
wait
