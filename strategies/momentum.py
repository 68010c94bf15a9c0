"""Relative (and dual) momentum across a few funds."""

from __future__ import annotations

from typing import Any, ClassVar

from r2k.data.errors import UsageError
from r2k.strategies.base import AllocationRule, Target, Targets
from r2k.strategies.signals import cash_return, cash_returns, trailing_return, trailing_returns


class RelativeMomentum(AllocationRule):
    """Hold whichever of `symbols` had the best trailing lookback_months total return, decided monthly.
    With absolute=true the winner must also beat cash (dual momentum), else hold risk_off."""

    name = "relative-momentum"
    schedule = "month"
    params: ClassVar[dict[str, Any]] = {
        "symbols": ["IWM", "SPY", "QQQ"],
        "lookback_months": 12,
        "absolute": False,
        "risk_off": "CASH",
    }

    def check(self) -> None:
        from r2k.data.symbols import CASH, canonical_symbol

        if not self.symbols:
            raise UsageError("symbols must name at least one symbol")
        if self.lookback_months < 1:
            raise UsageError("lookback_months must be at least 1")
        self.symbols = [canonical_symbol(s) for s in self.symbols]
        self.risk_off = CASH if self.risk_off.upper() == CASH else canonical_symbol(self.risk_off)

    def assets(self) -> list[str]:
        return list(dict.fromkeys(self.symbols + [self.risk_off]))

    def series(self) -> list[str]:
        return ["DFF"] if self.absolute else []

    def scores(self, view) -> dict[str, float]:
        """Trailing total return of each symbol with enough history."""
        out = {}
        for sym in self.symbols:
            r = trailing_return(*view.close_values(sym), view.date, self.lookback_months)
            if r is not None:
                out[sym] = r
        return out

    def target(self, view) -> Target:
        scores = self.scores(view)
        if not scores:
            return Target({self.risk_off: 1.0}, "warm-up")
        best = max(scores, key=lambda s: (scores[s], -self.symbols.index(s)))
        if self.absolute:
            cash = cash_return(view.series("DFF"), view.date, self.lookback_months)
            if cash is not None and scores[best] <= cash:
                return Target({self.risk_off: 1.0}, f"{best} below cash")
        return Target({best: 1.0}, best)

    def targets(self, history) -> Targets:
        import numpy as np

        scores = np.column_stack([trailing_returns(history, s, self.lookback_months) for s in self.symbols])
        valid = ~np.isnan(scores)
        any_valid = valid.any(axis=1)
        best = np.argmax(np.where(valid, scores, -np.inf), axis=1)  # first of equal scores, as target()
        top = scores[np.arange(len(best)), best]
        names = [*self.symbols, self.risk_off]
        off = len(self.symbols)
        choice = np.where(any_valid, best, off)
        labels = np.where(any_valid, np.array(self.symbols, dtype=object)[best], "warm-up").astype(object)
        if self.absolute:
            cash = cash_returns(history, "DFF", self.lookback_months)
            for i in np.flatnonzero(any_valid & ~np.isnan(cash) & (np.abs(top - cash) <= 1e-9)):
                exact = cash_return(history.series_known("DFF", i), history.dates[i], self.lookback_months)
                cash[i] = np.nan if exact is None else exact
            below = any_valid & ~np.isnan(cash) & (top <= cash)
            choice = np.where(below, off, choice)
            labels = np.where(below, labels + " below cash", labels)
        return Targets.choose(names, choice, labels.tolist())
