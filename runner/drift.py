"""Drift bands: is any held weight too far from its target at this close?

Weights are measured on what the account holds (positions at the close, the CASH asset
included), not on uninvested broker cash: that is only the sizing margin, or a deposit that the
same close invests. An asset is outside its band when ``|weight - target| > band`` (absolute, in
fractions: 0.05 for 5 points) or ``> band_relative * target`` (relative); the check is strict, as
Portfolio Visualizer words it ("more than 5 %").

A kernel (runner.kernels) because the vectorized executor calls it at every close inside its loop
(compiled by numba for a sweep's batches); the backtrader executor calls the same function, so
both rebalance on the same days.
"""

from __future__ import annotations

import numpy as np

from r2k.runner.kernels import kernel

#: Excesses closer than this are a tie.
TIE = 1e-12


@kernel
def band_breach(q: np.ndarray, p: np.ndarray, w: np.ndarray, band: float, band_relative: float) -> int:
    """The asset furthest outside its band (by how much it exceeds it), or -1 when all are inside.

    ``q`` shares held, ``p`` prices at the close, ``w`` target weights; ``band`` and
    ``band_relative`` as fractions (0 = not used). Nothing held: -1.
    """
    m = q.shape[0]
    held = 0.0
    for j in range(m):
        held += q[j] * p[j]
    if held <= 0.0:
        return -1
    worst = -1
    excess = 0.0
    for j in range(m):
        dev = abs(q[j] * p[j] / held - w[j])
        limit = band if band > 0.0 else band_relative * w[j]
        # a tie (two assets of a pair always miss by the same) goes to the first asset, not to rounding
        if dev > limit and (worst < 0 or dev - limit > excess + TIE):
            worst = j
            excess = dev - limit
    return worst


def held_weights(q: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Each asset's share of the holdings' value (what band_breach compares with the targets)."""
    v = np.asarray(q, dtype=float) * np.asarray(p, dtype=float)
    total = v.sum()
    return v / total if total > 0 else np.zeros_like(v)
