"""Order sizing shared by every executor, so they trade identical share counts.

At a fill, with fill prices ``p``, holdings ``q`` and broker cash ``c``:

- *rebalance*: target shares ``w * V / p`` with ``V = c + q @ p``; sell what is above target
  first, then buy what is below;
- *invest* (new cash on a day that is not a decision date): buying only, the cash goes to what
  is under its target first (Portfolio Visualizer's way): each asset's shortfall
  ``max(w * V - q * p, 0)`` is filled in proportion, as far as the cash goes
  (:func:`allocate_flow`). For a single target asset that is "buy it with all the cash";
- *raise* (a withdrawal): selling only, from what is over its target first (:func:`raise_into`).

With whole shares, counts are whole *real* shares: ``unit[j]`` is how many account units (the
total-return adjusted price the account is kept in) one traded share is on the fill day,
``close / adj_close`` from the store (1 where the file has no raw close). A delta is floored to a
whole number of shares, then converted back to units, so the first SPY fill of 1993 buys 83
shares at $120.46 (122.0 units of the adjusted 81.96), not 122 "shares". Dividends then
accrue in the adjusted account as if reinvested, so holdings between trades may be fractional
shares; a sell of everything sells them all.

Buys are scaled down so that their cost, including commission and slippage, fits the cash left
after the sells (minus a 1e-12 relative margin against float rounding: an "all cash" buy must
never be rejected by the broker). Trades smaller than 1e-6 of the portfolio are skipped.

A kernel (runner.kernels): the vectorized executor calls it at every fill inside its loop (plain
Python for a run, compiled by numba for a sweep's batches), and the backtrader executor calls the
same code through ``order_deltas``, so every executor trades identical share counts from one
implementation.
"""

from __future__ import annotations

import math

import numpy as np

from r2k.runner.kernels import kernel

CASH_MARGIN = 1e-12
MIN_TRADE = 1e-6


@kernel
def size_into(q: np.ndarray, cash: float, p: np.ndarray, w: np.ndarray, cost: float,
              invest_only: bool, whole: bool, unit: np.ndarray, delta: np.ndarray) -> None:
    """Write the deltas in account units (negative = sell) that move holdings ``q`` to ``w`` into
    ``delta``; with ``whole``, whole multiples of ``unit`` (one real share each)."""
    m = q.shape[0]
    held = 0.0
    for j in range(m):
        held += q[j] * p[j]
    value = cash + held
    spendable = max(cash, 0.0)
    if invest_only:
        _allocate(q, p, w, held, spendable, delta)
        for j in range(m):
            delta[j] = delta[j] / p[j]
    else:
        for j in range(m):
            delta[j] = w[j] * value / p[j] - q[j]
    smallest = MIN_TRADE * max(value, 1e-300)
    for j in range(m):
        if abs(delta[j] * p[j]) < smallest:
            delta[j] = 0.0
        if whole:
            if delta[j] < 0:
                delta[j] = -min(float(math.ceil(-delta[j] / unit[j] - 1e-9)) * unit[j], q[j])
            else:
                delta[j] = float(math.floor(delta[j] / unit[j] + 1e-9)) * unit[j]
    proceeds = 0.0
    spend = 0.0
    for j in range(m):
        if delta[j] < 0:
            proceeds += -delta[j] * p[j] * (1.0 - cost)
        elif delta[j] > 0:
            spend += delta[j] * p[j] * (1.0 + cost)
    available = (cash + proceeds) * (1.0 - CASH_MARGIN)
    if spend > available and spend > 0.0:  # nothing bought: nothing to scale (cash may sit below 0 by rounding)
        scale = max(available, 0.0) / spend
        for j in range(m):
            if delta[j] > 0:
                delta[j] = float(math.floor(delta[j] * scale / unit[j])) * unit[j] if whole else delta[j] * scale


@kernel
def _allocate(q: np.ndarray, p: np.ndarray, w: np.ndarray, held: float, amount: float, out: np.ndarray) -> None:
    """Dollars per asset (``out``) of a cash flow ``amount`` into (> 0) or out of (< 0) holdings ``q``.

    The account after the flow is worth ``held + amount``; its target in asset j is
    ``w[j] * (held + amount)``. A contribution buys only assets below their target, in proportion
    to their shortfalls; a withdrawal sells only assets above their target, in proportion to their
    excess. Either stops at the flow's size (or at what there is to sell), never overshooting.
    """
    m = q.shape[0]
    total = held + amount
    gap = 0.0
    for j in range(m):
        v = q[j] * p[j]
        # w*held - v first: exactly 0 for a single asset at weight 1, so its deficit is exactly the cash
        d = w[j] * amount + (w[j] * held - v)
        if amount < 0:
            d = -d
        out[j] = d if d > 0 else 0.0
        gap += out[j]
    size = abs(amount)
    if amount < 0 and total <= 0:  # everything goes
        for j in range(m):
            out[j] = -q[j] * p[j]
        return
    scale = min(1.0, size / gap) if gap > 0 else 0.0
    sign = 1.0 if amount >= 0 else -1.0
    for j in range(m):
        out[j] = sign * out[j] * scale


def allocate_flow(values: np.ndarray, weights: np.ndarray, amount: float) -> np.ndarray:
    """Dollars bought (+) or sold (-) per asset when ``amount`` arrives (> 0) or leaves (< 0).

    ``values`` are the holdings in dollars at the fill prices, ``weights`` the targets. Buys go
    to what is under-weight first, sales come from what is over-weight first (see ``_allocate``);
    what executors use for contributions, and for withdrawals taken toward the targets.
    """
    v = np.asarray(values, dtype=np.float64)
    out = np.empty(len(v))
    _allocate(v, np.ones(len(v)), np.asarray(weights, dtype=np.float64), float(v.sum()), float(amount), out)
    return out


def order_deltas(shares: np.ndarray, cash: float, prices: np.ndarray, weights: np.ndarray,
                 cost: float, *, invest_only: bool, whole: bool, unit: np.ndarray | None = None) -> np.ndarray:
    """Deltas in account units (negative = sell) that move the portfolio to ``weights`` at ``prices``."""
    delta = np.empty(len(shares))
    unit = np.ones(len(shares)) if unit is None else np.asarray(unit, dtype=np.float64)
    size_into(np.asarray(shares, dtype=np.float64), float(cash), np.asarray(prices, dtype=np.float64),
              np.asarray(weights, dtype=np.float64), float(cost), bool(invest_only), bool(whole), unit, delta)
    return delta


@kernel
def raise_into(q: np.ndarray, cash: float, p: np.ndarray, w: np.ndarray, cost: float, whole: bool,
               unit: np.ndarray, delta: np.ndarray) -> None:
    """Write the sells (negative deltas) that bring a negative ``cash`` back to 0 into ``delta``.

    Used to pay a withdrawal (runner.flows). The sale is taken toward the targets ``w``, the
    reverse of a contribution (:func:`_allocate`): only what is over its target after the sale
    is sold, in proportion to its excess, so a drifted portfolio moves back toward its weights
    (for a single asset, or holdings at their targets, that is selling every holding pro rata).
    The gross sale is ``-cash / (1 - cost)``, so the proceeds after costs equal ``-cash`` (with
    whole shares each sale is rounded up, so they cover it). The caller makes sure the holdings
    can cover it (otherwise the account is depleted).
    """
    m = q.shape[0]
    held = 0.0
    for j in range(m):
        held += q[j] * p[j]
        delta[j] = 0.0
    if cash >= 0.0 or held <= 0.0:
        return
    gross = min(-cash / (1.0 - cost), held)
    _allocate(q, p, w, held, -gross, delta)
    for j in range(m):
        if q[j] <= 0 or delta[j] >= 0:
            delta[j] = 0.0
            continue
        d = min(-delta[j] / p[j], q[j])
        if whole:
            d = min(float(math.ceil(d / unit[j] - 1e-9)) * unit[j], q[j])
        delta[j] = -d


def raise_deltas(shares: np.ndarray, cash: float, prices: np.ndarray, weights: np.ndarray, cost: float, *,
                 whole: bool, unit: np.ndarray | None = None) -> np.ndarray:
    """Deltas in account units (sells) that pay a negative cash balance back to 0 at ``prices``."""
    delta = np.empty(len(shares))
    unit = np.ones(len(shares)) if unit is None else np.asarray(unit, dtype=np.float64)
    raise_into(np.asarray(shares, dtype=np.float64), float(cash), np.asarray(prices, dtype=np.float64),
               np.asarray(weights, dtype=np.float64), float(cost), bool(whole), unit, delta)
    return delta
