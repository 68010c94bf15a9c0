"""A plan: everything an executor needs, as arrays on one trading calendar.

Building it is where data meets the strategy: load, clip the window, align, evaluate the rule on
its decision dates (point-in-time), and lay out the cash-flow ledger. Executors only trade it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numba import njit

from r2k.data.errors import EngineError


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

    @property
    def cost(self) -> float:
        return self.commission + self.slippage

    def arriving(self) -> np.ndarray:
        """Cash deposited at each close after the first (the initial cash is the starting cash)."""
        out = self.flows.copy()
        out[0] = 0.0
        return out

    def trade_days(self) -> np.ndarray:
        """Closes at which orders are sized: decisions and deposits, minus decisions that cannot trade.

        A decision "100 % in the same asset as before" with no new cash cannot trade: after any
        fill the leftover cash is at most the 1e-12 sizing margin, far below the 1e-6 minimum
        trade. (With whole shares a price move can make room for another share, so none are
        skipped.) Both executors use this, so they size orders on the same days.
        """
        return _trade_days(self.weights, self.decide, self.arriving(), self.whole_shares)


@njit(cache=True)
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
    weights = np.full((len(calendar), len(assets)), np.nan)
    decide = np.zeros(len(calendar), dtype=bool)
    idx = calendar.get_indexer([d for d, _ in decisions])
    rows: dict[tuple, np.ndarray] = {}  # daily rules repeat the same target: check each one once
    for i, (date, w) in zip(idx, decisions, strict=True):
        key = tuple(w.items())
        row = rows.get(key)
        if row is None:
            row = rows[key] = _weight_row(w, pos, assets, date)
        weights[i] = row
        decide[i] = True
    weights = pd.DataFrame(weights).ffill().fillna(0.0).to_numpy()
    return weights, decide
