#!/usr/bin/env bash
# The newcomer's first command: install everything, create the SQLite database in ./var, load
# Quảng Ngãi's units and the 2025 and 2026 plans, print the demo logins, serve http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/tiendo demo "$@"
