#!/usr/bin/env bash
# The test command of the README: sets up what the tests need, then runs the
# whole suite (format, lints, unit, API, CLI and end-to-end tests) on SQLite
# and on PostgreSQL.
#
#   SAKIMORI_TEST_POSTGRES   PostgreSQL to test against
#                            (default postgres://postgres@127.0.0.1:5432/test)
#   SAKIMORI_TEST_BACKENDS   sqlite,postgres (default both)
#   CI                       when set, a missing PostgreSQL or Python tool
#                            fails the run
set -euo pipefail
cd "$(dirname "$0")/.."

export SAKIMORI_TEST_POSTGRES="${SAKIMORI_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"
export SAKIMORI_TEST_BACKENDS="${SAKIMORI_TEST_BACKENDS:-sqlite,postgres}"

step() { printf '\n==> %s\n' "$*"; }

if ! command -v cargo >/dev/null; then
    echo "error: cargo is required (https://rustup.rs)" >&2
    exit 1
fi

if [[ "$SAKIMORI_TEST_BACKENDS" == *postgres* ]]; then
    step "PostgreSQL at $SAKIMORI_TEST_POSTGRES"
    if command -v psql >/dev/null && psql "$SAKIMORI_TEST_POSTGRES" -Atqc 'SELECT 1' >/dev/null 2>&1; then
        # Drop the schemas earlier test runs left behind (each test gets its own).
        psql "$SAKIMORI_TEST_POSTGRES" -Atqc "SELECT string_agg(format('DROP SCHEMA %I CASCADE;', nspname), ' ') FROM pg_namespace WHERE nspname LIKE 't\_%'" \
            | psql "$SAKIMORI_TEST_POSTGRES" -q >/dev/null 2>&1 || true
        echo "reachable"
    elif [ -n "${CI:-}" ]; then
        echo "error: PostgreSQL is required in CI and is not reachable" >&2
        exit 1
    elif command -v psql >/dev/null; then
        echo "!!! PostgreSQL is NOT reachable: running on SQLite only !!!" >&2
        export SAKIMORI_TEST_BACKENDS=sqlite
    else
        echo "(psql not installed: the tests themselves will check PostgreSQL)"
    fi
fi

# Standards' own tools (validators, reference clients), from a small Python venv
# this script creates; the Rust tests find it through SAKIMORI_TEST_PYTHON.
step "Python tools (.venv)"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
export SAKIMORI_TEST_PYTHON="$PWD/.venv/bin/python"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

# A real NetFlow/IPFIX exporter for the sensor crate's collector tests:
# Debian's softflowd (in /usr/sbin) reads a capture the test writes.
step "softflowd (NetFlow/IPFIX exporter)"
if ! command -v softflowd >/dev/null && [ ! -x /usr/sbin/softflowd ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softflowd) >/dev/null || true
    fi
    if ! command -v softflowd >/dev/null && [ ! -x /usr/sbin/softflowd ]; then
        if [ -n "${CI:-}" ]; then
            echo "error: softflowd is required in CI (apt-get install softflowd)" >&2
            exit 1
        fi
        echo "!!! softflowd missing: the NetFlow exporter test will be SKIPPED !!!" >&2
    fi
fi

step "cargo test (backends: $SAKIMORI_TEST_BACKENDS)"
mkdir -p target
cargo test --workspace 2>&1 | tee target/test-output.txt


step "OpenAPI document against openapi-spec-validator"
mkdir -p target
cargo run --quiet -p sakimori -- openapi > target/openapi.json
.venv/bin/openapi-spec-validator target/openapi.json

# The web console in a real browser: Debian's Chromium driven by playwright-core.
step "console end-to-end tests (headless Chromium)"
# Japanese screenshots need a CJK font (Noto).
if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null
    elif [ -n "${CI:-}" ]; then
        echo "error: Chromium is required in CI (apt-get install chromium)" >&2
        exit 1
    fi
fi
if command -v chromium >/dev/null && command -v npm >/dev/null; then
    npm ci --prefix e2e --no-audit --no-fund --silent
    (cd e2e && node --test) 2>&1 | tee target/e2e-output.txt
else
    echo "!!! Chromium or npm missing: the console end-to-end tests did NOT run !!!" >&2
    : > target/e2e-output.txt
fi

# One closing line with the totals of every test binary above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { printf "\ntests: %d passed, %d failed\n", p, f }' target/test-output.txt target/e2e-output.txt
