# Sourced by the Makefile's test and bench targets: point at PostgreSQL and Redis when
# they answer; with CI=true they must answer, or the run stops here with the reason.
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

reachable() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if reachable "$PG_HOST" "$PG_PORT"; then
  export DATABASE_URL=${DATABASE_URL:-postgres://postgres@$PG_HOST:$PG_PORT/clubcycle}
  echo "==> PostgreSQL at $PG_HOST:$PG_PORT"
elif [ "${CI:-}" = "true" ]; then
  echo "ERROR: PostgreSQL is not reachable at $PG_HOST:$PG_PORT, and CI=true requires it." >&2
  echo "       Start it with: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
  exit 1
else
  echo "==> WARNING: PostgreSQL not reachable: running on SQLite; the race tests will not run."
fi

if reachable "$REDIS_HOST" "$REDIS_PORT"; then
  export REDIS_URL=${REDIS_URL:-redis://$REDIS_HOST:$REDIS_PORT/0}
  echo "==> Redis at $REDIS_HOST:$REDIS_PORT"
elif [ "${CI:-}" = "true" ]; then
  echo "ERROR: Redis is not reachable at $REDIS_HOST:$REDIS_PORT, and CI=true requires it." >&2
  echo "       Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no" >&2
  exit 1
else
  echo "==> WARNING: Redis not reachable: the Celery-on-Redis tests will not run."
fi
