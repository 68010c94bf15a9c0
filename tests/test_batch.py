"""Issue 18 point 2: a batched sweep gives the same rows as running each combination on its own.

``evaluate`` runs one combination through the engine (a full Result, metrics from
reports.metrics.summarize); ``evaluate_batch`` computes what the combinations share once and the
rest as arrays (runner.batch, reports.metrics.summarize_many). Every metric must agree to 1e-12,
on the real snapshot, over settings that exercise each metric's branches.
"""

import math

import numpy as np
import pytest

from r2k.runner import sweeps
from r2k.runner.grid import combinations
from r2k.runner.spec import RunSpec
from tests.util import needs_real_data

pytestmark = needs_real_data

CASES = [
    ("trend-filter", {"risk_off": "SPY"}, {"window": [20, 60, 150, 222]}, {}),
    ("trend-filter", {}, {"window": [5, 200]}, {"fill": "close", "commission_bps": 5.0, "slippage_bps": 2.0,
                                                 "rf": "DFF"}),
    ("dca", {}, {"symbol": ["IWM", "SPY"]}, {"contribute": 300.0, "every": "quarter", "cash": 0.0}),
    ("relative-momentum", {"absolute": True}, {"lookback_months": [3, 12]}, {"stats": "monthly", "rf": "0.02"}),
    ("rate-cut-rotation", {}, {"lookback_months": [3, 6], "risk_off": ["SPY", "CASH"]},
     {"whole_shares": True, "start": "2003-03-03", "end": "2012-08-31"}),
    ("portfolio", {}, {"weights": ["SPY:60,IWM:40", "SPY:50,TLT:50"], "rebalance": ["month", "year", "never"]},
     {"contribute": 200.0, "commission_bps": 3.0}),
    ("portfolio", {"weights": "SPY:60,IWM:40"}, {"band": [None, 5.0]}, {}),  # a band runs on its own
]


def _tasks(home, strategy, params, grid, kw, basis="daily"):
    spec = {"start": "2000-06-01", "end": "2025-09-26", **kw}
    base = RunSpec(strategy, params, engine="vector", **spec)
    return [sweeps.Task(str(i), RunSpec(strategy, {**params, **c}, engine="vector", **spec).to_dict(), str(home),
                        kw.get("stats", basis))
            for i, c in enumerate(combinations(grid))], base


def _same(a, b, where):
    assert a.keys() == b.keys(), where
    for k in a:
        x, y = a[k], b[k]
        if k == sweeps.RETURNS:  # each combination's daily returns, kept for the overfitting statistics
            assert x.index.equals(y.index) and np.allclose(x.to_numpy(), y.to_numpy(), rtol=0, atol=1e-12), where
        elif isinstance(x, float) and isinstance(y, float):
            assert (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-12 * max(1.0, abs(x)), (where, k, x, y)
        else:
            assert x == y, (where, k, x, y)


@pytest.mark.parametrize(("strategy", "params", "grid", "kw"), CASES, ids=[c[0] for c in CASES])
def test_batched_rows_equal_single_runs(real_home, strategy, params, grid, kw):
    tasks, _ = _tasks(real_home, strategy, params, grid, kw)
    single = [sweeps.evaluate(t) for t in tasks]
    batched = sweeps.evaluate_batch(tasks)
    for a, b in zip(single, batched, strict=True):
        _same(a, b, (strategy, a["key"]))


def test_monthly_basis_batched_equals_single(real_home):
    tasks, _ = _tasks(real_home, "trend-filter", {"risk_off": "SPY"}, {"window": [50, 100]}, {}, basis="monthly")
    for a, b in zip([sweeps.evaluate(t) for t in tasks], sweeps.evaluate_batch(tasks), strict=True):
        _same(a, b, a["key"])


def test_unbatchable_combinations_run_one_by_one(real_home):
    """The backtrader engine is not batched; its rows come from the engine unchanged."""
    spec = RunSpec("trend-filter", {"window": 50, "risk_off": "SPY"}, start="2015-01-01", end="2016-12-31",
                   engine="backtrader")
    t = sweeps.Task("bt", spec.to_dict(), str(real_home))
    _same(sweeps.evaluate_batch([t])[0], sweeps.evaluate(t), "bt")


def test_batches_cover_every_task_once():
    vec = RunSpec("trend-filter", {}, engine="vector").to_dict()
    bt = RunSpec("trend-filter", {}, engine="backtrader").to_dict()
    tasks = [sweeps.Task(str(i), bt if i % 100 == 7 else vec, "h") for i in range(1003)]
    for workers in (1, 2, 7):
        parts = sweeps.batches(tasks, workers)
        assert sorted(t.key for p in parts for t in p) == sorted(t.key for t in tasks)
        assert max(len(p) for p in parts) <= sweeps.BATCH
        assert len(parts) >= (4 * workers if workers > 1 else -(-993 // sweeps.BATCH))
        assert all(len(p) == 1 for p in parts if p[0].spec["engine"] == "backtrader")


def test_measure_gives_the_engine_runs_returns_and_metrics(real_home):
    """Walk-forward's test periods are measured like sweep combinations (sweeps.measure)."""
    from r2k.data.store import Store
    from r2k.runner.engine import run

    spec = RunSpec("trend-filter", {"window": 80}, start="2009-12-31", end="2010-12-31", engine="vector")
    got = sweeps.measure(spec, store=Store(real_home), basis="daily")
    res = run(spec, store=Store(real_home), offline=True)
    assert got.returns.index.equals(res.returns.index)
    assert np.allclose(got.returns.to_numpy(), res.returns.to_numpy(), rtol=0, atol=1e-12)
    for k in ("sharpe", "cagr", "max_drawdown", "final_value", "trades"):
        assert got.metrics[k] == pytest.approx(res.metrics[k], rel=1e-12, abs=1e-12), k
