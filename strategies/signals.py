"""Small point-in-time calculations shared by the built-in rules."""

from __future__ import annotations

import pandas as pd


def value_months_ago(closes: pd.Series, date: pd.Timestamp, months: int) -> float | None:
    """The last close on or before ``date - months``; None if the history is too short."""
    anchor = pd.Timestamp(date) - pd.DateOffset(months=months)
    past = closes.loc[:anchor]
    if past.empty:
        return None
    return float(past.iloc[-1])


def trailing_return(closes: pd.Series, date: pd.Timestamp, months: int) -> float | None:
    """Total return over the last ``months`` months up to the last close (None if too short)."""
    base = value_months_ago(closes, date, months)
    if base is None or closes.empty:
        return None
    return float(closes.iloc[-1]) / base - 1.0


def cash_return(rate: pd.Series, date: pd.Timestamp, months: int) -> float | None:
    """What cash earned over the last ``months`` months from a daily rate in percent (act/360)."""
    start = pd.Timestamp(date) - pd.DateOffset(months=months)
    if rate.empty or rate.index[0] > start:
        return None
    days = pd.date_range(start, pd.Timestamp(date) - pd.Timedelta(days=1), freq="D")
    daily = rate.reindex(rate.index.union(days)).ffill().reindex(days)
    return float((1.0 + daily / 100.0 / 360.0).prod() - 1.0)


def policy_rate(target_old: pd.Series, target_upper: pd.Series) -> pd.Series:
    """The fed funds target: DFEDTAR through 2008-12-15, then the upper bound DFEDTARU."""
    cut = pd.Timestamp("2008-12-15")
    return pd.concat([target_old.loc[:cut], target_upper.loc[cut + pd.Timedelta(days=1):]])
