"""What an executor returns: the day-by-day state of the account and the trades."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from r2k.runner.plan import Plan


class TradeLog(Sequence):
    """Trades logged as arrays by the vectorized executor, turned into rows only when read.

    A sweep never reads them; formatting dates for every trade would cost more than the run.
    """

    def __init__(self, plan: Plan, day: np.ndarray, asset: np.ndarray, delta: np.ndarray, price: np.ndarray):
        self._plan, self._day, self._asset, self._delta, self._price = plan, day, asset, delta, price

    def __len__(self) -> int:
        return len(self._day)

    def __getitem__(self, i):
        return self._rows[i]

    def sides_and_values(self) -> tuple[np.ndarray, np.ndarray]:
        """(+1 buy / -1 sell, traded value) of every trade as arrays, without building rows."""
        return np.sign(self._delta), np.abs(self._delta) * self._price

    @cached_property
    def _rows(self) -> list[dict]:
        plan = self._plan
        dates = plan.calendar[self._day].strftime("%Y-%m-%d")
        return [{"date": date, "symbol": plan.assets[j], "side": "buy" if d > 0 else "sell", "size": abs(d),
                 "price": p, "value": abs(d) * p, "commission": abs(d) * p * plan.commission,
                 "slippage": abs(d) * p * plan.slippage}
                for date, j, d, p in zip(dates, self._asset.tolist(), self._delta.tolist(), self._price.tolist(),
                                         strict=True)]


@dataclass
class Execution:
    value: np.ndarray  # (days,) portfolio value at each close, after that day's cash flow
    cash: np.ndarray  # (days,) broker cash at each close
    shares: np.ndarray  # (days, assets) holdings at each close
    trades: Sequence[dict] = field(default_factory=list)  # date, symbol, side, size, price, value, commission, slippage
    rejected: list[str] = field(default_factory=list)  # orders the broker refused (must stay empty)
    flows: np.ndarray | None = None  # (days,) cash that actually moved at each close (withdrawals negative)
    depleted: int = -1  # the day a withdrawal emptied the account (-1: never)
    #: drift-band rebalances: (day index, asset outside its band, its weight then)
    rebalances: list[tuple[int, int, float]] = field(default_factory=list)
    first_bar: int = 0  # the first bar the strategy acted on (a backtrader strategy's indicator warm-up)
