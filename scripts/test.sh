#!/usr/bin/env bash
# Herald's whole test suite, as CI runs it (`make test`):
#   1. installs what is missing (Debian's PostgreSQL and prometheus-alertmanager; pytest, slack_sdk,
#      schemathesis and the OpenAPI validator from PyPI), idempotently;
#   2. starts a throwaway PostgreSQL cluster under a temp dir on a free loopback port (through
#      scripts/harness.py, the harness the end-to-end tests and benchmarks use too);
#   3. builds (any warning in Herald's own targets is an error: Package.swift), then runs every
#      Swift test on SQLite and again on PostgreSQL;
#   4. runs the end-to-end tests (pytest) against the built binaries;
#   5. validates the OpenAPI document and runs schemathesis against a server on SQLite (about a
#      minute); stops the cluster; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

# The same tests whatever the caller's environment holds: no HERALD_* variable from outside reaches
# them (HERALD_RECORD_SNAPSHOTS would make the snapshots compare with themselves, HERALD_E2E_SQLITE_ONLY
# would skip the PostgreSQL end-to-end tests, HERALD_TEST_POSTGRES_URL would swap in another server).
# The cluster this script starts is passed to its own second run (below) under a name of its own.
if [ -z "${HERALD_TEST_SH_CLUSTER:-}" ]; then
    for variable in $(compgen -e | grep -E '^(HERALD_|SLACK_SANDBOX_BIN$)'); do unset "$variable"; done
fi

log() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- 1. packages -------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    log "installing PostgreSQL from Debian"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi
PGBIN="$(pg_bin)"
if [ ! -x /usr/bin/prometheus-alertmanager ]; then
    log "installing prometheus-alertmanager from Debian (for the Alertmanager end-to-end test)"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq prometheus-alertmanager >/dev/null 2>&1 \
        || { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq prometheus-alertmanager >/dev/null; } \
        || { echo "could not install prometheus-alertmanager"; exit 1; }
fi
if ! command -v openssl >/dev/null; then
    log "installing openssl from Debian (the HTTPS end-to-end test makes a throwaway certificate)"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openssl >/dev/null 2>&1 \
        || { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openssl >/dev/null; } \
        || { echo "could not install openssl"; exit 1; }
fi
python_need=()
python3 -c 'import openapi_spec_validator' 2>/dev/null || python_need+=(openapi-spec-validator)
python3 -c 'import pytest' 2>/dev/null || python_need+=(pytest)
python3 -c 'import slack_sdk' 2>/dev/null || python_need+=(slack_sdk)
# PagerDuty's own client (7.x refuses a base URL that is not https://), for the HTTPS end-to-end test.
python3 -c 'import pagerduty, sys; sys.exit(0 if pagerduty.__version__.startswith("7.") else 1)' 2>/dev/null || python_need+=("pagerduty>=7,<8")
# Pinned: the API fuzz run is reproducible only with one version's generator.
[ "$(python3 -c 'import schemathesis; print(schemathesis.__version__)' 2>/dev/null)" = "4.32.5" ] || python_need+=(schemathesis==4.32.5)
if [ "${#python_need[@]}" -gt 0 ]; then
    log "installing from PyPI: ${python_need[*]}"
    python3 -m pip install -q "${python_need[@]}" || exit 1
fi

# --- 2. PostgreSQL -----------------------------------------------------------
# The one harness (scripts/harness.py) starts a throwaway cluster under a temp dir on a free
# loopback port, runs the rest of this script with HERALD_TEST_POSTGRES_URL pointing at it (the
# variable every test reads), and stops the cluster afterwards, whatever happens.
if [ -z "${HERALD_TEST_SH_CLUSTER:-}" ]; then
    exec python3 scripts/harness.py with-postgres -- env HERALD_TEST_SH_CLUSTER=1 bash "$0" "$@"
fi
unset HERALD_TEST_SH_CLUSTER

# --- 3. Swift tests on both databases ---------------------------------------
status=0
log "building"
swift build --build-tests || exit 1
log "Swift tests on SQLite"
# Each run under the harness's watchdog: a run that prints nothing for minutes has stalled; its
# threads are dumped with gdb and printed, and it fails (never retried).
env -u HERALD_TEST_POSTGRES_URL python3 scripts/harness.py watchdog --idle 180 -- swift test --skip-build || status=1
log "Swift tests on PostgreSQL ($HERALD_TEST_POSTGRES_URL)"
python3 scripts/harness.py watchdog --idle 180 -- swift test --skip-build || status=1

# --- 4. End-to-end tests of the built binary ------------------------------------
log "end-to-end tests (the herald binary, SQLite and PostgreSQL)"
HERALD_BIN="$PWD/.build/debug/herald" python3 -m pytest -q -p no:cacheprovider tests/e2e || status=1

# --- 5. OpenAPI document -----------------------------------------------------
log "validating the OpenAPI document"
python3 scripts/check_openapi.py || status=1
log "schemathesis against the OpenAPI document (a server on SQLite)"
python3 scripts/api_fuzz.py --bin "$PWD/.build/debug/herald" || status=1

if [ "$status" = 0 ]; then log "all tests passed"; else log "SOME TESTS FAILED"; fi
exit "$status"
