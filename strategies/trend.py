"""Trend filter: hold while above the moving average."""

from __future__ import annotations

from typing import Any, ClassVar

from r2k.data.errors import UsageError
from r2k.strategies.base import AllocationRule, Target, Targets


class TrendFilter(AllocationRule):
    """Hold `symbol` (IWM) while its close is above its `window`-day simple moving average, else risk_off.
    Decided every day at the close on total-return adjusted closes."""

    name = "trend-filter"
    schedule = "day"
    params: ClassVar[dict[str, Any]] = {"symbol": "IWM", "window": 200, "risk_off": "CASH"}

    def check(self) -> None:
        from r2k.data.symbols import CASH, canonical_symbol

        if self.window < 2:
            raise UsageError("window must be at least 2 days")
        self.symbol = canonical_symbol(self.symbol)
        self.risk_off = CASH if self.risk_off.upper() == CASH else canonical_symbol(self.risk_off)

    def assets(self) -> list[str]:
        return [self.symbol, self.risk_off]

    def target(self, view) -> Target:
        _, closes = view.close_values(self.symbol)
        if len(closes) < self.window:
            return Target({self.risk_off: 1.0}, "warm-up")
        sma = view.sma(self.symbol, self.window)
        if float(closes[-1]) > sma:
            return Target({self.symbol: 1.0}, "above")
        return Target({self.risk_off: 1.0}, "below")

    def targets(self, history) -> Targets:
        import numpy as np

        with np.errstate(invalid="ignore"):  # the average is NaN in warm-up: never above it
            above = history.last_close(self.symbol) > history.sma(self.symbol, self.window)

        def labels():
            warm = history.known(self.symbol) < self.window
            return np.array(["below", "above", "warm-up"])[np.where(warm, 2, above.astype(np.int64))]

        return Targets.choose([self.symbol, self.risk_off], ~above, labels)
