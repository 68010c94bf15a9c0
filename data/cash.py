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
    daily = rate.reindex(rate.index.union(days)).ffill().reindex(days)
    if pd.Timestamp(rate.index[-1]) < calendar[-1] - pd.Timedelta(days=7):
        raise DataError(
            f"CASH needs {RATE_SERIES} through {calendar[-1]:%Y-%m-%d}; the store has it to "
            f"{rate.index[-1]:%Y-%m-%d} (run `r2k data fetch {RATE_SERIES}`)"
        )
    growth = np.cumprod(1.0 + daily.to_numpy() / 100.0 / 360.0)
    # level on day t = product over calendar days strictly before t
    level_by_day = pd.Series(np.concatenate([[1.0], growth[:-1]]), index=days)
    level = BASE_LEVEL * level_by_day.reindex(calendar).to_numpy() / level_by_day.iloc[1]
    return pd.DataFrame(
        {"open": level, "high": level, "low": level, "close": level, "volume": 0.0}, index=calendar
    )
