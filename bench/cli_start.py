"""Target 1 (issue 8): CLI start-up vs ``python -c "import click"``.

Times ``r2k --help`` and ``r2k strategies list`` as whole processes (median of 15) and checks
that neither imports pandas, numpy, numba, backtrader, quantstats, yfinance or matplotlib. Target:
each at most 1.5x the bare click import.

    python bench/cli_start.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from common import process_time

HEAVY = ("pandas", "numpy", "numba", "backtrader", "quantstats", "yfinance", "matplotlib")
PROBE = (
    "import sys, runpy; sys.argv = ['r2k'] + sys.argv[1:];\n"
    "try:\n    runpy.run_module('r2k.runner', run_name='__main__')\nexcept SystemExit: pass\n"
    f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
)



def heavy_modules(args: list[str]) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True).stderr
    return next((line[6:] for line in out.splitlines() if line.startswith("HEAVY=")), "?") or "none"


def main() -> None:
    r2k = shutil.which("r2k") or sys.exit("r2k is not installed (pip install -e .)")
    base = process_time([sys.executable, "-c", "import click"], repeat=15)
    print(f"python -c 'import click'   {base * 1e3:7.1f} ms")
    for args in (["--help"], ["strategies", "list"]):
        t = process_time([r2k, *args], repeat=15)
        print(f"r2k {' '.join(args):<22} {t * 1e3:7.1f} ms  ratio {t / base:.2f} (target <= 1.5)  "
              f"heavy imports: {heavy_modules(args)}")


if __name__ == "__main__":
    main()
