#!/usr/bin/env bash
# `make run`: set up and start the whole system on 127.0.0.1 with demo data.
# Web on :8000 (PORT), Redis on :6379 (REDIS_PORT), a Celery worker and beat.
# Ctrl-C stops everything this script started, and only that.
set -euo pipefail
source "$(dirname "$0")/common.sh"

PORT="${PORT:-8000}"
REDIS_PORT="${REDIS_PORT:-6379}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT}/0}"

pids=()
redis_pidfile="$ROOT/var/redis-${REDIS_PORT}.pid"
started_redis=""
cleanup() {
  trap "" INT TERM PIPE  # a second Ctrl-C, make passing the signal on, or a closed pipe must not cut it short
  trap - EXIT
  log "stopping" || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$started_redis" ] && [ -f "$redis_pidfile" ]; then
    kill "$(cat "$redis_pidfile")" 2>/dev/null || true
  fi
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
# Ctrl-C at any moment, setup included, stops what was started and ends the script.
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

setup_venv requirements.txt
vendor_frontend
ensure_redis

log "migrating the database"
python manage.py migrate --noinput
log "seeding the demo city (idempotent)"
python manage.py seed_demo


if redis_answers "$REDIS_PORT"; then
  log "Redis already answers on 127.0.0.1:${REDIS_PORT}; using it"
else
  log "starting Redis on 127.0.0.1:${REDIS_PORT}"
  "$REDIS_SERVER_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$redis_pidfile" --logfile "$ROOT/var/redis.log"
  started_redis=1
  for _ in $(seq 50); do redis_answers "$REDIS_PORT" && break; sleep 0.1; done
fi

log "starting Celery worker and beat"
celery -A creation_tracker worker --loglevel=INFO --concurrency=2 >>var/celery-worker.log 2>&1 &
pids+=($!)
celery -A creation_tracker beat --loglevel=INFO --schedule "$ROOT/var/celerybeat-schedule" \
  --pidfile= >>var/celery-beat.log 2>&1 &
pids+=($!)

log "web server on http://127.0.0.1:${PORT}/  (logins: office / leader / supervisor / chengguan / gongan / dongmen …, password demo-pass-2026)"
python manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)
set +e
wait -n "${pids[@]}"
status=$?
log "a process stopped (exit ${status}): see var/celery-worker.log and var/celery-beat.log; stopping the rest"
exit "$status"
