#!/usr/bin/env bash
# `make bench [SCALE=0.01]`: a synthetic city in its own SQLite file, then the measurements.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SCALE="${1:-1}"
setup_venv requirements.txt
# the load test drives gunicorn (in requirements.txt) with wrk, Debian's HTTP load generator
command -v wrk >/dev/null 2>&1 || apt_install wrk || log "wrk is not installed: the load test is skipped"
export DATABASE_URL="sqlite:///$ROOT/var/bench-${SCALE}.sqlite3"
# measured as the servers run: DEBUG off (with it on, Django keeps every statement with its
# parameters written out, a tenth of the nightly job's time); plain HTTP on the loopback
export LEDGER_BENCH=1 DJANGO_DEBUG=0 SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
# REUSE=1 keeps an already built city (a full-scale build takes minutes) and measures again
if [ "${REUSE:-0}" != 1 ]; then rm -f "$ROOT/var/bench-${SCALE}.sqlite3"*; fi
python manage.py migrate --noinput -v0
EXTRA=()
if [ "${REUSE:-0}" = 1 ]; then EXTRA=(--reuse); fi
python manage.py bench --scale "$SCALE" --json "$ROOT/var/bench-${SCALE}.json" "${EXTRA[@]}"
