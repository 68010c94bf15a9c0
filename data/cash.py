"""The CASH pseudo-symbol: a total-return index that accrues the overnight rate.

It lets a strategy sit in cash before T-bill ETFs existed (BIL starts 2007). Each calendar day d
earns ``DFF[d] / 100 / 360`` (money-market act/360); the level on trading day t compounds every
calendar day before t, so it uses only rates published by t (FRED posts DFF the next morning).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from r2k.data.errors import DataError

RATE_SERIES = "DFF"
BASE_LEVEL = 100.0


def cash_index(rate: pd.Series, calendar: pd.DatetimeIndex) -> pd.DataFrame:
    """OHLC frame (open = high = low = close) of the cash index on the trading calendar."""
    if rate.index[0] > calendar[0] - pd.Timedelta(days=1):
        raise DataError(
            f"CASH needs {RATE_SERIES} from {calendar[0] - pd.Timedelta(days=1):%Y-%m-%d}; "
            f"the store has it from {rate.index[0]:%Y-%m-%d}"
        )
    days = pd.date_range(calendar[0] - pd.Timedelta(days=1), calendar[-1], freq="D")
    if pd.Timestamp(rate.index[-1]) < calendar[-1] - pd.Timedelta(days=7):
        raise DataError(
            f"CASH needs {RATE_SERIES} through {calendar[-1]:%Y-%m-%d}; the store has it to "
            f"{rate.index[-1]:%Y-%m-%d} (run `r2k data fetch {RATE_SERIES}`)"
        )
    daily = _daily_rates(rate, days)
    growth = np.cumprod(1.0 + daily / 100.0 / 360.0)
    # level on day t = product over calendar days strictly before t
    level_by_day = np.concatenate([[1.0], growth[:-1]])
    at = days.get_indexer(calendar)
    level = BASE_LEVEL * np.where(at >= 0, level_by_day[np.maximum(at, 0)], np.nan) / level_by_day[1]
    return pd.DataFrame(
        {"open": level, "high": level, "low": level, "close": level, "volume": 0.0}, index=calendar
    )


def _daily_rates(rate: pd.Series, days: pd.DatetimeIndex) -> np.ndarray:
    """The rate in force on each of ``days``: the last non-missing observation on or before it.

    One binary search per day; :func:`_daily_rates_plain` (pandas' forward fill over the union of
    dates) is the reference, and the fallback for an index that is not sorted and unique
    (tests/test_cash_index.py holds the two equal bit for bit). A sweep or walk-forward builds
    the cash index once per window, where the pandas union cost more than the rest of loading.
    """
    if not (rate.index.is_monotonic_increasing and rate.index.is_unique):
        return _daily_rates_plain(rate, days)
    values = rate.to_numpy(dtype="float64")
    keep = ~np.isnan(values)
    obs = np.asarray(rate.index.values[keep], dtype="datetime64[ns]")
    values = values[keep]
    pos = obs.searchsorted(np.asarray(days.values, dtype="datetime64[ns]"), side="right") - 1
    return np.where(pos >= 0, values[np.maximum(pos, 0)] if len(values) else np.nan, np.nan)


def _daily_rates_plain(rate: pd.Series, days: pd.DatetimeIndex) -> np.ndarray:
    """The reference of :func:`_daily_rates`: forward fill over the union of observation dates and days."""
    return rate.reindex(rate.index.union(days)).ffill().reindex(days).to_numpy()
