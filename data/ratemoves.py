"""Rate moves (cuts and hikes) found in a published rate history, compared in basis points.

A rate series is quoted in percent with a few decimals, so the float difference of two
observations is not the decimal move: ``5.25 - 5.20 == 0.04999999999999982``, which a plain
``>= 0.05`` test drops. Moves are therefore compared in basis points rounded to
:data:`BP_DECIMALS` decimals (a millionth of a basis point), far finer than any quoted rate (the
old target moved in 1/16 pp = 6.25 bp) and far coarser than float noise.

Everything here is causal: a move on an observation depends only on it and the one before (and,
for the smoothed DFF, the four before that), so the moves known on a day are the full
history's moves published by then. Callers pass the history *published* by the decision day,
or the full history and filter by publication date (reports.regimes does the latter).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Decimals kept when a move is expressed in basis points before comparing it with the threshold.
BP_DECIMALS = 6

#: Observations in the trailing median that smooths the daily effective rate (DFF) against noise.
DFF_MEDIAN_DAYS = 5


def to_bp(pp: float | np.ndarray | pd.Series):
    """Percentage points to basis points, rounded to :data:`BP_DECIMALS` decimals."""
    return np.round(np.asarray(pp, dtype="float64") * 100.0, BP_DECIMALS)


def smoothed_dff(dff: pd.Series) -> pd.Series:
    """DFF's trailing 5-observation median over its whole history (the first 4 days dropped)."""
    return dff.rolling(DFF_MEDIAN_DAYS).median().dropna()


def rate_moves(rate: pd.Series, min_change: float) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """``(cuts, hikes)``: observation dates where the rate fell / rose by at least ``min_change`` pp.

    Both the move and ``min_change`` are compared in basis points rounded to a millionth of a
    bp, so a 5.20 -> 5.25 move is exactly 5 bp and counts for ``min_change=0.05``.
    """
    moves = to_bp(rate.diff().to_numpy())
    threshold = float(to_bp(min_change))
    with np.errstate(invalid="ignore"):
        cuts = rate.index[moves <= -threshold]
        hikes = rate.index[moves >= threshold]
    return pd.DatetimeIndex(cuts), pd.DatetimeIndex(hikes)
