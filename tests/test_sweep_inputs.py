"""A window's inputs cut from one load of a wider span (runner.sweep_inputs.window_inputs) are
what loading the window on its own gives (engine.load_inputs), value for value: calendar, every
traded frame (cash index included) and the stored data; a window whose cut could
differ is loaded on its own. And a walk-forward-like batch of windows gives the rows it gives
window by window."""

import numpy as np
import pandas as pd
import pytest

from r2k.data.store import Store
from r2k.runner import sweeps
from r2k.runner.engine import load_inputs, make_rule, resolve_spec
from r2k.runner.spec import RunSpec
from r2k.runner.sweep_inputs import span_of, window_inputs
from tests.util import needs_real_data

pytestmark = needs_real_data

WINDOWS = [("2005-06-01", "2010-05-28"), ("2000-06-01", "2001-01-31"), ("2008-09-13", "2008-10-20"),
           ("2019-12-24", "2024-12-31"), ("2014-07-05", "2015-07-03")]
CASES = [("trend-filter", {}, {}), ("trend-filter", {"risk_off": "SPY"}, {"benchmark": "QQQ", "fill": "close"}),
         ("portfolio", {"weights": "SPY:40,TLT:30,IWM:20,CASH:10"}, {"rf": "DFF"}),
         ("rate-cut-rotation", {"rate_series": "DFF"}, {"benchmark": None})]


def _load(home, spec):
    cls = spec.strategy_class()
    spec = resolve_spec(spec, cls)
    rule, (traded, signals) = make_rule(cls, spec.params)
    series = list(rule.series())
    return spec, traded, load_inputs(traded, signals, series, spec, store=Store(home), offline=True,
                                     note=lambda m: None, providers=None)


@pytest.mark.parametrize(("strategy", "params", "kw"), CASES, ids=[c[0] for c in CASES])
def test_a_cut_window_equals_its_own_load(real_home, strategy, params, kw):
    windows = [w for w in WINDOWS if strategy != "portfolio" or w[0] > "2003"]  # TLT starts 2002-07-30
    specs = [RunSpec(strategy, params, start=a, end=b, engine="vector", **kw) for a, b in windows]
    start, end = span_of(specs)
    _, traded, span = _load(real_home, RunSpec(strategy, params, start=start, end=end, engine="vector", **kw))
    for spec in specs:
        spec, traded, own = _load(real_home, spec)
        got = window_inputs(span, spec, traded, lambda: pytest.fail("loaded on its own"))
        assert got.calendar.equals(own.calendar) and got.calendar.name == own.calendar.name
        assert got.ohlc.keys() == own.ohlc.keys()
        for sym in own.ohlc:
            pd.testing.assert_frame_equal(got.ohlc[sym], own.ohlc[sym], check_exact=True, check_freq=False)
        assert got.stored.keys() == own.stored.keys() and got.stored_series.keys() == own.stored_series.keys()
        assert got.basis is None  # the wording of a run's summary: a batch has none


def test_a_window_reaching_outside_the_span_is_loaded_on_its_own(real_home):
    """VTWO starts 2010-09-22: a window from 2010-09-01 clips to it in its own load, before a span
    that starts 2010-11-01, so it is loaded on its own; a window inside the span is cut from it."""
    kw = {"engine": "vector", "benchmark": None}
    _, _, span = _load(real_home, RunSpec("portfolio", {"weights": "SPY:50,VTWO:50"}, start="2010-11-01",
                                          end="2012-12-31", **kw))
    spec, traded, own = _load(real_home, RunSpec("portfolio", {"weights": "SPY:50,VTWO:50"}, start="2010-09-01",
                                                 end="2011-12-30", **kw))
    assert window_inputs(span, spec, traded, lambda: "own load") == "own load"
    spec, traded, _ = _load(real_home, RunSpec("portfolio", {"weights": "SPY:50,VTWO:50"}, start="2011-01-03",
                                               end="2011-12-30", **kw))
    assert window_inputs(span, spec, traded, lambda: "own load") != "own load"


def test_windows_batched_together_give_the_rows_of_each_window_alone(real_home):
    base = RunSpec("trend-filter", {}, engine="vector", commission_bps=3.0, rf="DFF")
    tasks = [sweeps.Task(f"{a}/{w}", RunSpec("trend-filter", {"window": w}, start=a, end=b, engine="vector",
                                             commission_bps=3.0, rf="DFF").to_dict(), str(real_home))
             for a, b in WINDOWS for w in (20, 150)]
    together = sweeps.evaluate_batch(tasks)
    alone = [sweeps.evaluate_batch([t])[0] for t in tasks]
    assert base.engine == "vector"
    for a, b in zip(together, alone, strict=True):
        ra, rb = a.pop(sweeps.RETURNS), b.pop(sweeps.RETURNS)
        assert ra.index.equals(rb.index) and np.array_equal(ra.to_numpy(), rb.to_numpy())
        assert a == b


def test_decision_dates_equal_the_union_with_the_first_bar():
    """schedule.decision_dates skips the union when the first bar already starts a period: the same dates."""
    from r2k.runner.schedule import decision_dates, period_starts
    from r2k.strategies.base import SCHEDULES as SCHEDULES_FOR_TEST

    cal = pd.DatetimeIndex(pd.bdate_range("2003-01-06", "2012-12-31").delete([3, 40, 41, 400]), name="date")
    for part in (cal, cal[17:], cal[:1], cal[250:260]):
        for schedule in SCHEDULES_FOR_TEST:
            got = decision_dates(part, schedule)
            want = pd.DatetimeIndex(part[:1].union(period_starts(part, schedule)), name="date")
            assert got.equals(want) and got.name == "date", schedule
