"""Rate moves: whole published history (issue 17 point 2), compared in basis points (point 3)."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from r2k.data.ratemoves import rate_moves
from r2k.strategies.rotation import RateCutRotation, regime_at
from r2k.strategies.view import View
from tests.util import needs_real_data, real_data_dir

CAL = pd.bdate_range("2000-01-03", "2004-12-31")


def _view(dff: pd.Series) -> View:
    return View.build({"IWM": pd.Series(1.0, index=CAL), "SPY": pd.Series(1.0, index=CAL)}, {"DFF": dff}, 1)


def test_a_cut_older_than_400_observations_still_counts():
    """DFF is daily (weekends included): a cut 18 months back is ~550 observations back. With
    lookback_months=24 the Fed is still easing; the old code only looked at the last 400."""
    days = pd.date_range("2000-01-01", "2004-12-31", freq="D")
    dff = pd.Series(6.0, index=days)
    dff[dff.index >= "2001-06-01"] = 5.0
    rule = RateCutRotation(rate_series="DFF", lookback_months=24)
    view = _view(dff)
    day = pd.Timestamp("2002-12-02")  # 18 months after the cut
    assert (day - pd.Timestamp("2001-06-01")).days > 400
    assert rule.target(view.at(day)).label == "easing"
    assert rule.target(view.at(pd.Timestamp("2003-07-01"))).label == "hold"  # 25 months later


def test_exact_five_bp_steps_count_as_five_bp():
    """5.20 -> 5.25 is 0.04999999999999982 as floats; compared in bp it is exactly 5."""
    days = pd.bdate_range("2020-01-01", periods=8)
    rate = pd.Series([5.20, 5.25, 5.30, 5.25, 5.20, 5.21, 5.17, 5.17], index=days)
    assert (5.25 - 5.20) < 0.05  # the float trap this guards against
    cuts, hikes = rate_moves(rate, 0.05)
    assert list(hikes) == list(days[[1, 2]])
    assert list(cuts) == list(days[[3, 4]])  # the 1 bp rise and the 4 bp fall are below 5 bp
    assert regime_at(rate, days[-1], 6, 0.05) == "easing"


def test_smoothed_dff_memo_equals_a_full_recompute():
    """The rule extends its smoothed DFF from one decision to the next; it must equal recomputing it."""
    rng = np.random.default_rng(3)
    days = pd.date_range("2000-01-01", "2004-12-31", freq="D")
    dff = pd.Series(np.round(5 + np.cumsum(rng.choice([-0.05, 0, 0, 0, 0.05], len(days))), 2), index=days)
    rule = RateCutRotation(rate_series="DFF")
    for cut in (100, 101, 400, 1500, 1500, 1800):
        got = rule._smoothed(dff.iloc[:cut])
        exp = dff.iloc[:cut].rolling(5).median().dropna()
        pd.testing.assert_series_equal(got, exp, check_names=False)
    tampered = dff.iloc[:1900].copy()
    tampered.iloc[10] += 1.0  # a different history: recomputed, not extended
    pd.testing.assert_series_equal(rule._smoothed(tampered), tampered.rolling(5).median().dropna(), check_names=False)


def _dff_cents() -> pd.Series:
    """DFF in integer hundredths of a percent, parsed from the file's text (no float arithmetic)."""
    raw = pd.read_csv(real_data_dir() / "fred" / "DFF.csv", dtype={"value": str})
    raw = raw[raw["value"].str.strip() != "."]
    cents = [int(Decimal(v) * 100) for v in raw["value"]]
    return pd.Series(cents, index=pd.DatetimeIndex(raw["date"]), dtype="int64")


@needs_real_data
def test_real_dff_every_exact_5bp_move_counts():
    cents = _dff_cents()
    step = cents.diff()
    exact = step.index[step.abs() == 5]
    assert len(exact) > 50
    rate = pd.read_csv(real_data_dir() / "fred" / "DFF.csv", index_col="date", parse_dates=True)["value"]
    cuts, hikes = rate_moves(rate, 0.05)
    expected_cuts, expected_hikes = step.index[step <= -5], step.index[step >= 5]
    assert list(cuts) == list(expected_cuts)
    assert list(hikes) == list(expected_hikes)
    assert set(exact) <= set(cuts) | set(hikes)


def _independent_dff_regimes(dates: pd.DatetimeIndex, lookback: int, min_bp: int) -> pd.Series:
    """The DFF rotation's regime in integer arithmetic: 5-observation median of the cents on the full
    history, moves in whole bp, the last cut/hike published (observation + 1 business day) by each day."""
    cents = _dff_cents()
    win = np.lib.stride_tricks.sliding_window_view(cents.to_numpy(), 5)
    med = pd.Series(np.sort(win, axis=1)[:, 2], index=cents.index[4:])
    move = med.diff()
    out = []
    for d in dates:
        known = move[move.index + pd.offsets.BDay(1) <= d]
        cut = known.index[known <= -min_bp]
        hike = known.index[known >= min_bp]
        last_cut, last_hike = (cut[-1] if len(cut) else None), (hike[-1] if len(hike) else None)
        horizon = d - pd.DateOffset(months=lookback)
        if last_cut is not None and last_cut > horizon and (last_hike is None or last_hike < last_cut):
            out.append("easing")
        elif last_hike is not None and last_hike > horizon and (last_cut is None or last_cut < last_hike):
            out.append("tightening")
        else:
            out.append("hold")
    return pd.Series(out, index=dates)


@needs_real_data
@pytest.mark.parametrize("lookback", [24])
def test_real_dff_rotation_decisions_use_the_whole_history(real_home, tmp_path, lookback):
    from tests.test_strategies_real import _run

    out, _ = _run(real_home, tmp_path, "rate-cut-rotation", "-p", "rate_series=DFF", "-p", f"lookback_months={lookback}",
                  "--start", "2005-01-01", "--end", "2024-12-31")
    dec = pd.read_csv(out / "decisions.csv", parse_dates=["date"]).set_index("date")["label"]
    expected = _independent_dff_regimes(dec.index, lookback, 5)
    assert len(dec) == 240
    assert (dec == expected).all(), dec[dec != expected].head()
