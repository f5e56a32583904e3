#!/usr/bin/env bash
# Runs the suite on the embedded default (SQLite, in-process pub/sub, eager jobs), then again on
# PostgreSQL + Redis with a real Celery worker when those services are available.
# With CI set, the services are required: their absence is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

PG_URL="${ENGAGEMENT_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
REDIS_URL="${ENGAGEMENT_REDIS_URL:-redis://127.0.0.1:6379/0}"

echo "== run 1: embedded default (SQLite, in-process backends, eager jobs)"
env -u ENGAGEMENT_DATABASE_URL -u ENGAGEMENT_REDIS_URL -u ENGAGEMENT_JOBS ENGAGEMENT_TEST_RUN=embedded $PY -m pytest -q "$@"
embedded=$?

if $PY scripts/services_available.py "$PG_URL" "$REDIS_URL"; then
  echo "== run 2: PostgreSQL + Redis + Celery worker"
  ENGAGEMENT_DATABASE_URL="$PG_URL" ENGAGEMENT_REDIS_URL="$REDIS_URL" $PY -m pytest -q "$@"
  services=$?
elif [ -n "${CI:-}" ]; then
  echo "CI: PostgreSQL and Redis are required for the second run but are not reachable" >&2
  services=1
else
  echo "== run 2 skipped: PostgreSQL or Redis not reachable (set ENGAGEMENT_DATABASE_URL / ENGAGEMENT_REDIS_URL)"
  services=0
fi

if [ $embedded -ne 0 ] || [ $services -ne 0 ]; then
  echo "FAILED: embedded run exit $embedded, services run exit $services" >&2
  exit 1
fi
