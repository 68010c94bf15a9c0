"""The vectorized executor: the backtrader executor's accounting in one plain loop.

It trades exactly what runner.bt_executor trades (the same sizing function, the same order of
operations), so the two agree to float rounding; it only skips backtrader's per-bar machinery.
Per day the loop is a handful of multiplications: 25 years of bars cost ~20 ms in plain Python
(a single run), tens of microseconds compiled by numba (a sweep's batches: runner.kernels).

Order of operations on day i, matching Cerebro with cheat-on-open / coc:
1. next-open fills of the previous close's decision, at ``opens[i]``;
2. the close: cash flow ``flows[i]`` arrives;
   a withdrawal is paid at this close: the shares that fund it are sold at ``closes[i]``
   (runner.flows); one the account cannot pay empties it for good;
3. with drift bands and no decision at this close: runner.drift.band_breach on the holdings at
   ``closes[i]``; a breach makes this close a rebalance (to ``weights[i]``);
4. a decision (or a deposit) at this close: close fills execute at ``closes[i]``; next-open
   orders wait for day i+1;
5. the day is recorded: value, cash and holdings after everything at that close, so with
   ``--fill close`` day i's row holds day i's fills and a fill on the last day is in the final
   value (backtrader books coc orders in the next bar's broker step; its executor carries them
   until then, runner.bt_executor).
"""

from __future__ import annotations

import numpy as np

from r2k.runner.drift import band_breach
from r2k.runner.execution import Execution, TradeLog
from r2k.runner.kernels import kernel, pick
from r2k.runner.plan import Plan
from r2k.runner.sizing import raise_into, size_into


@kernel
def _fill(delta, prices, q, cash, cost, day, log_day, log_asset, log_delta, log_price, k):
    """Execute sells then buys at ``prices``; log them from row ``k``; return (cash, next row)."""
    for sells in (True, False):
        for j in range(q.shape[0]):
            d = delta[j]
            if d == 0 or (d < 0) != sells:
                continue
            notional = abs(d) * prices[j]
            comm = notional * cost
            cash = cash + (notional - comm) if d < 0 else cash - (notional + comm)
            q[j] += d
            log_day[k], log_asset[k], log_delta[k], log_price[k] = day, j, d, prices[j]
            k += 1
    return cash, k


@kernel
def _run(opens, closes, weights, decide, trade_day, arriving, wd, wr, cash, cost, whole, units, next_open, band, band_rel,
         value, cash_hist, shares_hist, paid, log_day, log_asset, log_delta, log_price, ev_day, ev_asset, ev_weight):
    """The account day by day; returns (trades logged, depletion day or -1, band rebalances logged)."""
    n, m = closes.shape
    q = np.zeros(m)
    delta = np.empty(m)
    k = 0
    pending = -1
    pending_invest = False
    depleted = -1
    banded = band > 0 or band_rel > 0
    e = 0
    for i in range(n):
        if pending >= 0:
            size_into(q, cash, opens[i], weights[pending], cost, pending_invest, whole, units[i], delta)
            cash, k = _fill(delta, opens[i], q, cash, cost, i, log_day, log_asset, log_delta, log_price, k)
            pending = -1
        cash += arriving[i]
        if depleted < 0 and (wd[i] > 0 or wr[i] > 0):
            held = 0.0
            for j in range(m):
                held += closes[i, j] * q[j]
            want = wd[i] + wr[i] * (cash + held)
            liquid = cash + held * (1.0 - cost)
            if want >= liquid * (1.0 - 1e-12):  # cannot pay: pay what is left, sell everything
                for j in range(m):
                    delta[j] = -q[j]
                _, k = _fill(delta, closes[i], q, cash, cost, i, log_day, log_asset, log_delta, log_price, k)
                paid[i] = max(liquid, 0.0)
                for j in range(m):
                    q[j] = 0.0
                cash = 0.0
                depleted = i
            else:
                cash -= want
                paid[i] = want
                if cash < 0:
                    raise_into(q, cash, closes[i], weights[i], cost, whole, units[i], delta)
                    cash, k = _fill(delta, closes[i], q, cash, cost, i, log_day, log_asset, log_delta, log_price, k)
        breach = -1
        if banded and depleted < 0 and not decide[i]:
            breach = band_breach(q, closes[i], weights[i], band, band_rel)
            if breach >= 0:
                held = 0.0
                for j in range(m):
                    held += closes[i, j] * q[j]
                ev_day[e], ev_asset[e], ev_weight[e] = i, breach, closes[i, breach] * q[breach] / held
                e += 1
        if (trade_day[i] or breach >= 0) and depleted < 0:
            invest_only = not decide[i] and breach < 0
            if next_open:
                pending, pending_invest = i, invest_only
            else:
                size_into(q, cash, closes[i], weights[i], cost, invest_only, whole, units[i], delta)
                cash, k = _fill(delta, closes[i], q, cash, cost, i, log_day, log_asset, log_delta, log_price, k)
        held = 0.0
        for j in range(m):
            held += closes[i, j] * q[j]
            shares_hist[i, j] = q[j]
        value[i] = cash + held
        cash_hist[i] = cash
    return k, depleted, e


def run_vector(plan: Plan, *, compiled: bool = False) -> Execution:
    """Trade ``plan``; ``compiled`` runs the numba copy of the day loop (for batches: runner.kernels)."""
    n, m = len(plan.calendar), len(plan.assets)
    trade_day = plan.trade_days(compiled=compiled)
    wd, wr = plan.withdrawals()
    value, cash_hist, shares, paid = np.empty(n), np.empty(n), np.empty((n, m)), np.zeros(n)
    days = n if plan.banded else int(np.count_nonzero(trade_day))
    capacity = (days + int(np.count_nonzero((wd > 0) | (wr > 0)))) * m
    log_day, log_asset = np.empty(capacity, dtype=np.int64), np.empty(capacity, dtype=np.int64)
    log_delta, log_price = np.empty(capacity), np.empty(capacity)
    events = n if plan.banded else 0
    ev_day, ev_asset, ev_weight = np.empty(events, dtype=np.int64), np.empty(events, dtype=np.int64), np.empty(events)
    k, depleted, e = pick(_run, compiled)(np.ascontiguousarray(plan.opens, dtype=np.float64),
                       np.ascontiguousarray(plan.closes, dtype=np.float64),
                       np.ascontiguousarray(plan.weights, dtype=np.float64), plan.decide, trade_day, plan.arriving(),
                       wd, wr, float(plan.flows[0]), float(plan.cost), bool(plan.whole_shares),
                       np.ascontiguousarray(plan.share_units()), plan.fill == "next-open", float(plan.band),
                       float(plan.band_relative), value, cash_hist,
                       shares, paid, log_day, log_asset, log_delta, log_price, ev_day, ev_asset, ev_weight)
    log = TradeLog(plan, log_day[:k], log_asset[:k], log_delta[:k], log_price[:k])
    flows = np.asarray(plan.flows, dtype=np.float64) - paid
    rebalances = list(zip(ev_day[:e].tolist(), ev_asset[:e].tolist(), ev_weight[:e].tolist(), strict=True))
    return Execution(value=value, cash=cash_hist, shares=shares, trades=log, flows=flows, depleted=int(depleted),
                     rebalances=rebalances)
