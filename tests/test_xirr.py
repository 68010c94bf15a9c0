"""XIRR checked against scipy's brentq on an NPV written here, and against closed forms."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from r2k.reports.xirr import xirr

D0 = dt.date(2015, 3, 2)


def npv(rate: float, dates: list[dt.date], amounts: list[float]) -> float:
    """Plain-Python NPV with Excel's day count (days / 365 from the first flow)."""
    first = min(dates)
    return sum(a * (1.0 + rate) ** (-((d - first).days / 365.0)) for d, a in zip(dates, amounts, strict=True))


def reference(dates: list[dt.date], amounts: list[float], lo: float = -0.95, hi: float = 50.0):
    f_lo, f_hi = npv(lo, dates, amounts), npv(hi, dates, amounts)
    if not np.isfinite([f_lo, f_hi]).all() or f_lo * f_hi >= 0:
        return None
    return brentq(npv, lo, hi, args=(dates, amounts), xtol=1e-14, rtol=1e-14, maxiter=500)


def test_matches_brentq_on_a_monthly_ledger() -> None:
    dates = [D0 + dt.timedelta(days=30 * i) for i in range(24)] + [D0 + dt.timedelta(days=740)]
    amounts = [-1000.0] * 24 + [27_500.0]
    expected = reference(dates, amounts)
    assert expected is not None
    assert xirr(dates, amounts) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize(("deposit", "value", "days"), [(1000, 1500, 730), (1000, 400, 100), (50, 51, 3650), (10, 10.5, 7)])
def test_single_deposit_equals_cagr(deposit: float, value: float, days: int) -> None:
    # One deposit and one value: NPV = -D + V (1+r)^(-days/365) = 0  =>  r = (V/D)^(365/days) - 1.
    end = D0 + dt.timedelta(days=days)
    expected = (value / deposit) ** (365.0 / days) - 1.0
    assert xirr([D0, end], [-deposit, value]) == pytest.approx(expected, rel=1e-10)


def test_flat_value_gives_zero() -> None:
    # Value equals the sum of deposits: r = 0 makes every discount factor 1, so NPV(0) = 0.
    dates = [D0, D0 + dt.timedelta(days=31), D0 + dt.timedelta(days=400), D0 + dt.timedelta(days=900)]
    amounts = [-5000.0, -250.0, -1234.5, 6484.5]
    assert xirr(dates, amounts) == pytest.approx(0.0, abs=1e-10)


def test_same_day_flows_are_summed() -> None:
    later = D0 + dt.timedelta(days=500)
    split = xirr([D0, D0, later, later], [-600.0, -400.0, 700.0, 500.0])
    merged = xirr([D0, later], [-1000.0, 1200.0])
    assert split == pytest.approx(merged, rel=1e-12)
    # Hand-derived: 1000 grows to 1200 in 500 days -> 1.2 ** (365 / 500) - 1.
    assert split == pytest.approx(1.2 ** (365 / 500) - 1, rel=1e-10)


def test_order_of_inputs_does_not_matter() -> None:
    dates = [D0 + dt.timedelta(days=400), D0, D0 + dt.timedelta(days=100)]
    amounts = [2300.0, -1000.0, -1000.0]
    expected = reference(sorted(dates), [-1000.0, -1000.0, 2300.0])
    assert xirr(dates, amounts) == pytest.approx(expected, abs=1e-10)


def test_accepts_timestamps_and_strings() -> None:
    as_str = xirr(["2020-01-01", "2021-06-30"], [-100.0, 130.0])
    as_ts = xirr(pd.to_datetime(["2020-01-01", "2021-06-30"]), np.array([-100.0, 130.0]))
    assert as_str == pytest.approx(as_ts, rel=1e-14)


@pytest.mark.parametrize(
    "amounts", [[-100.0, -50.0, -10.0], [100.0, 50.0, 10.0], [0.0, 0.0, 0.0], [-100.0, 0.0, 0.0]]
)
def test_no_sign_change_is_none(amounts: list[float]) -> None:
    dates = [D0, D0 + dt.timedelta(days=10), D0 + dt.timedelta(days=20)]
    assert xirr(dates, amounts) is None


def test_single_date_is_none() -> None:
    assert xirr([D0, D0], [-100.0, 110.0]) is None
    assert xirr([], []) is None


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ValueError):
        xirr([D0, D0 + dt.timedelta(days=1)], [-1.0])


def test_extreme_rates_inside_the_range() -> None:
    # Near-total loss over 30 years and a 100x gain in 30 days: both closed-form (single deposit).
    far = D0 + dt.timedelta(days=365 * 30)
    assert xirr([D0, far], [-1000.0, 0.5]) == pytest.approx(
        (0.5 / 1000.0) ** (365 / (365 * 30)) - 1, rel=1e-10
    )
    soon = D0 + dt.timedelta(days=90)
    assert xirr([D0, soon], [-1.0, 10.0]) == pytest.approx(10.0 ** (365 / 90) - 1, rel=1e-10)


def test_rate_beyond_the_search_range_is_none() -> None:
    # 100x in 30 days is 100 ** (365 / 30) - 1 ~ 2e24 a year, far above the 1e6 ceiling.
    assert xirr([D0, D0 + dt.timedelta(days=30)], [-1.0, 100.0]) is None


ledger = st.lists(
    st.tuples(st.integers(0, 3000), st.floats(1.0, 10_000.0)), min_size=1, max_size=15
)


@settings(max_examples=150, deadline=None)
@given(deposits=ledger, extra_days=st.integers(1, 1500), ratio=st.floats(0.3, 3.0))
def test_random_ledgers_match_brentq(
    deposits: list[tuple[int, float]], extra_days: int, ratio: float
) -> None:
    dates = [D0 + dt.timedelta(days=d) for d, _ in deposits]
    amounts = [-a for _, a in deposits]
    end = max(dates) + dt.timedelta(days=extra_days)
    dates.append(end)
    amounts.append(ratio * sum(a for _, a in deposits))
    expected = reference(dates, amounts)
    assume(expected is not None)  # root outside the reference's bracket: nothing to compare
    got = xirr(dates, amounts)
    assert got is not None
    assert got == pytest.approx(expected, rel=1e-8, abs=1e-10)
