"""Shared set-up for the benchmarks: a temporary store with the real snapshot imported."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STRATEGIES = ["buy-and-hold", "dca", "rate-cut-rotation", "relative-momentum", "trend-filter"]
WINDOW = {"start": "2000-06-01", "end": "2025-09-26"}


def real_store() -> Path:
    """Import $R2K_TEST_DATA (prices + fred) into a fresh R2K_HOME and point the process at it."""
    data = os.environ.get("R2K_TEST_DATA")
    if not data or not Path(data, "prices").is_dir():
        sys.exit("set R2K_TEST_DATA to the real data snapshot (e.g. ../shared/data)")
    home = Path(tempfile.mkdtemp(prefix="r2k-bench-"))
    os.environ["R2K_HOME"] = str(home)
    for sub in ("prices", "fred"):
        subprocess.run([sys.executable, "-m", "r2k.runner", "data", "import", str(Path(data, sub))],
                       check=True, capture_output=True)
    return home


def median_time(fn, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def process_time(cmd: list[str], repeat: int = 3) -> float:
    """Median wall time of running ``cmd`` as a whole process (after one warm-up run)."""
    subprocess.run(cmd, capture_output=True)  # warm the file cache
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)
