"""Point-in-time data for every decision date at once: the vectorized twin of :class:`View`.

A rule's ``targets(history)`` reads arrays with one row per decision date; row ``i`` is built only
from what was known on ``history.dates[i]`` (closes through that day, economic series published by
it). The per-date ``View`` stays the reference: a rule's two forms must give identical decisions.

Running sums make a moving average of any window one subtraction per row. A sum over thousands of
prices carries rounding of about 1e-10 of a price, so wherever such an average is within
:data:`TIE_RTOL` of what it is compared to, it is recomputed exactly as the per-date form does
(``closes[-window:].mean()``): the decisions are the same bit for bit, not "almost".
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd

from r2k.data.errors import DataError

#: Relative distance below which a running-sum average is recomputed exactly (see module doc).
TIE_RTOL = 1e-7


def running_sums(values: np.ndarray) -> np.ndarray:
    """``out[k] = values[:k].sum()`` for k = 0..len(values) (prefix sums with a leading 0)."""
    out = np.empty(len(values) + 1)
    out[0] = 0.0
    np.cumsum(values, out=out[1:])
    return out


def exact_sma(values: np.ndarray, known: int, window: int) -> float:
    """The per-date reference: mean of the last ``window`` values of ``values[:known]``."""
    return float(values[known - window:known].mean())


class History:
    """What a rule may look at on each of ``dates``, as arrays (one row per decision date).

    ``known(symbol)[i]`` is how many closes of ``symbol`` were known on ``dates[i]`` (the close
    of the decision day included); ``published(series_id)[i]`` how many observations of a series
    had been published by then (observation date + publication lag). Everything else is derived
    from those counts, so nothing after a row's date can reach that row.
    """

    def __init__(self, dates: pd.DatetimeIndex, closes: dict[str, pd.Series], series: dict[str, pd.Series],
                 published: dict[str, pd.DatetimeIndex | Callable[[], pd.DatetimeIndex]]):
        self.dates = pd.DatetimeIndex(dates)
        self._t64 = self.dates.values
        self._closes = closes
        self._close_dates = {k: v.index.values for k, v in closes.items()}
        self._close_values = {k: v.to_numpy(dtype="float64") for k, v in closes.items()}
        self._series = series
        self._published = published  # a series' publication days, or a function making them on first use
        self._cache: dict[tuple, np.ndarray] = {}

    @classmethod
    def build(cls, dates: pd.DatetimeIndex, closes: dict[str, pd.Series], series: dict[str, pd.Series],
              lag_bdays: int) -> History:
        """A history whose series become known on their publication day (as View.build: monthly CPI
        on the 15th of the next month, others ``lag_bdays`` business days after their date).

        Publication days are worked out when a rule first asks for the series (a business-day
        offset over decades of daily observations costs milliseconds; a sweep builds a History
        per window, and most rules read no series)."""
        from r2k.data.align import published_dates

        published = {k: functools.partial(published_dates, k, v.index, lag_bdays) for k, v in series.items()}
        return cls(dates, closes, series, published)

    def _published_days(self, series_id: str) -> np.ndarray:
        def make() -> np.ndarray:
            days = self._published[series_id]
            return pd.DatetimeIndex(days() if callable(days) else days).values
        return self._memo(("published_days", series_id), make)

    def __len__(self) -> int:
        return len(self.dates)

    def _memo(self, key: tuple, make):
        out = self._cache.get(key)
        if out is None:
            out = self._cache[key] = make()
        return out

    def shared(self, key: tuple, make):
        """``make()``, computed once per History: a sweep's combinations share one History, so a
        derivation that does not depend on the parameters (a smoothed rate, its moves) is paid once.
        ``key`` must name everything the result depends on."""
        return self._memo(("shared", *key), make)

    # -- prices --------------------------------------------------------------------------------
    def _check_symbol(self, symbol: str) -> None:
        if symbol not in self._closes:
            raise DataError(f"the rule asked for prices of {symbol}, which it did not declare")

    def known(self, symbol: str) -> np.ndarray:
        """Per row: the number of closes of ``symbol`` on or before the row's date."""
        self._check_symbol(symbol)
        return self._memo(("known", symbol),
                          lambda: self._close_dates[symbol].searchsorted(self._t64, side="right").astype(np.int64))

    def close_values(self, symbol: str) -> tuple[np.ndarray, np.ndarray]:
        """(dates, closes) of the whole stored history; index them only below ``known(symbol)``."""
        self._check_symbol(symbol)
        return self._close_dates[symbol], self._close_values[symbol]

    def last_close(self, symbol: str) -> np.ndarray:
        """Per row: the last close known that day (NaN before the first close)."""
        def make() -> np.ndarray:
            k = self.known(symbol)
            v = self._close_values[symbol]
            return np.where(k > 0, v[np.maximum(k - 1, 0)] if len(v) else np.nan, np.nan)
        return self._memo(("last", symbol), make)

    def sums(self, symbol: str) -> np.ndarray:
        """Running sums of the closes (``sums[k]`` = sum of the first k closes)."""
        self._check_symbol(symbol)
        return self._memo(("sums", symbol), lambda: running_sums(self._close_values[symbol]))

    def sma(self, symbol: str, window: int) -> np.ndarray:
        """Per row: the mean of the last ``window`` known closes, from running sums (NaN in warm-up).

        Within :data:`TIE_RTOL` of the row's last close it is recomputed exactly, so comparing it
        with the close decides exactly as ``closes[-window:].mean()`` does.
        """
        k = self.known(symbol)
        s = self.sums(symbol)
        ahead = self.shared(("sums_at_known", symbol), lambda: s[k])  # the same for every window
        if self._steps(symbol):  # a close on every row (a daily rule): the window's start is a slice
            warm = min(max(window - int(k[0]), 0), len(k))
            lo = int(k[0]) + warm - window
            out = np.empty(len(k))
            out[:warm] = np.nan
            tail = out[warm:]
            np.subtract(ahead[warm:], s[lo:lo + len(k) - warm], out=tail)
            tail /= window
        else:
            ok = k >= window
            out = (ahead - s[np.maximum(k - window, 0)]) / window
            out[~ok] = np.nan
        last = self.last_close(symbol)
        tol = self.shared(("tie_tolerance", symbol), lambda: TIE_RTOL * np.abs(last))
        gap = last - out
        np.abs(gap, out=gap)
        with np.errstate(invalid="ignore"):
            near = gap <= tol  # NaN (warm-up) compares False
        values = self._close_values[symbol]
        for i in np.flatnonzero(near):
            out[i] = exact_sma(values, int(k[i]), window)
        return out

    def _steps(self, symbol: str) -> bool:
        """Whether ``known(symbol)`` grows by exactly one close per row (then a window of the
        running sums is a slice, not a gather)."""
        k = self.known(symbol)
        return self.shared(("steps", symbol), lambda: bool(len(k) and (np.diff(k) == 1).all()))

    def close_at_or_before(self, symbol: str, anchors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: (index, close) of the last close on or before ``anchors[i]`` (index -1: none).

        Only meaningful for anchors on or before the row's date (then the close was known).
        """
        dates, values = self.close_values(symbol)
        i = dates.searchsorted(anchors, side="right").astype(np.int64) - 1
        return i, np.where(i >= 0, values[np.maximum(i, 0)] if len(values) else np.nan, np.nan)

    # -- economic series -----------------------------------------------------------------------
    def _check_series(self, series_id: str) -> None:
        if series_id not in self._series:
            raise DataError(f"the rule asked for series {series_id}, which it did not declare")

    def published(self, series_id: str) -> np.ndarray:
        """Per row: the number of observations of ``series_id`` published by the row's date."""
        self._check_series(series_id)
        return self._memo(("published", series_id),
                          lambda: self._published_days(series_id).searchsorted(self._t64, side="right").astype(np.int64))

    def series(self, series_id: str) -> pd.Series:
        """The whole stored series; index it only below ``published(series_id)``."""
        self._check_series(series_id)
        return self._series[series_id]

    def series_known(self, series_id: str, i: int) -> pd.Series:
        """The observations known on row ``i``: what ``View.series`` gives on that date."""
        return self.series(series_id).iloc[: int(self.published(series_id)[i])]
