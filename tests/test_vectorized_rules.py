"""Issue 18: every built-in's vectorized targets(history) decides exactly as its per-date target(view).

On the real snapshot, over the whole history each rule can see, with parameter variants that
exercise warm-up, ties between symbols, absolute momentum against cash and both rate series.
The trend filter is also checked against an independent pandas rolling mean.
"""

import numpy as np
import pandas as pd
import pytest

from r2k.data.store import Store
from r2k.runner.engine import decide_all, history_for, load_inputs, resolve_spec
from r2k.runner.spec import RunSpec
from r2k.strategies.base import has_targets
from r2k.strategies.registry import resolve
from tests.util import needs_real_data, real_data_dir

pytestmark = needs_real_data

CASES = [
    ("buy-and-hold", {"symbol": "IWM"}),
    ("dca", {"symbol": "SPY"}),
    ("trend-filter", {}),
    ("trend-filter", {"window": 2, "risk_off": "SPY"}),
    ("trend-filter", {"window": 37}),
    ("relative-momentum", {}),
    ("relative-momentum", {"lookback_months": 1, "absolute": True}),
    ("relative-momentum", {"lookback_months": 12, "absolute": True, "symbols": ["IWM", "TLT"], "risk_off": "SHY"}),
    ("rate-cut-rotation", {}),
    ("rate-cut-rotation", {"rate_series": "DFF", "risk_off": "CASH", "lookback_months": 3}),
    ("rate-cut-rotation", {"lookback_months": 12, "min_change": 0.25}),
    ("portfolio", {"weights": "SPY:60,IWM:30,TLT:10", "rebalance": "quarter"}),
    ("portfolio", {"weights": "IWM:50,CASH:50,TLT:0", "band": 5, "rebalance": "month"}),
]


def _inputs(home, strategy, params, start="2000-06-01", end="2025-09-26"):
    spec = RunSpec(strategy, params, start=start, end=end)
    cls = spec.strategy_class()
    spec = resolve_spec(spec, cls)
    rule = cls(**spec.params)
    traded = list(dict.fromkeys(rule.assets()))
    signals, series = list(rule.signals()), list(rule.series())
    inputs = load_inputs(traded, signals, series, spec, store=Store(home), offline=True, note=lambda m: None,
                         providers=None)
    return rule, inputs, traded, signals, series


@pytest.mark.parametrize(("strategy", "params"), CASES)
def test_vectorized_equals_per_date(real_home, strategy, params):
    rule, inputs, traded, signals, series = _inputs(real_home, strategy, params)
    assert has_targets(rule)
    d1, w1, rows1 = decide_all(rule, inputs, traded, signals, series, vectorized=False)
    d2, w2, rows2 = decide_all(rule, inputs, traded, signals, series, vectorized=True)
    assert d1.equals(d2)
    assert np.array_equal(w1, w2)
    pd.testing.assert_frame_equal(rows1, rows2)
    assert rows2["label"].nunique() >= (1 if strategy in ("buy-and-hold", "dca") else 2)


def test_every_builtin_has_a_vectorized_form():
    from r2k.strategies.registry import BUILTINS

    for name in BUILTINS:
        cls = resolve(name)
        assert has_targets(cls()), name


def test_trend_filter_against_pandas_rolling(real_home):
    """Independent: pandas rolling mean of the raw adj_close, compared with the close."""
    rule, inputs, traded, signals, series = _inputs(real_home, "trend-filter", {"window": 150})
    dates, w, rows = decide_all(rule, inputs, traded, signals, series)
    raw = pd.read_csv(real_data_dir() / "prices" / "IWM.csv", index_col="date", parse_dates=True)["adj_close"]
    sma = raw.rolling(150).mean().reindex(dates)
    expect = np.where(sma.isna(), "warm-up", np.where(raw.reindex(dates) > sma, "above", "below"))
    assert (rows["label"].to_numpy() == expect).all()
    assert np.array_equal(w[:, 0], (expect == "above").astype(float))


def test_history_rows_hold_only_what_was_known(real_home):
    rule, inputs, traded, signals, series = _inputs(real_home, "relative-momentum", {"absolute": True})
    h = history_for(rule, inputs, traded, signals)
    raw = pd.read_csv(real_data_dir() / "prices" / "SPY.csv", index_col="date", parse_dates=True)["adj_close"]
    known = h.known("SPY")
    assert (raw.index.values[known - 1] <= h.dates.values).all()
    assert (known == np.searchsorted(raw.index.values, h.dates.values, side="right")).all()
    dff = pd.read_csv(real_data_dir() / "fred" / "DFF.csv", index_col="date", parse_dates=True)["value"]
    published = dff.index + pd.offsets.BDay(1)
    assert (h.published("DFF") == np.array([(published <= d).sum() for d in h.dates])).all()


@pytest.mark.parametrize("window", [2, 7, 150, 200, 6_000, 100_000])
def test_sma_slice_path_equals_the_gather_path_and_plain_means(real_home, window, monkeypatch):
    """A daily History (one close per row) reads each window's start as a slice of the running
    sums; rows with gaps gather it. Both give the same array bit for bit, and each row equals the
    plain mean of the last ``window`` closes (numpy on the raw CSV, within rounding)."""
    from r2k.strategies.history import History

    rule, inputs, traded, signals, series = _inputs(real_home, "trend-filter", {})
    h = history_for(rule, inputs, traded, signals)
    assert h._steps("IWM")
    fast = h.sma("IWM", window)
    monkeypatch.setattr(History, "_steps", lambda self, symbol: False)
    plain = history_for(rule, inputs, traded, signals).sma("IWM", window)
    assert np.array_equal(fast, plain, equal_nan=True)
    raw = pd.read_csv(real_data_dir() / "prices" / "IWM.csv", index_col="date", parse_dates=True)["adj_close"]
    closes = raw.to_numpy()
    known = np.searchsorted(raw.index.values, h.dates.values, side="right")
    expect = np.array([closes[k - window:k].mean() if k >= window else np.nan for k in known])
    assert np.isnan(fast).tolist() == np.isnan(expect).tolist()
    ok = ~np.isnan(expect)
    assert np.allclose(fast[ok], expect[ok], rtol=1e-9, atol=0)
