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

import numpy as np

CASH_MARGIN = 1e-12
MIN_TRADE = 1e-6


def order_deltas(shares: np.ndarray, cash: float, prices: np.ndarray, weights: np.ndarray,
                 cost: float, *, invest_only: bool, whole: bool) -> np.ndarray:
    """Share deltas (negative = sell) that move the portfolio to ``weights`` at ``prices``."""
    value = cash + float(shares @ prices)
    if invest_only:
        delta = np.where(weights > 0, weights * max(cash, 0.0) / prices, 0.0)
    else:
        delta = weights * value / prices - shares
    delta = np.where(np.abs(delta * prices) < MIN_TRADE * max(value, 1e-300), 0.0, delta)
    if whole:
        delta = np.where(delta < 0, -np.minimum(np.ceil(-delta - 1e-9), shares), np.floor(delta + 1e-9))
    sells = delta < 0
    buys = delta > 0
    proceeds = float(np.sum(-delta[sells] * prices[sells] * (1.0 - cost)))
    available = (cash + proceeds) * (1.0 - CASH_MARGIN)
    spend = float(np.sum(delta[buys] * prices[buys] * (1.0 + cost)))
    if spend > available:
        scale = max(available, 0.0) / spend
        delta = np.where(buys, delta * scale, delta)
        if whole:
            delta = np.where(buys, np.floor(delta), delta)
    return delta

