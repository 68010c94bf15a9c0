"""The portfolio's parameters, its flow allocation and its drift check, on small hand-made inputs (fast)."""

import numpy as np
import pytest

from r2k.data.errors import UsageError
from r2k.runner.drift import band_breach
from r2k.runner.sizing import allocate_flow
from r2k.strategies.portfolio import Portfolio, parse_weights
from tests.util import invoke, needs_real_data, one_line_error


def test_weights_in_percent_or_fractions():
    assert parse_weights("SPY:60,IWM:30,TLT:10") == pytest.approx({"SPY": 0.6, "IWM": 0.3, "TLT": 0.1})
    assert parse_weights("spy:0.6, iwm:0.3, cash:0.1") == pytest.approx({"SPY": 0.6, "IWM": 0.3, "CASH": 0.1})
    thirds = parse_weights("IWM:33.33,SPY:33.33,TLT:33.33")  # within the 0.1-point tolerance, scaled to 100 %
    assert sum(thirds.values()) == pytest.approx(1.0, abs=1e-15)
    assert parse_weights("RUT:100") == {"^RUT": 1.0}


@pytest.mark.parametrize("text,words", [
    ("IWM:60,TLT:30", "add up to 90"),
    ("IWM:0.5,TLT:0.4", "add up to 0.9"),
    ("IWM:60,IWM:40", "IWM appears twice"),
    ("RUT:60,^RUT:40", "^RUT appears twice"),
    ("IWM:120,TLT:-20", "negative weight -20 for TLT"),
    ("IWM,TLT", "bad weights item 'IWM'"),
    ("IWM:sixty,TLT:40", "bad weight 'sixty' for IWM"),
    ("", "names no asset"),
])
def test_bad_weights_are_usage_errors(text, words):
    with pytest.raises(UsageError) as err:
        parse_weights(text)
    assert words in str(err.value)


def test_rebalance_and_bands():
    assert Portfolio().schedule == "year" and Portfolio().drift_band() == (0.0, 0.0)
    assert Portfolio(rebalance="never").schedule == "once"
    banded = Portfolio(band="5")
    assert banded.schedule == "once" and banded.drift_band() == (0.05, 0.0)  # a band alone: no calendar
    assert Portfolio(band="5", rebalance="quarter").schedule == "quarter"  # both, when asked
    assert Portfolio(band_relative="25").drift_band() == (0.0, 0.25)
    for bad in ({"band": "0"}, {"band": "-1"}, {"band_relative": "0"}, {"band": "x"}, {"band": "5", "band_relative": "25"},
                {"rebalance": "weekly"}):
        with pytest.raises(UsageError):
            Portfolio(**bad)


@pytest.mark.parametrize("args,words", [
    (["-p", "weights=IWM:60,TLT:30"], "weights add up to 90"),
    (["-p", "weights=IWM:60,IWM:40"], "IWM appears twice"),
    (["-p", "weights=IWM:70,TLT:40,SPY:-10"], "negative weight -10 for SPY"),
    (["-p", "weights=IWM:60,TLT:40", "-p", "band=0"], "band must be above 0"),
    (["-p", "weights=IWM:60,TLT:40", "-p", "band_relative=-5"], "band_relative must be above 0"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, words):
    res = invoke("run", "portfolio", *args, "--offline", "--no-tearsheet", "--out", tmp_path / "run")
    assert words in one_line_error(res, 2)
    assert not (tmp_path / "run").exists()


@needs_real_data
def test_unknown_asset_is_exit_2_before_running(real_home, tmp_path):
    res = invoke("run", "portfolio", "-p", "weights=IWM:60,NOPE:40", "--offline", "--no-tearsheet",
                 "--out", tmp_path / "run", env={"R2K_HOME": str(real_home)})
    assert "unknown asset NOPE" in one_line_error(res, 2)
    assert not (tmp_path / "run").exists()


def _independent_allocation(values, targets, amount):
    """Water into the gaps: each asset's gap to its target after the flow, filled pro rata."""
    values, targets = np.asarray(values, float), np.asarray(targets, float)
    after = values.sum() + amount
    gaps = targets * after - values
    if amount >= 0:
        gaps = np.where(gaps > 0, gaps, 0.0)
        return gaps * min(1.0, amount / gaps.sum())
    if after <= 0:
        return -values
    excess = np.where(gaps < 0, -gaps, 0.0)
    return -excess * min(1.0, -amount / excess.sum())


@pytest.mark.parametrize("values,amount", [
    ([600.0, 300.0, 100.0], 500.0),  # on target: the deposit goes at the targets
    ([700.0, 200.0, 100.0], 50.0),  # only the under-weight assets get it
    ([700.0, 200.0, 100.0], -80.0),  # the withdrawal comes from the over-weight asset
    ([500.0, 450.0, 50.0], -300.0),
    ([500.0, 450.0, 50.0], -2000.0),  # more than there is: everything is sold
])
def test_allocate_flow_under_weight_first(values, amount):
    targets = [0.6, 0.3, 0.1]
    got = allocate_flow(values, targets, amount)
    np.testing.assert_allclose(got, _independent_allocation(values, targets, amount), rtol=1e-12, atol=1e-9)
    if abs(amount) < sum(values):
        assert got.sum() == pytest.approx(amount)
    if amount > 0:
        assert (got >= 0).all()
    else:
        assert (got <= 0).all()


def test_allocate_flow_small_deposit_buys_only_what_is_under_target():
    got = allocate_flow([700.0, 200.0, 100.0], [0.6, 0.3, 0.1], 50.0)
    # after the deposit: targets 630 / 315 / 105; shortfalls 0 / 115 / 5 -> 50 split 115:5
    np.testing.assert_allclose(got, [0.0, 50 * 115 / 120, 50 * 5 / 120])


def test_band_breach_names_the_asset_furthest_outside():
    w = np.array([0.6, 0.3, 0.1])
    p = np.ones(3)
    assert band_breach(np.array([64.0, 27.0, 9.0]), p, w, 0.05, 0.0) == -1  # 4 points off: inside
    assert band_breach(np.array([66.0, 25.0, 9.0]), p, w, 0.05, 0.0) == 0  # 6 and 5: only IWM is out
    assert band_breach(np.array([54.0, 36.5, 9.5]), p, w, 0.05, 0.0) == 1  # 6 vs 6.5 points: the second
    # relative: 25 % of 10 % is 2.5 points; 13 % is 3 points off
    assert band_breach(np.array([57.0, 30.0, 13.0]), p, w, 0.0, 0.25) == 2
    assert band_breach(np.array([57.0, 31.0, 12.0]), p, w, 0.0, 0.25) == -1
    assert band_breach(np.zeros(3), p, w, 0.05, 0.0) == -1  # nothing held yet
    # a pair misses by the same amount: the tie goes to the first asset, whatever the rounding
    assert band_breach(np.array([0.6531, 0.3469]), np.ones(2), np.array([0.6, 0.4]), 0.05, 0.0) == 0


@pytest.mark.parametrize("cost", [0.0, 0.001])
def test_withdrawal_sells_over_weight_first(cost):
    from r2k.runner.sizing import raise_deltas

    q, p, w = np.array([7.0, 4.0, 1.0]), np.array([100.0, 50.0, 100.0]), np.array([0.6, 0.3, 0.1])
    deltas = raise_deltas(q, -80.0, p, w, cost, whole=False)  # pay 80 dollars from holdings of 700/200/100
    gross = 80.0 / (1.0 - cost)
    np.testing.assert_allclose(deltas * p, _independent_allocation(q * p, w, -gross), rtol=1e-12, atol=1e-12)
    assert -(deltas * p).sum() * (1.0 - cost) == pytest.approx(80.0)
    assert deltas[1] == 0.0  # 200 is under its target of 30 %: not sold


def test_withdrawal_from_holdings_on_target_sells_pro_rata():
    from r2k.runner.sizing import raise_deltas

    q, p, w = np.array([6.0, 3.0, 1.0]), np.full(3, 100.0), np.array([0.6, 0.3, 0.1])
    np.testing.assert_allclose(raise_deltas(q, -100.0, p, w, 0.0, whole=False), -0.1 * q)


def test_month_end_drawdown_skips_falls_inside_a_month():
    import pandas as pd

    from r2k.reports.metrics import max_drawdown, month_end_drawdown

    dates = pd.DatetimeIndex(["2020-01-02", "2020-01-15", "2020-01-31", "2020-02-14", "2020-02-28", "2020-03-31"])
    wealth = np.array([0.8, 1.0, 1.05, 0.95, 0.945, 1.2])  # -20 % inside January, then Feb ends 10 % down
    returns = pd.Series(wealth / np.r_[1.0, wealth[:-1]] - 1, index=dates)
    depth, peak, trough = month_end_drawdown(returns, "2020-01-01")
    assert depth == pytest.approx(0.945 / 1.05 - 1) and peak == pd.Timestamp("2020-01-31")
    assert trough == pd.Timestamp("2020-02-28")
    assert max_drawdown(returns, "2020-01-01")[0] == pytest.approx(-0.2)
