#!/usr/bin/env bash
# `make run`: set up and start the whole system on 127.0.0.1 with demo data, served as in production
# (DEBUG off, gunicorn, static files collected and compressed). `make dev` (run.sh dev): runserver,
# DEBUG on, code reloaded on change.
# Web on :8000 (PORT), Redis on :6379 (REDIS_PORT), a Celery worker and beat.
# Ctrl-C stops everything this script started, and only that.
set -euo pipefail
source "$(dirname "$0")/common.sh"

MODE="${1:-production}"

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
  # the web server leads its own process group (the development server's reloader runs it as a child)
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  if [ -n "$started_redis" ] && [ -f "$redis_pidfile" ]; then
    kill "$(cat "$redis_pidfile")" 2>/dev/null || true
  fi
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
# Ctrl-C at any moment, setup included, stops what was started and ends the script.
# Stopping on request is the normal end: exit 0, so make does not report an error.
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

setup_venv requirements.txt
vendor_frontend
ensure_redis

if [ "$MODE" = production ]; then
  # served over plain http on loopback: no https redirect, no secure-only cookies, no HSTS
  export DJANGO_DEBUG=0 SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0
  export DATABASE_CONN_MAX_AGE="${DATABASE_CONN_MAX_AGE:-60}"
  if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
    # made once per checkout and kept, so sessions survive a restart
    if [ ! -s var/secret_key ]; then
      (umask 077; python -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key)
    fi
    DJANGO_SECRET_KEY="$(cat var/secret_key)"
    export DJANGO_SECRET_KEY
  fi
  log "collecting and compressing the static files"
  python manage.py collectstatic --noinput -v0
else
  export DJANGO_DEBUG=1
fi

log "migrating the database"
python manage.py migrate --noinput
log "seeding the demo city (idempotent)"
python manage.py seed_demo --force   # --force: this is the demo, even with DEBUG off


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
if [ "$MODE" = production ]; then
  # requests go to var/access.log; the terminal shows starts, stops, refusals and errors. Its own process
  # group: Ctrl-C reaches this script, whose cleanup stops gunicorn gracefully (TERM), in-flight requests
  # answered, instead of the interrupt cutting them off
  setsid gunicorn creation_tracker.wsgi --bind "127.0.0.1:${PORT}" --workers "${WEB_WORKERS:-2}" --timeout 120 \
    --access-logfile var/access.log --error-logfile - --log-level warning &
else
  setsid python manage.py runserver "127.0.0.1:${PORT}" &
fi
pids+=($!)
set +e
wait -n "${pids[@]}"
status=$?
# Ctrl-C reaches the servers too, and one of them may end before this script's trap runs
case "$status" in 0|130|143) exit 0 ;; esac
log "a process stopped (exit ${status}): see var/celery-worker.log and var/celery-beat.log; stopping the rest"
exit "$status"
