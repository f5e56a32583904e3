#!/usr/bin/env bash
# Runs the suite on the embedded default (SQLite, in-process pub/sub, eager jobs) and, at the same time,
# on PostgreSQL + Redis with a real Celery worker when those services are available (two cores, and each
# run is mostly one Python process). Each run writes its own log, printed when both are done.
# With CI set, the services are required: their absence is a failure, not a skip.
# Arguments go to both pytest runs; SEQUENTIAL=1 runs them one after the other instead.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

PG_URL="${ENGAGEMENT_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
REDIS_URL="${ENGAGEMENT_REDIS_URL:-redis://127.0.0.1:6379/0}"
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/engagement-test-logs.XXXXXX")"
# The tests' own files (tmp_path: SQLite files of the command line tests, uploads, the pages checked for
# HTML) on a tmpfs when there is one: SQLite syncs at every commit, and the disk made that slow.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then SCRATCH="$(mktemp -d /dev/shm/engagement-test-tmp.XXXXXX)"; else SCRATCH="$LOGS"; fi
[ "$SCRATCH" != "$LOGS" ] && trap 'rm -rf "$SCRATCH"' EXIT

embedded_run() {
  env -u ENGAGEMENT_DATABASE_URL -u ENGAGEMENT_REDIS_URL -u ENGAGEMENT_JOBS ENGAGEMENT_TEST_RUN=embedded \
    ENGAGEMENT_TEST_RUNS="$runs" \
    $PY -m pytest -q --basetemp="$SCRATCH/embedded-tmp" "$@" >"$LOGS/embedded.log" 2>&1
}

# A test marked database_independent runs in one of the two (tests/conftest.py): most in the first,
# those marked database_independent(run="services") in the second, to balance the runs' times.
services_run() {
  ENGAGEMENT_TEST_RUN=services ENGAGEMENT_TEST_RUNS="$runs" ENGAGEMENT_DATABASE_URL="$PG_URL" ENGAGEMENT_REDIS_URL="$REDIS_URL" \
    $PY -m pytest -q --basetemp="$SCRATCH/services-tmp" "$@" >"$LOGS/services.log" 2>&1
}

if $PY scripts/services_available.py "$PG_URL" "$REDIS_URL"; then
  services_wanted=1
elif [ -n "${CI:-}" ]; then
  echo "CI: PostgreSQL and Redis are required for the second run but are not reachable" >&2
  services_wanted=ci-missing
else
  echo "== run 2 skipped: PostgreSQL or Redis not reachable (set ENGAGEMENT_DATABASE_URL / ENGAGEMENT_REDIS_URL)"
  services_wanted=0
fi

runs=one
[ "$services_wanted" = 1 ] && runs=both
started=$SECONDS
echo "== run 1: embedded default (SQLite, in-process backends, eager jobs): log $LOGS/embedded.log"
[ "$services_wanted" = 1 ] && echo "== run 2: PostgreSQL + Redis + Celery worker: log $LOGS/services.log"
if [ "$services_wanted" = 1 ] && [ -z "${SEQUENTIAL:-}" ]; then
  embedded_run "$@" &
  embedded_pid=$!
  services_run "$@"
  services=$?
  wait "$embedded_pid"
  embedded=$?
else
  embedded_run "$@"
  embedded=$?
  services=0
  if [ "$services_wanted" = 1 ]; then
    services_run "$@"
    services=$?
  fi
fi
[ "$services_wanted" = ci-missing ] && services=1

echo "== run 1 (embedded) log:"
cat "$LOGS/embedded.log"
if [ "$services_wanted" = 1 ]; then
  echo "== run 2 (PostgreSQL + Redis + worker) log:"
  cat "$LOGS/services.log"
fi
echo "== closing lines, after $((SECONDS - started)) s:"
echo "run 1 (embedded): $(tail -n 1 "$LOGS/embedded.log")"
[ "$services_wanted" = 1 ] && echo "run 2 (services): $(tail -n 1 "$LOGS/services.log")"

if [ $embedded -ne 0 ] || [ $services -ne 0 ]; then
  echo "FAILED: embedded run exit $embedded, services run exit $services" >&2
  exit 1
fi
