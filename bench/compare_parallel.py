"""Target 5 (issue 8): ``r2k compare`` of three strategies vs the slowest single tear sheet.

Measures, side by side (median of 3 whole processes):
- ``r2k compare buy-and-hold dca rate-cut-rotation`` with its three tear sheets (rendered in
  parallel worker processes);
- ``r2k run rate-cut-rotation`` with its tear sheet (the slowest of the three), and without;
- the render of that tear sheet alone, in-process (r2k draws it; nothing else to import).
Target: compare <= 1.3x the slowest single tear sheet, i.e. the whole ``r2k run`` with it (the last
ratio printed). The machine's other load moves these numbers by +-10%: compare runs back to back.

    R2K_TEST_DATA=../shared/data python bench/compare_parallel.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from common import median_time, real_store
from common import process_time as _process_time

WIN = ["--start", "2005-01-01", "--end", "2024-12-31", "--offline"]


def process_time(cmd: list[str]) -> float:
    """common.process_time, but a failing command shows its stderr instead of only its exit status."""
    try:
        return _process_time(cmd)
    except subprocess.CalledProcessError as exc:
        sys.exit(f"{' '.join(cmd)} failed ({exc.returncode}):\n{exc.stderr.decode(errors='replace')}")


def main() -> None:
    real_store()
    tmp = Path(tempfile.mkdtemp())
    cmp = process_time(["r2k", "compare", "buy-and-hold", "dca", "rate-cut-rotation", *WIN, "--out", str(tmp / "cmp")])
    run = process_time(["r2k", "run", "rate-cut-rotation", *WIN, "--out", str(tmp / "run")])
    bare = process_time(["r2k", "run", "rate-cut-rotation", *WIN, "--out", str(tmp / "bare"), "--no-tearsheet"])

    from r2k.reports.tearsheet import render
    from r2k.runner.engine import run as run_spec
    from r2k.runner.spec import RunSpec

    r = run_spec(RunSpec("rate-cut-rotation", {}, start="2005-01-01", end="2024-12-31"), offline=True)
    render_only = median_time(lambda: render(r.returns, tmp / "ts.html", "x", r.benchmark, r.assumptions), repeat=3)
    print(f"compare of 3 with tear sheets: {cmp:6.2f} s")
    print(f"run with tear sheet:           {run:6.2f} s  (without: {bare:.2f} s)")
    print(f"tear sheet render alone:       {render_only:6.2f} s")
    print(f"ratio vs render alone {cmp / render_only:.2f}, vs a whole single run {cmp / run:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
