#!/usr/bin/env bash
# `make bench [SCALE=0.01] [DB=sqlite|postgres|both]`: a synthetic city in a database of its own,
# then the measurements; the table shows every database measured at this scale side by side.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SCALE="${1:-1}"
DB="${2:-sqlite}"
setup_venv requirements.txt
# the load test drives gunicorn (in requirements.txt) with wrk, Debian's HTTP load generator
command -v wrk >/dev/null 2>&1 || apt_install wrk || log "wrk is not installed: the load test is skipped"
# measured as the servers run (docs/operations.md): DEBUG off (with it on, Django keeps every statement
# it sends), persistent database connections; plain HTTP on the loopback; the bench app installed
export LEDGER_BENCH=1 DJANGO_DEBUG=0 DATABASE_CONN_MAX_AGE=60 SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"

bench_sqlite() {
  export DATABASE_URL="sqlite:///$ROOT/var/bench-${SCALE}.sqlite3"
  # REUSE=1 keeps an already built city (a full-scale build takes minutes) and measures again
  if [ "${REUSE:-0}" != 1 ]; then rm -f "$ROOT/var/bench-${SCALE}.sqlite3"*; fi
  python manage.py migrate --noinput -v0
  local extra=()
  if [ "${REUSE:-0}" = 1 ]; then extra=(--reuse); fi
  python manage.py bench --scale "$SCALE" "${extra[@]}"
}

bench_postgres() {
  # a throwaway cluster on 127.0.0.1, started and stopped as `make test` does
  ensure_postgresql
  start_postgresql
  trap stop_postgresql EXIT
  python - <<'PY'
import os, urllib.parse, psycopg
url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
with psycopg.connect(dbname="postgres", host=url.hostname, port=url.port, user=url.username, autocommit=True) as c:
    c.execute("CREATE DATABASE ledger")
PY
  python manage.py migrate --noinput -v0
  python manage.py bench --scale "$SCALE"
  stop_postgresql
  trap - EXIT
}

case "$DB" in
  sqlite) bench_sqlite ;;
  postgres|postgresql) bench_postgres ;;
  both) bench_sqlite; bench_postgres ;;
  *) log "DB must be sqlite, postgres or both, not $DB"; exit 2 ;;
esac
