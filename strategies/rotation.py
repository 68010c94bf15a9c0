"""Rate-cut rotation: small caps while the Fed is easing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from r2k.data.errors import UsageError
from r2k.strategies.base import AllocationRule, Target, Targets
from r2k.strategies.signals import policy_rate

if TYPE_CHECKING:  # pandas loads only when the rule decides, so listing strategies stays instant
    import pandas as pd

RATE_SERIES = ("target", "DFF")


def regime_at(rate: pd.Series, date: pd.Timestamp, lookback_months: int, min_change: float) -> str:
    """``easing``, ``tightening`` or ``hold`` on ``date`` from a rate history known that day.

    A *cut* is a day the rate fell by at least ``min_change`` percentage points, a *hike* one it
    rose as much, compared in basis points (r2k.data.ratemoves: 5.20 -> 5.25 is a 5 bp move).
    Easing: the last cut is within ``lookback_months`` and no hike came after it. Tightening: the
    mirror image. Otherwise the Fed is on hold. ``rate`` is the whole history known on ``date``.
    """
    import pandas as pd

    from r2k.data.ratemoves import rate_moves  # numpy/pandas: only when a rule decides

    cuts, hikes = rate_moves(rate, min_change)
    last_cut = cuts[-1] if len(cuts) else None
    last_hike = hikes[-1] if len(hikes) else None
    horizon = pd.Timestamp(date) - pd.DateOffset(months=lookback_months)
    if last_cut is not None and last_cut > horizon and (last_hike is None or last_hike < last_cut):
        return "easing"
    if last_hike is not None and last_hike > horizon and (last_cut is None or last_cut < last_hike):
        return "tightening"
    return "hold"


class RateCutRotation(AllocationRule):
    """Hold the risk-on asset (IWM) while the Fed is easing, the risk-off asset (SPY or CASH) otherwise.
    Easing: a cut of the fed funds target within the last lookback_months and no hike since; decided monthly."""

    name = "rate-cut-rotation"
    schedule = "month"
    params: ClassVar[dict[str, Any]] = {
        "risk_on": "IWM",
        "risk_off": "SPY",
        "lookback_months": 6,
        "rate_series": "target",
        "min_change": 0.05,
    }

    def check(self) -> None:
        from r2k.data.symbols import CASH, canonical_symbol

        if self.lookback_months < 1:
            raise UsageError("lookback_months must be at least 1")
        if self.min_change <= 0:
            raise UsageError("min_change must be above 0 (percentage points)")
        if self.rate_series.upper() == "DFF":
            self.rate_series = "DFF"
        elif self.rate_series.lower() == "target":
            self.rate_series = "target"
        else:
            raise UsageError(f"rate_series must be 'target' (DFEDTAR, then DFEDTARU) or 'DFF', not {self.rate_series!r}")
        self.risk_on = CASH if self.risk_on.upper() == CASH else canonical_symbol(self.risk_on)
        self.risk_off = CASH if self.risk_off.upper() == CASH else canonical_symbol(self.risk_off)

    def assets(self) -> list[str]:
        return [self.risk_on, self.risk_off]

    def series(self) -> list[str]:
        return ["DFF"] if self.rate_series == "DFF" else ["DFEDTAR", "DFEDTARU"]

    def rate(self, view) -> pd.Series:
        """The policy rate as known on the view's date, over its whole published history
        (DFF: a 5-day trailing median against noise; a cut years back still counts)."""
        if self.rate_series == "DFF":
            return self._smoothed(view.series("DFF"))
        return policy_rate(view.series("DFEDTAR"), view.series("DFEDTARU"))

    def _smoothed(self, dff: pd.Series) -> pd.Series:
        """smoothed_dff(dff), extending the previous decision's result when ``dff`` extends its input.

        Each monthly decision sees a longer prefix of the same history; the median is trailing,
        so only the new tail needs computing (a full recompute costs ~4 ms per decision).
        """
        import pandas as pd

        from r2k.data.ratemoves import DFF_MEDIAN_DAYS, smoothed_dff

        memo = getattr(self, "_memo", None)
        if memo is not None:
            seen, smooth = memo
            n = len(seen)
            if 0 < n <= len(dff) and dff.index[:n].equals(seen.index) and dff.iloc[:n].equals(seen):
                tail = smoothed_dff(dff.iloc[max(n - DFF_MEDIAN_DAYS + 1, 0):])
                tail = tail[tail.index > seen.index[-1]]
                out = pd.concat([smooth, tail]) if len(tail) else smooth
                self._memo = (dff, out)
                return out
        out = smoothed_dff(dff)
        self._memo = (dff, out)
        return out

    def target(self, view) -> Target:
        regime = regime_at(self.rate(view), view.date, self.lookback_months, self.min_change)
        return Target({self.risk_on if regime == "easing" else self.risk_off: 1.0}, regime)

    def targets(self, history) -> Targets:
        """The regime on every decision date at once: the moves of the whole history are causal
        (r2k.data.ratemoves), so those known on a day are the first ``known`` of them."""
        import numpy as np

        from r2k.data.ratemoves import to_bp
        from r2k.strategies.signals import months_before

        rate, known, moves = history.shared(("rate-cut-rotation", self.rate_series), lambda: self._rate_rows(history))
        threshold = float(to_bp(self.min_change))
        stamps = rate.index.values

        def last_event(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            pos = np.flatnonzero(mask)
            j = pos.searchsorted(known, side="left") - 1
            has = j >= 0
            at = pos[np.maximum(j, 0)] if len(pos) else np.zeros(len(j), dtype=np.int64)
            return has, np.where(has, stamps[at] if len(stamps) else np.datetime64("NaT"), np.datetime64("NaT"))

        with np.errstate(invalid="ignore"):
            has_cut, last_cut = last_event(moves <= -threshold)
            has_hike, last_hike = last_event(moves >= threshold)
        horizon = months_before(history.dates, self.lookback_months)
        easing = has_cut & (last_cut > horizon) & (~has_hike | (last_hike < last_cut))
        tight = has_hike & (last_hike > horizon) & (~has_cut | (last_cut < last_hike))
        labels = np.where(easing, "easing", np.where(tight, "tightening", "hold"))
        return Targets.choose([self.risk_on, self.risk_off], np.where(easing, 0, 1), labels)

    def _rate_rows(self, history):
        """(rate history, per decision date how many of its observations were known, its moves in bp)."""
        import numpy as np
        import pandas as pd

        from r2k.data.ratemoves import smoothed_dff, to_bp

        if self.rate_series == "DFF":
            dff = history.series("DFF")
            rate = smoothed_dff(dff)
            raw = history.published("DFF")
            last_raw = dff.index.values[np.maximum(raw - 1, 0)]
            known = np.where(raw > 0, rate.index.values.searchsorted(last_raw, side="right"), 0)
        else:
            old, new = history.series("DFEDTAR"), history.series("DFEDTARU")
            rate = policy_rate(old, new)
            cut = pd.Timestamp("2008-12-15")
            n_old = int((old.index <= cut).sum())
            skip_new = int((new.index < cut + pd.Timedelta(days=1)).sum())
            known = (np.minimum(history.published("DFEDTAR"), n_old)
                     + np.maximum(history.published("DFEDTARU") - skip_new, 0))
        return rate, known, to_bp(rate.diff().to_numpy())
