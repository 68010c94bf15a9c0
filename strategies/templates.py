"""Starting points written by ``r2k strategies new``: each runs as written (the tests run them)."""

from __future__ import annotations

import re

from r2k.data.errors import UsageError

KINDS = ("rule", "backtrader")

RULE = '''"""__NAME__: an r2k allocation rule (written by `r2k strategies new`).

    r2k strategies show __NAME__ --strategy-path __DIR__
    r2k run __NAME__ --strategy-path __DIR__ -p lookback_days=63

An allocation rule returns target weights on each scheduled date from data known that day;
r2k does the trading, contributions, costs, CASH interest, reports and sweeps.
"""

from __future__ import annotations

from typing import Any, ClassVar

from r2k.data.errors import UsageError
from r2k.strategies.base import AllocationRule, Target


class __CLASS__(AllocationRule):
    """Hold `symbol` while its trailing `lookback_days` total return is positive, else `risk_off`.
    Decided on the first trading day of each month."""

    name = "__NAME__"
    schedule = "month"  # once, day, week, month, quarter or year
    # parameters and their defaults; -p key=value is converted to the default's type
    params: ClassVar[dict[str, Any]] = {"symbol": "IWM", "lookback_days": 126, "risk_off": "CASH"}

    def check(self) -> None:
        """Validate and normalise parameter values; a UsageError is shown as one line (exit 2)."""
        if self.lookback_days < 1:
            raise UsageError("lookback_days must be at least 1")
        self.symbol, self.risk_off = self.symbol.upper(), self.risk_off.upper()

    def assets(self) -> list[str]:
        """What the rule may hold. CASH earns the fed funds rate (the DFF series)."""
        return [self.symbol, self.risk_off]

    def series(self) -> list[str]:
        """FRED series that target() reads with view.series(ID), e.g. ["DGS10"]."""
        return []

    def target(self, view) -> Target:
        """Weights for view.date; view.close(symbol) holds adjusted closes up to that day only."""
        closes = view.close(self.symbol)
        if len(closes) <= self.lookback_days:
            return Target({self.risk_off: 1.0}, "warm-up")
        trailing = closes.iloc[-1] / closes.iloc[-1 - self.lookback_days] - 1.0
        if trailing > 0:
            return Target({self.symbol: 1.0}, "up")
        return Target({self.risk_off: 1.0}, "down")
'''

BACKTRADER = '''"""__NAME__: a plain backtrader strategy for r2k (written by `r2k strategies new`).

    r2k strategies show __NAME__ --strategy-path __DIR__
    r2k run __NAME__ --strategy-path __DIR__ -p period=100

r2k loads the feeds named in r2k_symbols (total-return adjusted, one calendar), sets the broker
(cash, contributions, commission and slippage, fill timing) and records the account.
"""

import backtrader as bt


class __CLASS__(bt.Strategy):
    """Invest while the close is above its `period`-day simple moving average, sell below it.
    Runs on every bar; new contributions are invested while the trend is up."""

    r2k_name = "__NAME__"
    r2k_symbols = ["IWM"]  # data feeds in order: self.datas[0] is the first
    # parameters and their defaults; -p key=value is converted to the default's type
    params = (("period", 50), ("target", 0.90))

    def __init__(self):
        self.sma = bt.indicators.SMA(self.data.close, period=self.p.period)

    def next(self):
        above = self.data.close[0] > self.sma[0]
        invested = self.position.size * self.data.close[0] / self.broker.getvalue()
        if above and invested < self.p.target - 0.05:
            # leave some cash: an order decided at today's close fills at the next open
            self.order_target_percent(target=self.p.target)
        elif not above and self.position:
            self.order_target_percent(target=0.0)
'''


def class_name(name: str) -> str:
    """``my-rule`` -> ``MyRule``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_.]", name) if part)


def file_name(name: str) -> str:
    return re.sub(r"[-.]", "_", name) + ".py"


def render(name: str, kind: str, folder: str = ".") -> str:
    """The template of ``kind`` for a strategy called ``name``."""
    if not re.fullmatch(r"[a-z][a-z0-9-]*", name):
        raise UsageError(f"bad strategy name {name!r}: use lower-case letters, digits and '-', starting with a letter")
    if kind not in KINDS:
        raise UsageError(f"--kind must be one of {', '.join(KINDS)}")
    text = RULE if kind == "rule" else BACKTRADER
    return text.replace("__NAME__", name).replace("__CLASS__", class_name(name)).replace("__DIR__", folder)
