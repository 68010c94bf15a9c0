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
