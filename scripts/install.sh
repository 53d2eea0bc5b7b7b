#!/usr/bin/env bash
# Install tiendo into ./.venv and build the front-end assets from npm (no CDN).
# Usage: scripts/install.sh [--test]   (--test adds pytest, Playwright, ruff)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "tiendo needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi
command -v npm >/dev/null || { echo "tiendo needs Node.js and npm to build its front-end assets." >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"
echo "==> installing Python packages ${extras}"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet --editable ".${extras}"

if [ "${1:-}" = "--test" ]; then
  # a FIWARE NGSI-LD client from PyPI for the IOC's tests; it pins old httpx and rich, so it gets
  # its own environment and runs as a subprocess (src/tiendo/ioc/tests/test_ngsi_ld_client.py)
  if [ ! -x .venv-ngsi/bin/python ]; then
    echo "==> creating .venv-ngsi (ngsildclient, for the NGSI-LD tests)"
    "$PYTHON" -m venv .venv-ngsi
  fi
  .venv-ngsi/bin/python -m pip install --quiet "ngsildclient==0.5.2"
fi

echo "==> installing and building front-end assets (npm ci, npm run build)"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
