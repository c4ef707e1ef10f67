#!/usr/bin/env bash
# `make test`: install what the tests need, then run the whole suite.
# Tests that need Redis start their own server on a free loopback port.
set -euo pipefail
source "$(dirname "$0")/common.sh"

setup_venv requirements-dev.txt
ensure_redis

log "checks: system check, migrations, lint"
python manage.py check
python manage.py makemigrations --check --dry-run >/dev/null || {
  log "models changed without a migration: run python manage.py makemigrations"; exit 1; }
ruff check .

log "running the test suite"
python -m pytest "$@"
