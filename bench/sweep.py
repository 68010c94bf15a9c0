"""Issue 6: combinations per second of a 100-combination sweep, by executor.

trend-filter over 2000-2025 with window = 20..515 step 5 (100 values), vector engine:
1 worker in-process, a local process pool of 2, and a Dask LocalCluster(2) (processes).
Each executor writes its own sweep folder (no resume between them); the rows are checked equal.

    R2K_TEST_DATA=../shared/data python bench/sweep.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import WINDOW, real_store


def main() -> None:
    real_store()
    from r2k.runner.spec import RunSpec
    from r2k.runner.sweeps import sweep

    base = RunSpec("trend-filter", {"risk_off": "SPY"}, engine="vector", **WINDOW)
    grid = {"window": list(range(20, 520, 5))}
    tmp = Path(tempfile.mkdtemp())
    results = {}
    for label, kw in (("1 worker (in-process)", {"workers": 1}), ("2 processes", {"workers": 2}),
                      ("Dask LocalCluster(2)", {"dask_local": 2})):
        t = time.perf_counter()
        out = sweep(base, grid, tmp / label.split()[0], offline=True, **kw)
        dt = time.perf_counter() - t
        results[label] = {r["p.window"]: r["cagr"] for r in out.rows}
        print(f"{label:<24} {len(out.rows)} combinations in {dt:6.2f} s = {len(out.rows) / dt:6.1f} per second")
    first = next(iter(results.values()))
    assert all(r == first for r in results.values()), "executors disagree"
    print("rows identical across executors")


if __name__ == "__main__":
    main()
