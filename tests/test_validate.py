"""Validation repairs row defects with a note and rejects structural ones."""

import numpy as np
import pandas as pd
import pytest

from r2k.data.errors import DataError
from r2k.data.validate import validate_prices, validate_series
from tests.util import price_frame


def test_clean_frame_passes_unchanged():
    df = price_frame([10, 11, 12, 13])
    out = validate_prices(df, "IWM")
    assert out.notes == []
    pd.testing.assert_frame_equal(out.frame, df, check_freq=False)


def test_nan_zero_and_negative_closes_are_dropped_and_named():
    closes = [10.0] * 100
    closes[3] = np.nan
    closes[7] = 0.0
    closes[9] = -1.0
    df = price_frame(closes)
    out = validate_prices(df, "IWM")
    assert len(out.frame) == 97
    assert np.isfinite(out.frame["close"]).all() and (out.frame["close"] > 0).all()
    assert any("dropped 3 rows" in n for n in out.notes)
    assert any(df.index[3].strftime("%Y-%m-%d") in n for n in out.notes)


def test_too_many_bad_rows_is_rejected():
    closes = [10.0] * 50
    for i in range(0, 50, 4):
        closes[i] = np.nan
    with pytest.raises(DataError, match="unusable"):
        validate_prices(price_frame(closes), "IWM")


def test_unsorted_and_duplicate_dates_are_repaired():
    df = price_frame([1, 2, 3, 4, 5])
    shuffled = pd.concat([df.iloc[[3, 0, 2]], df.iloc[[1, 1, 4]]])
    shuffled.iloc[4, shuffled.columns.get_loc("close")] = 2.5  # second copy of day 1 differs
    shuffled.iloc[4, shuffled.columns.get_loc("adj_close")] = 2.5  # (consistently: closecheck)
    out = validate_prices(shuffled, "SPY")
    assert out.frame.index.is_monotonic_increasing and out.frame.index.is_unique
    assert out.frame["close"].iloc[1] == 2.5  # last copy wins
    assert any("sorted" in n for n in out.notes) and any("duplicate" in n for n in out.notes)


def test_weekend_rows_are_dropped():
    df = price_frame([1, 2, 3])
    sat = pd.DataFrame(df.iloc[[0]].values, columns=df.columns, index=pd.DatetimeIndex(["2020-01-04"], name="date"))
    out = validate_prices(pd.concat([df, sat]), "SPY")
    assert pd.Timestamp("2020-01-04") not in out.frame.index
    assert any("weekend" in n for n in out.notes)


def test_missing_close_column_and_bad_dates_are_errors():
    df = price_frame([1, 2, 3]).drop(columns=["close"])
    with pytest.raises(DataError, match="no close column"):
        validate_prices(df, "IWM")
    bad = price_frame([1, 2, 3])
    bad.index = pd.Index(["2020-01-01", "not a date", "2020-01-03"])
    with pytest.raises(DataError, match="unparseable dates"):
        validate_prices(bad, "IWM")


def test_high_low_widened_to_contain_open_and_close():
    df = price_frame([10, 11, 12], opens=[10, 11, 12])
    df.loc[df.index[1], "high"] = 10.5  # below the close of 11
    out = validate_prices(df, "IWM")
    assert out.frame["high"].iloc[1] == 11
    assert (out.frame["high"] >= out.frame[["open", "close"]].max(axis=1)).all()
    assert any("high/low" in n for n in out.notes)


def test_close_only_frame_gets_ohlc_from_close_and_adj_defaults_to_close():
    df = pd.DataFrame({"close": [5.0, 6.0]}, index=pd.DatetimeIndex(["2021-01-04", "2021-01-05"]))
    out = validate_prices(df, "VTWO")
    for col in ("open", "high", "low", "adj_close"):
        assert (out.frame[col] == out.frame["close"]).all()
    assert any("price-only" in n for n in out.notes)


def test_yield_index_keeps_zero_values():
    df = price_frame([0.1, 0.0, 0.05])
    df["adj_close"] = df["close"]
    assert len(validate_prices(df, "^IRX").frame) == 3


def test_split_jump_warning():
    out = validate_prices(price_frame([100, 100, 50, 50]), "IWM")
    assert any("unadjusted split" in n for n in out.notes)
    assert not any("split" in n for n in validate_prices(price_frame([100, 100, 50, 50]), "^VIX").notes)


def test_tz_aware_index_becomes_naive_midnight():
    df = price_frame([1, 2])
    df.index = df.index.tz_localize("America/New_York") + pd.Timedelta(hours=9, minutes=30)
    out = validate_prices(df, "IWM")
    assert out.frame.index.tz is None
    assert (out.frame.index == out.frame.index.normalize()).all()


def test_series_drops_missing_values():
    s = pd.Series(["1.0", ".", "2.0"], index=["2020-01-01", "2020-01-02", "2020-01-03"])
    out = validate_series(s, "DFF")
    assert list(out.frame.values) == [1.0, 2.0]
