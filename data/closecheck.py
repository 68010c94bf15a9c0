"""A close that disagrees with its adjusted close for a day or two: a bad tick, repaired.

``adj_close / close`` is the adjustment factor. It changes only on dividend and split days, and
then it steps and stays; it never jumps away and comes back. When it does (one close typed as
456.1 instead of 45.61 while ``adj_close`` is sane), every total-return adjusted open/high/low of
that day is scaled by a wrong factor and an order filling there buys at an absurd price. So a
factor that leaves its level by more than :data:`SPIKE` for at most :data:`MAX_SPIKE_DAYS` days
and returns to it is a defect in whichever of the two columns moved: that value is rebuilt from
the other column and the neighbouring factor, with a note naming symbol, date and both values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A factor leaving its level by more than this (log) is no rounding and no ordinary dividend.
SPIKE = 0.02
#: Longest run of days a bad value may last and still count as a spike.
MAX_SPIKE_DAYS = 3
#: "Back to its level": within this share of the spike's size.
RETURN_SHARE = 0.25


def _spikes(log_ratio: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges [i, j) where the log factor leaves its level and comes back."""
    n = len(log_ratio)
    out: list[tuple[int, int]] = []
    i = 1
    while i < n:
        level = log_ratio[i - 1]
        jump = log_ratio[i] - level
        if abs(jump) <= SPIKE:
            i += 1
            continue
        found = None
        for j in range(i + 1, min(i + MAX_SPIKE_DAYS, n - 1) + 1):
            if abs(log_ratio[j] - level) <= RETURN_SHARE * abs(jump):
                found = j
                break
        if found is None:  # a step that stays: a dividend, a split or a re-adjustment
            i += 1
            continue
        out.append((i, found))
        i = found + 1
    return out


def _spikiness(values: np.ndarray, i: int, j: int) -> float:
    """How far the values on [i, j) stand out from the days around them (log distance)."""
    around = np.sqrt(values[i - 1] * values[j])
    return float(np.max(np.abs(np.log(values[i:j] / around))))


def repair_close_spikes(df: pd.DataFrame, symbol: str) -> tuple[pd.DataFrame, list[str]]:
    """Repair closes (or adjusted closes) that disagree with the other column for a day or two.

    ``df`` has finite positive ``close`` and ``adj_close``. Returns the repaired frame and one
    note per repaired day.
    """
    close = df["close"].to_numpy(dtype="float64")
    adj = df["adj_close"].to_numpy(dtype="float64")
    ok = np.isfinite(close) & np.isfinite(adj) & (close > 0) & (adj > 0)
    if len(df) < 3 or not ok.all():
        return df, []
    log_ratio = np.log(adj / close)
    spans = _spikes(log_ratio)
    if not spans:
        return df, []
    close, adj = close.copy(), adj.copy()
    notes: list[str] = []
    for i, j in spans:
        factor = np.exp(log_ratio[i - 1])  # the level the factor left
        bad_close = _spikiness(close, i, j) >= _spikiness(adj, i, j)
        for k in range(i, j):
            day = df.index[k].strftime("%Y-%m-%d")
            if bad_close:
                fixed = adj[k] / factor
                notes.append(f"{symbol}: close on {day} ({close[k]:.6g}) disagrees with its adjusted close "
                             f"({adj[k]:.6g}); replaced it with {fixed:.6g} from the adjusted close")
                close[k] = fixed
            else:
                fixed = close[k] * factor
                notes.append(f"{symbol}: adjusted close on {day} ({adj[k]:.6g}) disagrees with its close "
                             f"({close[k]:.6g}); replaced it with {fixed:.6g} from the close")
                adj[k] = fixed
    out = df.copy()
    out["close"] = close
    out["adj_close"] = adj
    return out, notes
