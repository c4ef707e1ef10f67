#!/usr/bin/env bash
# `make bench [SCALE=0.01]`: a synthetic city in its own SQLite file, then the measurements.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SCALE="${1:-1}"
setup_venv requirements.txt
export DATABASE_URL="sqlite:///$ROOT/var/bench-${SCALE}.sqlite3"
rm -f "$ROOT/var/bench-${SCALE}.sqlite3"*
python manage.py migrate --noinput -v0
python manage.py bench --scale "$SCALE" --json "$ROOT/var/bench-${SCALE}.json"
