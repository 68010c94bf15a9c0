"""Point-in-time data for allocation rules: nothing after the decision date is reachable."""

from __future__ import annotations

import numpy as np
import pandas as pd

from r2k.data.errors import DataError
from r2k.strategies.history import TIE_RTOL, exact_sma, running_sums


class View:
    """What a rule may look at on ``date``.

    ``close(symbol)`` gives total-return adjusted closes up to and including ``date`` (the close
    of the decision day is known at decision time); ``series(id)`` gives the observations of an
    economic series *published* by ``date`` (observation date + publication lag).

    Built with the decision ``dates`` it will visit, it counts what is known on each of them once
    per symbol (one vectorized search), so a lookup is an index, not a search per call.
    """

    def __init__(self, closes: dict[str, pd.Series], series: dict[str, pd.Series],
                 published: dict[str, pd.DatetimeIndex], dates: pd.DatetimeIndex | None = None):
        self._closes = closes
        self._close_dates = {k: v.index.values for k, v in closes.items()}
        self._close_values = {k: v.to_numpy(dtype="float64") for k, v in closes.items()}
        self._series = series
        self._published = {k: v.values for k, v in published.items()}
        self._dates = None if dates is None else pd.DatetimeIndex(dates).values
        self._row_of = {} if dates is None else {ts.value: i for i, ts in enumerate(pd.DatetimeIndex(dates))}
        self._counts: dict[tuple[str, str], np.ndarray] = {}
        self._sums: dict[str, np.ndarray] = {}
        self.date: pd.Timestamp | None = None
        self._t64: np.datetime64 | None = None
        self._row: int | None = None

    @classmethod
    def build(cls, closes: dict[str, pd.Series], series: dict[str, pd.Series], lag_bdays: int | None = None,
              dates: pd.DatetimeIndex | None = None) -> View:
        """A view whose series become known on their publication day (r2k.data.align.published_dates:
        monthly CPI on the 15th of the next month; others ``lag_bdays`` business days after their
        date, default ``PUBLICATION_LAG_BDAYS``)."""
        from r2k.data.align import PUBLICATION_LAG_BDAYS, published_dates

        lag = PUBLICATION_LAG_BDAYS if lag_bdays is None else lag_bdays
        published = {k: published_dates(k, v.index, lag) for k, v in series.items()}
        return cls(closes, series, published, dates)

    def at(self, date: pd.Timestamp) -> View:
        self.date = pd.Timestamp(date)
        self._t64 = self.date.to_datetime64()  # converted once per date, not per lookup
        self._row = self._row_of.get(self.date.value) if self._row_of else None
        return self

    def _count(self, kind: str, name: str, stamps: np.ndarray) -> int:
        if self._row is None:
            return int(stamps.searchsorted(self._t64, side="right"))
        counts = self._counts.get((kind, name))
        if counts is None:
            counts = self._counts[(kind, name)] = stamps.searchsorted(self._dates, side="right")
        return int(counts[self._row])

    def _known(self, symbol: str) -> int:
        if symbol not in self._closes:
            raise DataError(f"the rule asked for prices of {symbol}, which it did not declare")
        return self._count("close", symbol, self._close_dates[symbol])

    def close(self, symbol: str) -> pd.Series:
        return self._closes[symbol].iloc[: self._known(symbol)]

    def close_values(self, symbol: str) -> tuple[np.ndarray, np.ndarray]:
        """(dates, closes) as numpy arrays up to the view's date: the fast path for daily rules."""
        n = self._known(symbol)
        return self._close_dates[symbol][:n], self._close_values[symbol][:n]

    def sma(self, symbol: str, window: int) -> float:
        """Mean of the last ``window`` closes known today (NaN with fewer), from running sums.

        Within the tie tolerance of today's close it is recomputed as ``closes[-window:].mean()``,
        so a comparison with the close decides exactly as that slice mean would.
        """
        n = self._known(symbol)
        if n < window:
            return float("nan")
        sums = self._sums.get(symbol)
        if sums is None:
            sums = self._sums[symbol] = running_sums(self._close_values[symbol])
        out = float((sums[n] - sums[n - window]) / window)
        last = float(self._close_values[symbol][n - 1])
        if abs(last - out) <= TIE_RTOL * abs(last):
            out = exact_sma(self._close_values[symbol], n, window)
        return out

    def series(self, series_id: str) -> pd.Series:
        if series_id not in self._series:
            raise DataError(f"the rule asked for series {series_id}, which it did not declare")
        n = self._count("series", series_id, self._published[series_id])
        return self._series[series_id].iloc[:n]
