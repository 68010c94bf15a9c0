"""The cash index's daily rates: a binary search per day (data/cash._daily_rates) equals pandas'
forward fill over the union of dates (the reference, and the fallback) bit for bit; and the
whole index equals the same compounding written here with a plain loop."""

import numpy as np
import pandas as pd
import pytest

from r2k.data.cash import _daily_rates, _daily_rates_plain, cash_index
from tests.util import needs_real_data, real_data_dir


def _same(a, b):
    assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


@needs_real_data
@pytest.mark.parametrize(("start", "end"), [("2000-06-01", "2024-12-31"), ("2005-06-01", "2010-05-28"),
                                            ("1954-07-02", "1954-07-09"), ("2020-03-13", "2025-09-26")])
def test_binary_search_equals_the_forward_fill_on_real_dff(start, end):
    dff = pd.read_csv(real_data_dir() / "fred" / "DFF.csv", index_col="date", parse_dates=True)["value"]
    days = pd.date_range(pd.Timestamp(start) - pd.Timedelta(days=1), end, freq="D")
    _same(_daily_rates(dff, days), _daily_rates_plain(dff, days))


def test_binary_search_equals_the_forward_fill_with_gaps_and_missing_values():
    rng = np.random.default_rng(7)
    dates = pd.DatetimeIndex(sorted(rng.choice(pd.date_range("2001-01-01", "2003-12-31"), 300, replace=False)))
    values = rng.uniform(0, 6, len(dates))
    values[rng.random(len(dates)) < 0.2] = np.nan
    values[:3] = np.nan  # missing at the start: NaN until the first observation
    rate = pd.Series(values, index=dates)
    for lo, hi in (("2000-12-25", "2004-02-01"), ("2002-05-05", "2002-05-20")):
        days = pd.date_range(lo, hi, freq="D")
        _same(_daily_rates(rate, days), _daily_rates_plain(rate, days))
    shuffled = rate.iloc[rng.permutation(len(rate))]  # not sorted: the plain path
    days = pd.date_range("2001-06-01", "2002-06-01", freq="D")
    _same(_daily_rates(shuffled, days), _daily_rates_plain(rate, days))


def test_cash_index_compounds_each_calendar_day_before_the_trading_day():
    rate = pd.Series([5.0, 4.0, 3.5, 2.0], index=pd.to_datetime(["2020-01-01", "2020-01-06", "2020-01-08",
                                                                    "2020-01-15"]))
    calendar = pd.DatetimeIndex(pd.to_datetime(["2020-01-03", "2020-01-06", "2020-01-07", "2020-01-10",
                                                "2020-01-16"]))
    got = cash_index(rate, calendar)["close"].to_numpy()
    level, out = 1.0, {}
    day = pd.Timestamp("2020-01-02")
    while day <= calendar[-1]:
        out[day] = level
        in_force = rate[rate.index <= day].iloc[-1]
        level *= 1 + in_force / 100 / 360
        day += pd.Timedelta(days=1)
    expect = np.array([100 * out[d] / out[pd.Timestamp("2020-01-03")] for d in calendar])
    assert np.allclose(got, expect, rtol=1e-13, atol=0)
