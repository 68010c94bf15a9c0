"""Issue 14 targets: ``simulate`` against a numpy floor of the same bootstrap, and ``windows`` speed.

1. 10,000 paths x 20 years of daily steps with monthly contributions (dca IWM, history 2000-06-30..
   2025-06-30, mean block 12 months, seed 1):
   - r2k: ``simulate(result, ...)``: the whole report (strategy and benchmark balances, CAGR, XIRR
     of every path, drawdowns, time under water, CPI-deflated balances, fan-chart percentiles);
   - numpy floor: the least numpy that draws the same stationary bootstrap and replays the same
     deposits on the strategy and the benchmark (``V = G * cumsum(F / G)``), then takes the final
     balances' percentiles. Target: r2k within 3x of the floor.
2. ``windows`` over 25 years for every built-in strategy: the run (vector engine) plus the windows,
   and the windows alone. Target: under 2 s.

    R2K_TEST_DATA=../shared/data python bench/simulate.py
"""

from __future__ import annotations

import time

import numpy as np
from common import STRATEGIES, median_time, real_store

PATHS, YEARS, BLOCK_MONTHS, SEED = 10_000, 20, 12, 1


def numpy_floor(strategy: np.ndarray, benchmark: np.ndarray, flows: np.ndarray, horizon: int, mean_block: float,
                seed: int) -> np.ndarray:
    """The same bootstrap in plain numpy, all paths at once in slices of 500 (to fit in memory)."""
    n = len(strategy)
    finals = []
    rng_root = np.random.SeedSequence(seed)
    for b, child in enumerate(rng_root.spawn((PATHS + 499) // 500)):
        rng = np.random.default_rng(child)
        p = min(500, PATHS - 500 * b)
        new = rng.random((p, horizon)) < 1.0 / mean_block
        new[:, 0] = True
        start = rng.integers(0, n, (p, horizon))
        steps = np.arange(horizon)
        at = np.maximum.accumulate(np.where(new, steps, 0), axis=1)
        idx = (np.take_along_axis(start, at, axis=1) + steps - at) % n
        for hist in (strategy, benchmark):
            g = np.concatenate([np.ones((p, 1)), np.cumprod(1.0 + hist[idx], axis=1)], axis=1)
            finals.append((g * np.cumsum(flows / g, axis=1))[:, -1])
    return np.percentile(np.concatenate(finals), [5, 25, 50, 75, 95])


def main() -> None:
    home = real_store()
    import r2k.runner as r2k
    from r2k.data import loader
    from r2k.data.store import Store
    from r2k.runner.simulation import prepare, simulate
    from r2k.runner.windows_study import windows

    res = r2k.run("dca", symbol="IWM", start="2000-06-30", end="2025-06-30", engine="vector", offline=True,
                  home=str(home))
    cpi = loader.get("CPIAUCSL", series=True, store=Store(str(home)), offline=True, warn=lambda m: None).data
    setup, _ = prepare(res, paths=PATHS, years=YEARS, block_months=BLOCK_MONTHS, seed=SEED)
    floor = median_time(lambda: numpy_floor(setup.strategy, setup.benchmark, setup.flows, setup.horizon,
                                            setup.mean_block, SEED), repeat=3)
    ours = median_time(lambda: simulate(res, paths=PATHS, years=YEARS, block_months=BLOCK_MONTHS, seed=SEED, cpi=cpi),
                       repeat=3)
    print(f"simulate {PATHS} paths x {YEARS} y ({setup.horizon} days), monthly contributions:")
    print(f"  numpy floor  {floor:6.2f} s")
    print(f"  r2k          {ours:6.2f} s   ({ours / floor:.2f}x the floor; target <= 3x)")
    print("windows over 2000-06-30..2025-06-30 (vector engine):")
    for name in STRATEGIES:
        t0 = time.perf_counter()
        run = r2k.run(name, start="2000-06-30", end="2025-06-30", engine="vector", offline=True, home=str(home))
        w = windows(run)
        t2 = time.perf_counter()
        alone = median_time(lambda run=run: windows(run), repeat=3)
        print(f"  {name:18s} run + windows {t2 - t0:5.2f} s   windows alone {alone:5.2f} s   "
              f"({len(w.cells)} cells{', XIRR' if 'strategy_xirr' in w.cells else ''})")


if __name__ == "__main__":
    main()
