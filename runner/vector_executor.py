"""The vectorized executor: the backtrader executor's accounting, in numpy.

It trades exactly what runner.bt_executor trades (same sizing function, same order of
operations), so the two agree to float rounding; it only skips backtrader's per-bar machinery.
Between two events (a decision, a deposit, a fill) holdings are constant, so the account value
over the whole stretch is one matrix product.

Order of operations on day i, matching Cerebro with cheat-on-open / coc:
1. next-open fills of the previous close's decision, at ``opens[i]``;
2. the close: cash flow ``flows[i]`` arrives, value is recorded;
3. a decision (or a deposit) at this close: next-open orders wait for day i+1; close fills
   execute at ``closes[i]`` but are booked after day i's record (backtrader books coc orders in
   the next bar's broker step, at the decision day's close price).
"""

from __future__ import annotations

import numpy as np

from r2k.runner.execution import Execution
from r2k.runner.plan import Plan
from r2k.runner.sizing import order_deltas


def _apply(deltas: np.ndarray, prices: np.ndarray, shares: np.ndarray, cash: float, cost: float,
           day: int, trades: list[tuple]) -> float:
    """Execute sells then buys at ``prices``; return the new cash (shares are updated in place)."""
    d_list, p_list = deltas.tolist(), prices.tolist()
    for sells in (True, False):
        for j, d in enumerate(d_list):
            if d == 0 or (d < 0) != sells:
                continue
            notional = abs(d) * p_list[j]
            comm = notional * cost
            cash = cash + (notional - comm) if d < 0 else cash - (notional + comm)
            shares[j] += d
            trades.append((day, j, d, p_list[j], notional))
    return cash


def _trade_rows(trades: list[tuple], plan: Plan) -> list[dict]:
    """Trade records in the executors' common format (dates formatted once, at the end)."""
    if not trades:
        return []
    days = plan.calendar[[t[0] for t in trades]].strftime("%Y-%m-%d")
    return [{"date": day, "symbol": plan.assets[j], "side": "buy" if d > 0 else "sell", "size": abs(d), "price": p,
             "value": notional, "commission": notional * plan.commission, "slippage": notional * plan.slippage}
            for day, (_, j, d, p, notional) in zip(days, trades, strict=True)]


def run_vector(plan: Plan) -> Execution:
    n, m = len(plan.calendar), len(plan.assets)
    flows = plan.flows
    cost = plan.cost
    arriving = plan.arriving()
    trade_day = plan.trade_days()
    events = np.flatnonzero(trade_day)
    if plan.fill == "next-open":
        events = np.union1d(events, events[events + 1 < n] + 1)

    value = np.empty(n)
    cash_hist = np.empty(n)
    shares_hist = np.empty((n, m))
    shares = np.zeros(m)
    cash = float(flows[0])
    trades: list[tuple] = []
    pending: tuple[int, bool] | None = None
    last = 0  # first day not yet recorded
    for i in events:
        if i > last:  # quiet stretch: nothing changes but prices
            value[last:i] = cash + plan.closes[last:i] @ shares
            cash_hist[last:i] = cash
            shares_hist[last:i] = shares
        if pending is not None:
            decided, invest_only = pending
            pending = None
            deltas = order_deltas(shares, cash, plan.opens[i], plan.weights[decided], cost,
                                  invest_only=invest_only, whole=plan.whole_shares)
            cash = _apply(deltas, plan.opens[i], shares, cash, cost, i, trades)
        if arriving[i]:
            cash += arriving[i]
        value[i] = cash + float(plan.closes[i] @ shares)
        cash_hist[i] = cash
        shares_hist[i] = shares
        last = i + 1
        if trade_day[i]:
            invest_only = not plan.decide[i]
            if plan.fill == "close":
                deltas = order_deltas(shares, cash, plan.closes[i], plan.weights[i], cost,
                                      invest_only=invest_only, whole=plan.whole_shares)
                cash = _apply(deltas, plan.closes[i], shares, cash, cost, i, trades)
            else:
                pending = (i, invest_only)
    if last < n:
        value[last:] = cash + plan.closes[last:] @ shares
        cash_hist[last:] = cash
        shares_hist[last:] = shares
    return Execution(value=value, cash=cash_hist, shares=shares_hist, trades=_trade_rows(trades, plan))
