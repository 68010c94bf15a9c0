"""Target 3 (issue 8): the vectorized executor vs a numpy floor (and vectorbt, if available).

For each built-in strategy over 2000-2025 the Plan is prepared once (data and decisions), then:
- r2k vector: ``run_vector(plan)``, the full account (fills at next open, costs, flows, CASH);
- numpy floor: the least numpy that computes the same allocation's value: hold the decided
  weights from the day after each decision, compound ``weights @ daily returns`` with the same
  deposits (``V[t] = V[t-1] * (1 + r[t]) + D[t]``, solved with a cumulative product); no costs,
  close-to-close (a lower bound: r2k also fills at the next open, charges costs and logs trades);
- vectorbt: ``Portfolio.from_orders`` with target-percent orders on decision days (only when
  ``import vectorbt`` works; install it in its own environment: bench/peers.sh).
Target: r2k vector <= 3x the floor, and faster than vectorbt. The "agree" column checks that the
floor computes the same allocation: with close fills (the floor's timing) and no costs, the relative
difference of its final value from r2k's.

    R2K_TEST_DATA=../shared/data python bench/vector.py
"""

from __future__ import annotations

import numpy as np
from common import STRATEGIES, WINDOW, median_time, real_store


def numpy_floor(plan) -> np.ndarray:
    held = np.vstack([plan.weights[:1] * 0, plan.weights[:-1]])  # decided at t-1's close, held over t
    rets = np.vstack([np.zeros((1, plan.closes.shape[1])), plan.closes[1:] / plan.closes[:-1] - 1.0])
    growth = np.cumprod(1.0 + (held * rets).sum(axis=1))
    return growth * np.cumsum(plan.flows / growth)  # flows[0] is the initial cash


def vectorbt_time(plan) -> float | None:
    try:
        import pandas as pd
        import vectorbt as vbt
    except ImportError:
        return None
    close = pd.DataFrame(plan.closes, index=plan.calendar, columns=plan.assets)
    size = pd.DataFrame(np.where(plan.decide[:, None], plan.weights, np.nan), index=plan.calendar, columns=plan.assets)

    def go():
        pf = vbt.Portfolio.from_orders(close, size, size_type="targetpercent", group_by=True, cash_sharing=True,
                                       init_cash=plan.flows[0], call_seq="auto", freq="1D")
        return pf.value()

    return median_time(go, repeat=5, warmup=1)


def main() -> None:
    real_store()
    from r2k.runner.engine import prepare
    from r2k.runner.spec import RunSpec
    from r2k.runner.vector_executor import run_vector

    print(f"{'strategy':<20} {'events':>6} {'floor ms':>9} {'r2k ms':>8} {'ratio':>6} {'vectorbt ms':>12} {'agree':>8}")
    for name in STRATEGIES:
        plan = prepare(RunSpec(name, {}, engine="vector", **WINDOW), offline=True).plan
        floor = median_time(lambda plan=plan: numpy_floor(plan), repeat=21)
        ours = median_time(lambda plan=plan: run_vector(plan), repeat=21)
        vbt = vectorbt_time(plan)
        events = int(plan.trade_days().sum())
        vbt_txt = f"{vbt * 1e3:12.2f}" if vbt is not None else f"{'n/a':>12}"
        at_close = prepare(RunSpec(name, {}, engine="vector", fill="close", **WINDOW), offline=True).plan
        agree = numpy_floor(at_close)[-1] / run_vector(at_close).value[-1] - 1
        print(f"{name:<20} {events:6d} {floor * 1e3:9.2f} {ours * 1e3:8.2f} {ours / floor:6.1f} {vbt_txt} {agree:8.0e}")


if __name__ == "__main__":
    main()
