"""What ``--no-tearsheet`` saves (README "Set up and test"): wall and CPU seconds, whole processes.

Measures ``r2k run buy-and-hold --symbol IWM`` and ``r2k compare buy-and-hold --symbols
IWM,SPY,QQQ`` (2005-2024, offline) with and without tear sheets, back to back. CPU seconds add up
every process of the command's tree (compare renders its tear sheets in worker processes), polled
every 50 ms with psutil, so they hardly move with the machine's other load; wall seconds do.

    R2K_TEST_DATA=../shared/data python bench/tearsheet_cost.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import real_store

WIN = ["--start", "2005-01-01", "--end", "2024-12-31", "--offline"]
COMMANDS = {
    "run buy-and-hold IWM": ["run", "buy-and-hold", "--symbol", "IWM"],
    "compare IWM,SPY,QQQ": ["compare", "buy-and-hold", "--symbols", "IWM,SPY,QQQ"],
}


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of one whole process."""
    import psutil

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root, cpu = psutil.Process(proc.pid), {}
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in tree:
            try:
                t = p.cpu_times()
                cpu[p.pid] = t.user + t.system + t.children_user + t.children_system
            except psutil.NoSuchProcess:
                pass
        time.sleep(0.05)
    wall = time.monotonic() - t0
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode(errors='replace')}")
    return wall, sum(cpu.values())


def main() -> None:
    real_store()
    tmp = Path(tempfile.mkdtemp())
    r2k = [sys.executable, "-m", "r2k.runner"]
    for name, args in COMMANDS.items():
        with_ts = measure([*r2k, *args, *WIN, "--out", str(tmp / f"{args[0]}-ts")])
        without = measure([*r2k, *args, *WIN, "--out", str(tmp / f"{args[0]}-bare"), "--no-tearsheet"])
        print(f"{name:22s} with tear sheets: {with_ts[0]:6.1f} s wall {with_ts[1]:6.1f} s CPU   "
              f"--no-tearsheet: {without[0]:6.1f} s wall {without[1]:6.1f} s CPU")


if __name__ == "__main__":
    main()
