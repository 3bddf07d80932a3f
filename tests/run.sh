#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run the whole suite.
# Usage: bash tests/run.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
npm ci --prefix ui/assets --no-audit --no-fund --loglevel=error

# Debian's packages: Chromium for the browser tests (never a browser download by Playwright), and PostgreSQL
# with PostGIS, of which the tests start a throwaway server on 127.0.0.1 (tests/postgres_server.py).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing+=(postgresql postgresql-postgis)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
    || echo "tests/run.sh: could not install ${missing[*]}; those tests will skip (outside CI)" >&2
fi
if [ "${CI:-}" = "true" ]; then
  export VEILLE_REQUIRE_BROWSER=1 VEILLE_REQUIRE_POSTGRES=1
fi

.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
