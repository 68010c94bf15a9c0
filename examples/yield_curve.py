"""Example allocation rule: leave small caps when the Treasury yield curve inverts.

    r2k strategies show yield-curve-filter --strategy-path examples
    r2k run yield-curve-filter --strategy-path examples --start 2005-01-01 --end 2024-12-31 --offline

Needs the FRED series DGS10 and DGS3MO (and DFF for CASH): `r2k data import ../shared/data/fred`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from r2k.data.errors import UsageError
from r2k.strategies.base import AllocationRule, Target


class YieldCurveFilter(AllocationRule):
    """Hold `symbol` (IWM) while the 10-year minus 3-month Treasury spread (DGS10 - DGS3MO) is above `threshold`, else risk_off.
    Decided on the first trading day of each month from the latest yields published by then."""

    name = "yield-curve-filter"
    schedule = "month"
    params: ClassVar[dict[str, Any]] = {"symbol": "IWM", "risk_off": "CASH", "threshold": 0.0}

    def check(self) -> None:
        if not self.symbol.strip():
            raise UsageError("symbol must name a fund")
        self.symbol, self.risk_off = self.symbol.strip().upper(), self.risk_off.strip().upper()

    def assets(self) -> list[str]:
        return [self.symbol, self.risk_off]

    def series(self) -> list[str]:
        return ["DGS10", "DGS3MO"]

    def target(self, view) -> Target:
        # view.series() holds only observations published by view.date (FRED: the business day after)
        long, short = view.series("DGS10").dropna(), view.series("DGS3MO").dropna()
        common = long.index.intersection(short.index)
        if common.empty:
            return Target({self.risk_off: 1.0}, "no data")
        day = common[-1]
        spread = float(long[day]) - float(short[day])
        if spread > self.threshold:
            return Target({self.symbol: 1.0}, f"normal {spread:+.2f}")
        return Target({self.risk_off: 1.0}, f"inverted {spread:+.2f}")
