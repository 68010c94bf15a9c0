#!/usr/bin/env bash
# Install peer engines (vectorbt) into their own environment, never into r2k's dependencies,
# then run the vectorized-executor benchmark there.
#   R2K_TEST_DATA=../shared/data bash bench/peers.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${R2K_BENCH_VENV:-/tmp/r2k-bench-venv}"
[ -x "$venv/bin/python" ] || python -m venv "$venv"
"$venv/bin/pip" install --quiet vectorbt
"$venv/bin/pip" install --quiet -e "$here/.."
cd "$here" && "$venv/bin/python" vector.py
