"""Order sizing shared by every executor, so they trade identical share counts.

At a fill, with fill prices ``p``, holdings ``q`` and broker cash ``c``:

- *rebalance*: target shares ``w * V / p`` with ``V = c + q @ p``; sell what is above target
  first, then buy what is below;
- *invest* (new cash on a day that is not a decision date): spend the cash at the current target
  weights, buying only.

Buys are scaled down so that their cost, including commission and slippage, fits the cash left
after the sells (minus a 1e-12 relative margin against float rounding: an "all cash" buy must
never be rejected by the broker). Trades smaller than 1e-6 of the portfolio are skipped.
"""

from __future__ import annotations

import math

import numpy as np

CASH_MARGIN = 1e-12
MIN_TRADE = 1e-6


def order_deltas(shares: np.ndarray, cash: float, prices: np.ndarray, weights: np.ndarray,
                 cost: float, *, invest_only: bool, whole: bool) -> np.ndarray:
    """Share deltas (negative = sell) that move the portfolio to ``weights`` at ``prices``.

    Plain Python floats: a portfolio has a handful of assets, where numpy's per-call overhead
    would dominate (this runs at every rebalance of every sweep combination).
    """
    q, p, w = shares.tolist(), prices.tolist(), weights.tolist()
    value = cash + sum(qi * pi for qi, pi in zip(q, p, strict=True))
    if invest_only:
        spendable = max(cash, 0.0)
        delta = [wi * spendable / pi if wi > 0 else 0.0 for wi, pi in zip(w, p, strict=True)]
    else:
        delta = [wi * value / pi - qi for wi, pi, qi in zip(w, p, q, strict=True)]
    smallest = MIN_TRADE * max(value, 1e-300)
    delta = [0.0 if abs(d * pi) < smallest else d for d, pi in zip(delta, p, strict=True)]
    if whole:
        delta = [-min(math.ceil(-d - 1e-9), qi) if d < 0 else math.floor(d + 1e-9) for d, qi in zip(delta, q, strict=True)]
    proceeds = sum(-d * pi * (1.0 - cost) for d, pi in zip(delta, p, strict=True) if d < 0)
    available = (cash + proceeds) * (1.0 - CASH_MARGIN)
    spend = sum(d * pi * (1.0 + cost) for d, pi in zip(delta, p, strict=True) if d > 0)
    if spend > available:
        scale = max(available, 0.0) / spend
        delta = [d * scale if d > 0 else d for d in delta]
        if whole:
            delta = [math.floor(d) if d > 0 else d for d in delta]
    return np.array(delta, dtype="float64")
