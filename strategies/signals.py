"""Small point-in-time calculations shared by the built-in rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and pandas load only when a rule decides, so listing strategies stays instant
    import numpy as np
    import pandas as pd


def trailing_return(dates: np.ndarray, closes: np.ndarray, date: pd.Timestamp, months: int) -> float | None:
    """Total return from the last close on or before ``date - months`` to the last close.

    None when the history does not reach back that far. Takes numpy arrays (``View.close_values``).
    """
    import numpy as np
    import pandas as pd

    anchor = np.datetime64(pd.Timestamp(date) - pd.DateOffset(months=months))
    i = int(np.searchsorted(dates, anchor, side="right")) - 1
    if i < 0 or len(closes) == 0:
        return None
    return float(closes[-1]) / float(closes[i]) - 1.0


def cash_return(rate: pd.Series, date: pd.Timestamp, months: int) -> float | None:
    """What cash earned over the last ``months`` months from a daily rate in percent (act/360)."""
    import pandas as pd

    start = pd.Timestamp(date) - pd.DateOffset(months=months)
    if rate.empty or rate.index[0] > start:
        return None
    days = pd.date_range(start, pd.Timestamp(date) - pd.Timedelta(days=1), freq="D")
    daily = rate.reindex(rate.index.union(days)).ffill().reindex(days)
    return float((1.0 + daily / 100.0 / 360.0).prod() - 1.0)


def policy_rate(target_old: pd.Series, target_upper: pd.Series) -> pd.Series:
    """The fed funds target: DFEDTAR through 2008-12-15, then the upper bound DFEDTARU."""
    import pandas as pd

    cut = pd.Timestamp("2008-12-15")
    return pd.concat([target_old.loc[:cut], target_upper.loc[cut + pd.Timedelta(days=1):]])


def months_before(dates, months: int):
    """``dates - months`` as datetime64 values, the same calendar arithmetic as the per-date rules."""
    import pandas as pd

    return (pd.DatetimeIndex(dates) - pd.DateOffset(months=months)).values


def trailing_returns(history, symbol: str, months: int) -> np.ndarray:
    """Per decision date: :func:`trailing_return` on what was known that day (NaN where None)."""
    import numpy as np

    known = history.known(symbol)
    i, base = history.close_at_or_before(symbol, months_before(history.dates, months))
    ok = (i >= 0) & (known > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, history.last_close(symbol) / base - 1.0, np.nan)


def cash_returns(history, series_id: str, months: int) -> np.ndarray:
    """Per decision date: :func:`cash_return` on the rate published by that day (NaN where None).

    One pass over a daily grid of log growth: days up to the last published observation use
    their own (forward-filled) rate, later days repeat that last known rate, as the per-date
    reindex-and-ffill does. Agrees with :func:`cash_return` to ~1e-14 (a sum of logs, not a
    product); callers that compare it recompute near ties exactly.
    """
    import numpy as np
    import pandas as pd

    rate = history.series(series_id)
    n = len(history)
    out = np.full(n, np.nan)
    known = history.published(series_id)
    if rate.empty:
        return out
    first = rate.index[0]
    last_day = max(rate.index[-1], history.dates[-1])
    grid = pd.date_range(first, last_day, freq="D")
    daily = rate.reindex(rate.index.union(grid)).ffill().reindex(grid).to_numpy(dtype="float64")
    growth = np.log1p(daily / 100.0 / 360.0)
    cum = np.concatenate([[0.0], np.cumsum(growth)])  # cum[p + 1] = sum of days 0..p
    ffilled_obs = rate.ffill().to_numpy(dtype="float64")
    day0 = first.to_datetime64()
    one = np.timedelta64(1, "D")
    start = months_before(history.dates, months)
    s = ((start - day0) // one).astype(np.int64)  # grid position of the first day
    b = ((history.dates.values - day0) // one).astype(np.int64) - 1  # the day before the decision
    ok = (known > 0) & (s >= 0)
    lpos = ((rate.index.values[np.maximum(known - 1, 0)] - day0) // one).astype(np.int64)
    m = np.clip(lpos, s - 1, b)
    tail = growth_of(ffilled_obs[np.maximum(known - 1, 0)])
    total = cum[np.clip(m + 1, 0, len(cum) - 1)] - cum[np.clip(s, 0, len(cum) - 1)] + (b - m) * tail
    out[ok] = np.expm1(total[ok])
    return out


def growth_of(rate_percent: np.ndarray) -> np.ndarray:
    """Daily log growth of a rate in percent, act/360."""
    import numpy as np

    return np.log1p(rate_percent / 100.0 / 360.0)
