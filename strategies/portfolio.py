"""The fixed-weight portfolio: what Portfolio Visualizer, testfol.io and Portfolio Charts start from.

``weights=SPY:60,IWM:30,TLT:10`` (percent or fractions, ``CASH`` allowed) held at those targets,
rebalanced on a calendar (``rebalance=month|quarter|year``, or ``never``) or whenever a weight
drifts outside a band (``band=5``: more than 5 percentage points from its target;
``band_relative=25``: more than 25 % of its target). The rule itself only states the targets and
the calendar; the drift check needs the account, so the executors run it at every close
(runner.drift) and decisions.csv records which asset's band set each rebalance off.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from r2k.data.errors import UsageError
from r2k.strategies.base import AllocationRule, Target, Targets

#: How far the weights may miss 100 % (percentage points) before they are refused; within it they
#: are scaled to add up to exactly 100 % (33.33/33.33/33.33 is a fair way to write thirds).
SUM_TOLERANCE_PCT = 0.1

#: rebalance= value -> the rule's decision schedule ("never" decides once, on the first bar).
CALENDARS = {"never": "once", "month": "month", "quarter": "quarter", "year": "year"}


def parse_weights(text: Any) -> dict[str, float]:
    """``"SPY:60,IWM:30,TLT:10"`` (or a mapping) -> ``{"SPY": 0.6, "IWM": 0.3, "TLT": 0.1}``.

    Percent when the numbers add up to about 100, fractions when they add up to about 1; anything
    else, a negative number, a repeated asset (``RUT`` and ``^RUT`` are one) or a malformed item is
    a UsageError that names the problem.
    """
    from r2k.data.symbols import CASH, canonical_symbol

    if isinstance(text, dict):
        items = [(str(k), v) for k, v in text.items()]
    else:
        items = []
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            sym, sep, num = part.partition(":")
            if not sep or not sym.strip() or not num.strip():
                raise UsageError(f"bad weights item {part!r}: write SYMBOL:WEIGHT, e.g. weights=SPY:60,IWM:30,TLT:10")
            items.append((sym, num))
    if not items:
        raise UsageError("weights names no asset: write e.g. weights=SPY:60,IWM:30,TLT:10")
    out: dict[str, float] = {}
    for sym, num in items:
        name = CASH if sym.strip().upper() == CASH else canonical_symbol(sym)
        try:
            value = float(num)
        except (TypeError, ValueError):
            raise UsageError(f"bad weight {num!r} for {name}: use a number (percent or a fraction)") from None
        if not math.isfinite(value):
            raise UsageError(f"bad weight {num!r} for {name}: use a finite number")
        if value < 0:
            raise UsageError(f"negative weight {value:g} for {name}: a portfolio holds no short positions")
        if name in out:
            raise UsageError(f"{name} appears twice in weights; give each asset once")
        out[name] = value
    total = sum(out.values())
    if not (abs(total - 100.0) <= SUM_TOLERANCE_PCT or abs(total - 1.0) <= SUM_TOLERANCE_PCT / 100.0):
        raise UsageError(f"weights add up to {total:g}, not 100 % (write percent adding up to 100, "
                         f"or fractions adding up to 1, within {SUM_TOLERANCE_PCT:g} point)")
    return {k: v / total for k, v in out.items()}


def weights_text(weights: dict[str, float]) -> str:
    """The canonical text of parsed weights, in percent (``IWM:60,TLT:40``): one spelling, one spec."""
    return ",".join(f"{k}:{round(100.0 * v, 8):.10g}" for k, v in weights.items())


def _band(value: Any, key: str) -> float | None:
    """A band parameter in points or percent; None when unset; UsageError when not above 0."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    try:
        band = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"bad value for parameter {key}: {value!r} (expected a number above 0)") from None
    if not math.isfinite(band) or band <= 0:
        raise UsageError(f"{key} must be above 0, not {value!r}")
    if band >= 100:
        raise UsageError(f"{key} {band:g} is 100 or more, so no weight could ever leave it")
    return band


class Portfolio(AllocationRule):
    """Hold fixed target weights (weights=SPY:60,IWM:30,TLT:10; CASH allowed) and rebalance to them
    on a calendar (rebalance=never|month|quarter|year, default year) or by drift bands (band, band_relative)."""

    name = "portfolio"
    schedule = "year"
    params: ClassVar[dict[str, Any]] = {
        "weights": "SPY:60,IWM:30,TLT:10",
        "rebalance": "auto",  # auto: year, or never when a band is set
        "band": None,  # percentage points from the target, e.g. 5
        "band_relative": None,  # percent of the target, e.g. 25
    }
    #: the assets are typed by the user: one the data does not have is a usage error (exit 2)
    user_assets: ClassVar[bool] = True

    def check(self) -> None:
        self.target_weights = parse_weights(self.weights)
        self.weights = weights_text(self.target_weights)
        self.band = _band(self.band, "band")
        self.band_relative = _band(self.band_relative, "band_relative")
        if self.band is not None and self.band_relative is not None:
            raise UsageError("give band (points) or band_relative (percent of the target), not both")
        when = str(self.rebalance).strip().lower()
        if when == "auto":
            when = "never" if (self.band or self.band_relative) else "year"
        elif when not in CALENDARS:
            raise UsageError(f"rebalance must be never, month, quarter or year (or auto), not {self.rebalance!r}")
        else:
            self.rebalance = when
        self.calendar = when
        self.schedule = CALENDARS[when]
        self._decided = 0

    def assets(self) -> list[str]:
        return list(self.target_weights)

    def drift_band(self) -> tuple[float, float]:
        """(absolute, relative) band as fractions: 0.05 for band=5, 0.25 for band_relative=25."""
        return ((self.band or 0.0) / 100.0, (self.band_relative or 0.0) / 100.0)

    def label(self, first: bool) -> str:
        return "initial allocation" if first else f"calendar: {self.calendar}"

    def target(self, view) -> Target:
        first = self._decided == 0  # a fresh rule per run: its first decision is the first bar's
        self._decided += 1
        return Target({k: v for k, v in self.target_weights.items() if v > 0}, self.label(first))

    def targets(self, history) -> Targets:
        import numpy as np

        n = len(history)
        weights = np.tile(np.array(list(self.target_weights.values()), dtype=float), (n, 1))
        return Targets(list(self.target_weights), weights, [self.label(i == 0) for i in range(n)])
