"""What an executor returns: the day-by-day state of the account and the trades."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Execution:
    value: np.ndarray  # (days,) portfolio value at each close, after that day's cash flow
    cash: np.ndarray  # (days,) broker cash at each close
    shares: np.ndarray  # (days, assets) holdings at each close
    trades: list[dict] = field(default_factory=list)  # date, symbol, side, size, price, value, commission, slippage
    rejected: list[str] = field(default_factory=list)  # orders the broker refused (must stay empty)
