"""Point-in-time data for allocation rules: nothing after the decision date is reachable."""

from __future__ import annotations

import numpy as np
import pandas as pd

from r2k.data.errors import DataError


class View:
    """What a rule may look at on ``date``.

    ``close(symbol)`` gives total-return adjusted closes up to and including ``date`` (the close
    of the decision day is known at decision time); ``series(id)`` gives the observations of an
    economic series *published* by ``date`` (observation date + publication lag).
    """

    def __init__(self, closes: dict[str, pd.Series], series: dict[str, pd.Series],
                 published: dict[str, pd.DatetimeIndex]):
        self._closes = closes
        self._close_dates = {k: v.index.values for k, v in closes.items()}
        self._close_values = {k: v.to_numpy(dtype="float64") for k, v in closes.items()}
        self._series = series
        self._published = {k: v.values for k, v in published.items()}
        self.date: pd.Timestamp | None = None
        self._t64: np.datetime64 | None = None

    @classmethod
    def build(cls, closes: dict[str, pd.Series], series: dict[str, pd.Series], lag_bdays: int) -> View:
        """A view whose series become known ``lag_bdays`` business days after their date."""
        published = {k: v.index + pd.offsets.BDay(lag_bdays) for k, v in series.items()}
        return cls(closes, series, published)

    def at(self, date: pd.Timestamp) -> View:
        self.date = pd.Timestamp(date)
        self._t64 = self.date.to_datetime64()  # converted once per date, not per lookup
        return self

    def _known(self, symbol: str) -> int:
        if symbol not in self._closes:
            raise DataError(f"the rule asked for prices of {symbol}, which it did not declare")
        return int(self._close_dates[symbol].searchsorted(self._t64, side="right"))

    def close(self, symbol: str) -> pd.Series:
        return self._closes[symbol].iloc[: self._known(symbol)]

    def close_values(self, symbol: str) -> tuple[np.ndarray, np.ndarray]:
        """(dates, closes) as numpy arrays up to the view's date: the fast path for daily rules."""
        n = self._known(symbol)
        return self._close_dates[symbol][:n], self._close_values[symbol][:n]

    def series(self, series_id: str) -> pd.Series:
        if series_id not in self._series:
            raise DataError(f"the rule asked for series {series_id}, which it did not declare")
        n = self._published[series_id].searchsorted(self._t64, side="right")
        return self._series[series_id].iloc[:n]
