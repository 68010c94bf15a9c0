"""No look-ahead: data after day t never changes a decision on or before t."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from r2k.runner.schedule import decision_dates
from r2k.strategies.history import History
from r2k.strategies.momentum import RelativeMomentum
from r2k.strategies.rotation import RateCutRotation
from r2k.strategies.trend import TrendFilter
from r2k.strategies.view import View

DAYS = pd.date_range("2000-01-01", "2004-12-31", freq="D")
CAL = pd.bdate_range("2000-01-03", "2004-12-31")


def _target_rates(seed: int) -> pd.Series:
    """A step-like policy rate with random cuts and hikes, daily including weekends."""
    rng = np.random.default_rng(seed)
    steps = np.where(rng.random(len(DAYS)) < 0.01, rng.choice([-0.5, -0.25, 0.25, 0.5], len(DAYS)), 0.0)
    return pd.Series(np.clip(5.0 + np.cumsum(steps), 0.0, None), index=DAYS)


def _per_date(rule, closes, series):
    view = View.build(closes, series, 1)
    return {d: rule.target(view.at(d)) for d in decision_dates(CAL, rule.schedule)}


def _vectorized(rule, closes, series):
    """The same decisions from the rule's targets(history), as (weights, label) per date."""
    dates = decision_dates(CAL, rule.schedule)
    out = rule.targets(History.build(dates, closes, series, 1))
    return {d: ({a: w for a, w in zip(out.assets, row, strict=True) if w}, lab)
            for d, row, lab in zip(dates, out.weights, out.label_list(), strict=True)}


def _decisions(rule, closes, series, form="per-date"):
    if form == "vectorized":
        return _vectorized(rule, closes, series)
    return {d: (t.weights, t.label) for d, t in _per_date(rule, closes, series).items()}


FORMS = ("per-date", "vectorized")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut_at=st.integers(30, len(CAL) - 30), shift=st.floats(-3.0, 3.0))
def test_rotation_ignores_rates_after_t(seed, cut_at, shift):
    rates = _target_rates(seed)
    t = CAL[cut_at]
    changed = rates.copy()
    changed[changed.index > t] += shift  # rewrite every observation after day t
    changed[changed.index > t + pd.Timedelta(days=40)] -= 2 * shift
    rule = RateCutRotation(risk_off="SPY")
    closes = {"IWM": pd.Series(1.0, index=CAL), "SPY": pd.Series(1.0, index=CAL)}
    # DFEDTAR ends in 2008, so here all of the history is in DFEDTAR
    seen = {}
    for form in FORMS:
        a = _decisions(rule, closes, {"DFEDTAR": rates, "DFEDTARU": rates.iloc[:0]}, form)
        b = seen[form] = _decisions(rule, closes, {"DFEDTAR": changed, "DFEDTARU": changed.iloc[:0]}, form)
        for d in a:
            if d <= t:
                assert a[d] == b[d], (form, d)
    assert seen["vectorized"] == seen["per-date"]


def test_rotation_sees_a_cut_one_business_day_late():
    rates = pd.Series(5.0, index=DAYS)
    rates[rates.index >= "2001-03-02"] = 4.5  # a Friday cut, published Monday 2001-03-05
    rule = RateCutRotation()
    view = View.build({"IWM": pd.Series(1.0, index=CAL), "SPY": pd.Series(1.0, index=CAL)},
                      {"DFEDTAR": rates, "DFEDTARU": rates.iloc[:0]}, 1)
    assert rule.target(view.at(pd.Timestamp("2001-03-02"))).label == "hold"
    assert rule.target(view.at(pd.Timestamp("2001-03-05"))).label == "easing"
    dates = pd.DatetimeIndex(["2001-03-02", "2001-03-05"])
    history = History.build(dates, {"IWM": pd.Series(1.0, index=CAL), "SPY": pd.Series(1.0, index=CAL)},
                            {"DFEDTAR": rates, "DFEDTARU": rates.iloc[:0]}, 1)
    assert list(rule.targets(history).label_list()) == ["hold", "easing"]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), cut_at=st.integers(260, len(CAL) - 5))
def test_price_rules_ignore_prices_after_t(seed, cut_at):
    rng = np.random.default_rng(seed)
    closes = {s: pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(CAL)))), index=CAL) for s in ("IWM", "SPY", "QQQ")}
    t = CAL[cut_at]
    changed = {s: c.where(c.index <= t, c * rng.uniform(0.5, 1.5)) for s, c in closes.items()}
    for rule in (RelativeMomentum(), TrendFilter(window=50, risk_off="SPY")):
        seen = {}
        for form in FORMS:
            a, b = _decisions(rule, closes, {}, form), _decisions(rule, changed, {}, form)
            assert all(a[d] == b[d] for d in a if d <= t), form
            seen[form] = b
        assert seen["vectorized"] == seen["per-date"]


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000), cut_at=st.integers(260, len(CAL) - 5), shift=st.floats(-3.0, 3.0))
def test_dual_momentum_and_dff_rotation_ignore_data_after_t(seed, cut_at, shift):
    """The rules reading DFF (dual momentum's cash return, the rotation's trailing median)."""
    rng = np.random.default_rng(seed)
    closes = {s: pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(CAL)))), index=CAL)
              for s in ("IWM", "SPY", "QQQ")}
    dff = _target_rates(seed)
    t = CAL[cut_at]
    closes2 = {s: c.where(c.index <= t, c * rng.uniform(0.5, 1.5)) for s, c in closes.items()}
    dff2 = dff.where(dff.index <= t, dff + shift)
    for rule in (RelativeMomentum(absolute=True, lookback_months=3),
                 RateCutRotation(rate_series="DFF", lookback_months=2)):
        seen = {}
        for form in FORMS:
            a = _decisions(rule, closes, {"DFF": dff}, form)
            b = seen[form] = _decisions(rule, closes2, {"DFF": dff2}, form)
            assert all(a[d] == b[d] for d in a if d <= t), (rule.name, form)
        assert seen["vectorized"] == seen["per-date"]
