#!/usr/bin/env bash
# The second command: install what the tests need and run everything — lint, migrations check,
# the suite on SQLite, then on PostgreSQL, browser tests in Chromium included.
#
# PostgreSQL: TIENDO_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; the
# suite creates and drops its own test_* database). Chromium: /usr/bin/chromium (Debian's package).
# On a developer's machine a missing PostgreSQL or Chromium is skipped with a message; under
# CI=true it is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test

export TIENDO_DATA_DIR=${TIENDO_DATA_DIR:-$(mktemp -d)}
in_ci=false
[ "${CI:-}" = "true" ] && in_ci=true

echo "==> ruff check, ruff format --check, mypy (the whole package; strict on services, selectors, schemas), lint-imports (the layers), makemigrations --check"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports  # the layers of docs/architecture.md: pyproject.toml [tool.importlinter]
.venv/bin/tiendo makemigrations --check --dry-run

echo "==> test suite on SQLite (with coverage: a whole run fails below [tool.coverage.report] fail_under)"
cov=()
[ "$#" -eq 0 ] && cov=(--cov --cov-report=term:skip-covered)
env -u DATABASE_URL TIENDO_EXPECT_DB=sqlite .venv/bin/pytest -q "${cov[@]}" "$@"

PG_URL=${TIENDO_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if .venv/bin/python - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "==> test suite on PostgreSQL ($PG_URL)"
  DATABASE_URL=$PG_URL TIENDO_EXPECT_DB=postgresql .venv/bin/pytest -q "$@"
elif $in_ci; then
  echo "CI=true and PostgreSQL is not reachable at $PG_URL: failing." >&2
  exit 1
else
  echo "==> SKIPPED the PostgreSQL run: no server at $PG_URL (set TIENDO_TEST_DATABASE_URL)." >&2
fi
