"""Target 2 (issue 8): our backtrader run of each built-in strategy vs a stock Cerebro.

Both trade the same Plan with the same strategy code; the stock side uses default Cerebro
options (stdstats on) and stock PandasData feeds, ours the preloaded numpy feed with
stdstats off. Target: ratio <= 0.5.

    R2K_TEST_DATA=../shared/data python bench/bt_path.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from common import STRATEGIES, WINDOW, median_time, real_store


def stock_feed(bt, plan, j):
    frame = pd.DataFrame({"open": plan.opens[:, j], "high": np.maximum(plan.opens[:, j], plan.closes[:, j]),
                          "low": np.minimum(plan.opens[:, j], plan.closes[:, j]), "close": plan.closes[:, j],
                          "volume": 0.0, "openinterest": 0.0}, index=plan.calendar)
    return bt.feeds.PandasData(dataname=frame, name=plan.assets[j])


def main() -> None:
    real_store()
    from r2k.runner.bt_executor import run_backtrader
    from r2k.runner.engine import prepare
    from r2k.runner.spec import RunSpec

    print(f"{'strategy':<20} {'stock s':>9} {'r2k s':>9} {'ratio':>7}")
    ratios = []
    for name in STRATEGIES:
        plan = prepare(RunSpec(name, {}, **WINDOW), offline=True).plan
        ours = median_time(lambda plan=plan: run_backtrader(plan))
        stock = median_time(lambda plan=plan: run_backtrader(plan, feed=stock_feed, stdstats=True))
        a, b = run_backtrader(plan), run_backtrader(plan, feed=stock_feed, stdstats=True)
        assert np.allclose(a.value, b.value, rtol=1e-12), "stock and fast feeds disagree"
        ratios.append(ours / stock)
        print(f"{name:<20} {stock:9.3f} {ours:9.3f} {ours / stock:7.2f}")
    print(f"worst ratio {max(ratios):.2f} (target <= 0.5); {len(plan.calendar)} bars per run")


if __name__ == "__main__":
    main()
