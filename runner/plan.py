"""A plan: everything an executor needs, as arrays on one trading calendar.

Building it is where data meets the strategy: load, clip the window, align, evaluate the rule on
its decision dates (point-in-time), and lay out the cash-flow ledger. Executors only trade it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from r2k.data.errors import EngineError
from r2k.runner.kernels import kernel, pick


@dataclass
class Plan:
    """Inputs of an execution. Prices are total-return adjusted; day 0 flow is the initial cash."""

    calendar: pd.DatetimeIndex
    assets: list[str]
    opens: np.ndarray  # (days, assets)
    closes: np.ndarray  # (days, assets)
    decide: np.ndarray  # (days,) bool: a rebalance is decided at this close
    weights: np.ndarray  # (days, assets): targets in force at each close (ffilled decisions)
    flows: np.ndarray  # (days,) cash arriving at each close; flows[0] = initial cash
    fill: str  # "next-open" | "close"
    commission: float  # fraction of traded value
    slippage: float  # fraction of traded value
    whole_shares: bool = False
    notes: list[str] = field(default_factory=list)
    withdraw: np.ndarray | None = None  # (days,) fixed dollars requested at each close (runner.flows)
    withdraw_rate: np.ndarray | None = None  # (days,) fraction of the account value requested at each close
    #: drift bands (fractions; 0 = none), checked at every close by runner.drift.band_breach
    band: float = 0.0
    band_relative: float = 0.0

    def withdrawals(self) -> tuple[np.ndarray, np.ndarray]:
        """(fixed dollars, fraction of value) requested at each close; zeros when the plan has none."""
        n = len(self.calendar)
        wd = np.zeros(n) if self.withdraw is None else np.asarray(self.withdraw, dtype=np.float64)
        wr = np.zeros(n) if self.withdraw_rate is None else np.asarray(self.withdraw_rate, dtype=np.float64)
        return wd, wr

    @property
    def banded(self) -> bool:
        return self.band > 0 or self.band_relative > 0
    #: (days, assets) account units per traded share (close / adj_close; 1 without a raw close).
    #: Only whole-share sizing reads it; None means 1 everywhere.
    units: np.ndarray | None = None

    def share_units(self) -> np.ndarray:
        """``units``, or ones when the plan has none."""
        if self.units is None:
            return np.ones((len(self.calendar), len(self.assets)))
        return np.asarray(self.units, dtype=np.float64)

    @property
    def cost(self) -> float:
        return self.commission + self.slippage

    def arriving(self) -> np.ndarray:
        """Cash deposited at each close after the first (the initial cash is the starting cash)."""
        out = self.flows.copy()
        out[0] = 0.0
        return out

    def trade_days(self, *, compiled: bool = False) -> np.ndarray:
        """Closes at which orders are sized: decisions and deposits, minus decisions that cannot trade.

        A decision "100 % in the same asset as before" with no new cash cannot trade: after any
        fill the leftover cash is at most the 1e-12 sizing margin, far below the 1e-6 minimum
        trade. (With whole shares a price move can make room for another share, so none are
        skipped.) Both executors use this, so they size orders on the same days.
        """
        return pick(_trade_days, compiled)(self.weights, self.decide, self.arriving(), self.whole_shares)


@kernel
def _trade_days(w: np.ndarray, decide: np.ndarray, arriving: np.ndarray, whole: bool) -> np.ndarray:
    """Plan.trade_days, one pass over the days (numpy's row reductions over a few assets cost
    more than the whole vectorized execution)."""
    n, m = w.shape
    days = decide | (arriving > 0)
    if whole:
        return days
    for i in range(1, n):
        if not days[i] or not decide[i] or arriving[i] != 0:
            continue
        held, top, same = 0, 0.0, True
        for j in range(m):
            held += w[i, j] > 0
            top = max(top, w[i, j])
            same = same and w[i, j] == w[i - 1, j]
        if same and held == 1 and top == 1.0:  # "100 % in the same asset as before", no new cash
            days[i] = False
    return days


def _weight_row(w: dict[str, float], pos: dict[str, int], assets: list[str], date: pd.Timestamp) -> np.ndarray:
    row = np.zeros(len(assets))
    for sym, x in w.items():
        if sym not in pos:
            raise EngineError(f"the rule returned a weight for {sym}, which is not one of its assets {assets}")
        if not np.isfinite(x) or x < -1e-12:
            raise EngineError(f"the rule returned weight {x!r} for {sym} on {date:%Y-%m-%d}; weights must be >= 0")
        row[pos[sym]] = max(float(x), 0.0)
    if row.sum() > 1.0 + 1e-9:
        raise EngineError(f"the rule's weights on {date:%Y-%m-%d} add up to {row.sum():.4f} > 1 (no leverage)")
    return row


def build_weights(calendar: pd.DatetimeIndex, assets: list[str],
                  decisions: list[tuple[pd.Timestamp, dict[str, float]]]) -> tuple[np.ndarray, np.ndarray]:
    """Forward-fill decisions into a weight matrix; flag decision days."""
    pos = {a: j for j, a in enumerate(assets)}
    matrix = np.empty((len(decisions), len(assets)))
    rows: dict[tuple, np.ndarray] = {}  # daily rules repeat the same target: check each one once
    for i, (date, w) in enumerate(decisions):
        key = tuple(w.items())
        row = rows.get(key)
        if row is None:
            row = rows[key] = _weight_row(w, pos, assets, date)
        matrix[i] = row
    return fill_weights(calendar, pd.DatetimeIndex([d for d, _ in decisions]), matrix)


def check_weights(dates: pd.DatetimeIndex, matrix: np.ndarray) -> np.ndarray:
    """Validate a (decision dates, assets) weight matrix at once; negative zeros become 0.

    The same rules and messages as a per-date decision: finite, >= 0, adding up to at most 1.
    """
    bad = ~np.isfinite(matrix) | (matrix < -1e-12)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise EngineError(f"the rule returned weight {matrix[i, j]!r} for column {j} on {dates[i]:%Y-%m-%d}; "
                          "weights must be >= 0")
    out = np.maximum(matrix, 0.0)
    total = out.sum(axis=1)
    over = np.flatnonzero(total > 1.0 + 1e-9)
    if len(over):
        i = over[0]
        raise EngineError(f"the rule's weights on {dates[i]:%Y-%m-%d} add up to {total[i]:.4f} > 1 (no leverage)")
    return out


def fill_weights(calendar: pd.DatetimeIndex, dates: pd.DatetimeIndex, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Place each decision row on its date and carry it forward (zeros before the first).

    Vectorized: the index of the last decision on or before each day, then one gather.
    """
    return fill_weights_at(len(calendar), calendar.get_indexer(dates), matrix)


def fill_weights_at(n: int, idx: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fill_weights` with the decisions' calendar positions already found (a sweep finds them once)."""
    if len(idx) == n and n and idx[0] == 0 and idx[-1] == n - 1 and (np.diff(idx) == 1).all():
        return matrix, np.ones(n, dtype=bool)  # a decision every day (a daily rule): nothing to carry forward
    decide = np.zeros(n, dtype=bool)
    source = np.full(n, -1, dtype=np.int64)
    keep = idx >= 0
    decide[idx[keep]] = True
    source[idx[keep]] = np.flatnonzero(keep)  # a later decision on the same day wins, as before
    last = np.maximum.accumulate(source)
    weights = matrix[np.maximum(last, 0)] if len(matrix) else np.zeros((n, matrix.shape[1]))
    weights[last < 0] = 0.0
    return weights, decide
