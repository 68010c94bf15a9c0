"""Buy-and-hold and its dollar-cost-averaging preset."""

from __future__ import annotations

from typing import Any, ClassVar

from r2k.strategies.base import AllocationRule, Target, Targets


class BuyAndHold(AllocationRule):
    """Put everything into one symbol on the first bar and hold it; contributions buy more.
    Dividends are reinvested through total-return adjusted prices."""

    name = "buy-and-hold"
    schedule = "once"
    params: ClassVar[dict[str, Any]] = {"symbol": "IWM"}

    def check(self) -> None:
        from r2k.data.symbols import canonical_symbol

        self.symbol = canonical_symbol(self.symbol) if self.symbol != "CASH" else "CASH"

    def assets(self) -> list[str]:
        return [self.symbol]

    def target(self, view) -> Target:
        return Target({self.symbol: 1.0}, "hold")

    def targets(self, history) -> Targets:
        import numpy as np

        return Targets.choose([self.symbol], np.zeros(len(history), dtype=np.int64), np.full(len(history), "hold"))


class DollarCostAveraging(BuyAndHold):
    """Buy-and-hold of one symbol with a fixed contribution at the start of every month.
    Same rule as buy-and-hold; the preset only changes the run's contribution defaults."""

    name = "dca"
    run_defaults: ClassVar[dict[str, Any]] = {"contribute": 500.0, "every": "month"}
