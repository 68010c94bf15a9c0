"""The backtrader executor: runs a Plan through Cerebro and reports the account day by day.

Choices, each from a measured trap (../shared/docs/pitfalls.md):

- fund mode on, but returns are computed from value and the cash-flow ledger (fund mode
  misprices deposit days, §1.7);
- a deposit is credited at the close it arrives (``add_cash`` then a forced valuation), so it is
  in the account when the orders it pays for execute (§5);
- next-open fills use ``cheat_on_open``: the order is sized in ``next_open`` from the open it
  fills at (known at that moment), never from the unknown close (§1.8); close fills use
  ``coc``;
- sells are submitted before buys, buys fit the cash (runner.sizing), and any rejected order
  fails the run loudly;
- a withdrawal is paid at its close (runner.flows): ``add_cash(-amount)``, then close-priced
  (coc) sells (runner.sizing.raise_into: over-weight first). Backtrader books those in the next bar's broker step,
  so until then the executor carries them as a *shadow* (the holdings and cash as if booked):
  the day's record and any sizing before the booking (a close-fill rebalance the same evening,
  the next morning's ``next_open``) see the account after the sale, as the vectorized executor
  does. The broker's ``coc`` is on for those sells only when fills are at the next open
  (``coc=False`` on each next-open order);
- commission and slippage are one percentage commission on traded value.
"""

from __future__ import annotations

import numpy as np

from r2k.data.errors import EngineError
from r2k.runner.drift import band_breach
from r2k.runner.execution import Execution
from r2k.runner.plan import Plan
from r2k.runner.sizing import order_deltas, raise_deltas


def _feed(bt, plan: Plan, j: int):
    """Asset j as a preloaded feed (whole columns, no per-cell pandas reads)."""
    import pandas as pd

    from r2k.runner.bt_feed import make_feed

    frame = pd.DataFrame(
        {
            "open": plan.opens[:, j],
            "high": np.maximum(plan.opens[:, j], plan.closes[:, j]),
            "low": np.minimum(plan.opens[:, j], plan.closes[:, j]),
            "close": plan.closes[:, j],
        },
        index=plan.calendar,
    )
    return make_feed(bt, frame, plan.assets[j])


def _with_sentinel(plan: Plan) -> Plan:
    """The plan's prices plus one more bar repeating the last one (feeds only read prices).

    backtrader executes a close (coc) order in the broker step of the *next* bar, so an order
    decided on the last day would never fill; this bar lets it fill (at the last close) and is
    dropped from every record.
    """
    import dataclasses

    import pandas as pd

    cal = plan.calendar.append(pd.DatetimeIndex([plan.calendar[-1] + pd.offsets.BDay(1)]))
    return dataclasses.replace(plan, calendar=cal, opens=np.vstack([plan.opens, plan.closes[-1:]]),
                               closes=np.vstack([plan.closes, plan.closes[-1:]]))


def run_backtrader(plan: Plan, *, feed=None, stdstats: bool = False) -> Execution:
    """Trade ``plan`` in Cerebro. ``feed(bt, plan, j)`` and ``stdstats`` exist for the benchmark
    that compares us with a stock Cerebro (bench/bt_path.py); runs use the defaults."""
    import backtrader as bt

    feed = feed or _feed
    n, m = len(plan.calendar), len(plan.assets)
    fed = _with_sentinel(plan) if plan.fill == "close" else plan
    day_of = {d.date(): i for i, d in enumerate(fed.calendar)}
    units = plan.share_units()
    value = np.full(n, np.nan)
    cash = np.full(n, np.nan)
    shares = np.zeros((n, m))
    trades: list[dict] = []
    rejected: list[str] = []
    cost = plan.cost
    trade_days = plan.trade_days()
    wd, wr = plan.withdrawals()
    paid = np.zeros(n)
    next_open_kw = {"coc": False} if plan.fill == "next-open" else {}
    rebalances: list[tuple[int, int, float]] = []

    class RuleExecutor(bt.Strategy):
        def __init__(self):
            self.pending: tuple[int, bool] | None = None  # (decision day, invest_only)
            self.shadow: tuple[np.ndarray, float] | None = None  # unbooked withdrawal sells: (share deltas, cash)
            self.depleted = -1

        def _submit(self, deltas: np.ndarray, **kw) -> None:
            for j in np.argsort(deltas > 0, kind="stable"):  # sells (and no-ops) first
                if deltas[j] < 0:
                    self.sell(data=self.datas[j], size=float(-deltas[j]), **kw)
                elif deltas[j] > 0:
                    self.buy(data=self.datas[j], size=float(deltas[j]), **kw)

        def _holdings(self) -> np.ndarray:
            q = np.array([self.getposition(d).size for d in self.datas], dtype=float)
            return q if self.shadow is None else q + self.shadow[0]

        def _cash(self) -> float:
            return self.broker.getcash() + (0.0 if self.shadow is None else self.shadow[1])

        def next_open(self):
            if self.pending is None:
                return
            i = day_of[self.datas[0].datetime.date(0)]
            decided, invest_only = self.pending
            self.pending = None
            deltas = order_deltas(self._holdings(), self._cash(), plan.opens[i],
                                  plan.weights[decided], cost, invest_only=invest_only,
                                  whole=plan.whole_shares, unit=units[i])
            self._submit(deltas, **next_open_kw)

        def _withdraw(self, i: int) -> None:
            """Pay day i's withdrawal at this close (sells booked next bar: carried as the shadow)."""
            q, c, p = self._holdings(), self._cash(), plan.closes[i]
            held = float(q @ p)
            want = wd[i] + wr[i] * (c + held)
            liquid = c + held * (1.0 - cost)
            if want >= liquid * (1.0 - 1e-12):  # cannot pay: pay what is left, sell everything
                paid[i] = max(liquid, 0.0)
                deltas = -q
                self.depleted = i
            else:
                paid[i] = want
                deltas = raise_deltas(q, c - want, p, plan.weights[i], cost, whole=plan.whole_shares, unit=units[i])
            self.broker.add_cash(-paid[i])
            self.broker._get_value()  # debit it now, at this close
            self._submit(deltas)
            self._book_at_close(deltas, p)

        def _book_at_close(self, deltas: np.ndarray, p: np.ndarray) -> None:
            """Carry orders submitted at this close (booked next bar, at this close) as the shadow,
            so the day is recorded as it stands after them."""
            change = float(-(deltas * p).sum() - (np.abs(deltas) * p).sum() * cost)
            if self.shadow is None:
                self.shadow = (deltas.copy(), change)
            else:
                self.shadow = (self.shadow[0] + deltas, self.shadow[1] + change)

        def next(self):
            i = day_of[self.datas[0].datetime.date(0)]
            self.shadow = None  # yesterday's close orders were booked in this bar's broker step
            if i == n:  # the sentinel bar only lets the last day's close orders execute
                return
            if self.depleted >= 0:  # the depletion sells were booked in this bar's broker step: nothing is left
                value[i:] = cash[i:] = 0.0
                shares[i:] = 0.0
                self.env.runstop()
                return
            flow = plan.flows[i] if i > 0 else 0.0
            if flow:
                self.broker.add_cash(flow)
                self.broker._get_value()  # credit it now, at this close (pitfalls §5)
            if wd[i] > 0 or wr[i] > 0:
                self._withdraw(i)
            if self.depleted >= 0:
                value[i] = cash[i] = 0.0
                shares[i] = 0.0
                return
            breach = -1
            if plan.banded and not plan.decide[i]:
                held = self._holdings()
                breach = band_breach(held, plan.closes[i], plan.weights[i], plan.band, plan.band_relative)
                if breach >= 0:
                    values = held * plan.closes[i]
                    rebalances.append((i, breach, float(values[breach] / values.sum())))
            if trade_days[i] or breach >= 0:
                invest_only = not plan.decide[i] and breach < 0
                if plan.fill == "close":
                    deltas = order_deltas(self._holdings(), self._cash(), plan.closes[i],
                                          plan.weights[i], cost, invest_only=invest_only,
                                          whole=plan.whole_shares, unit=units[i])
                    self._submit(deltas)
                    self._book_at_close(deltas, plan.closes[i])
                else:
                    self.pending = (i, invest_only)
            # the day as it stands after everything at this close (close fills included)
            value[i] = self._cash() + float(self._holdings() @ plan.closes[i])
            cash[i] = self._cash()
            shares[i] = self._holdings()

        def notify_order(self, order):
            if order.status == order.Completed:
                ex = order.executed
                notional = abs(ex.size) * ex.price
                trades.append({
                    "date": bt.num2date(ex.dt).date().isoformat(),
                    "symbol": order.data._name,
                    "side": "buy" if order.isbuy() else "sell",
                    "size": abs(ex.size),
                    "price": ex.price,
                    "value": notional,
                    "commission": notional * plan.commission,
                    "slippage": notional * plan.slippage,
                })
            elif order.status in (order.Margin, order.Rejected, order.Canceled):
                rejected.append(
                    f"{order.getstatusname()} {'buy' if order.isbuy() else 'sell'} {order.data._name} "
                    f"size {order.created.size:g} on {bt.num2date(order.created.dt):%Y-%m-%d}"
                )

    cerebro = bt.Cerebro(stdstats=stdstats, cheat_on_open=(plan.fill == "next-open"))
    for j in range(m):
        cerebro.adddata(feed(bt, fed, j))
    cerebro.addstrategy(RuleExecutor)
    broker = cerebro.broker
    broker.setcash(float(plan.flows[0]))
    broker.set_fundmode(True)
    broker.set_checksubmit(False)
    broker.set_coc(True)  # close fills, and withdrawal sells (next-open orders say coc=False)
    broker.addcommissioninfo(
        bt.CommInfoBase(commission=cost, commtype=bt.CommInfoBase.COMM_PERC, percabs=True, stocklike=True)
    )
    with np.errstate(invalid="ignore", divide="ignore"):  # fund value of an emptied account is 0 / 0
        strategy = cerebro.run()[0]
    if rejected:
        raise EngineError(f"{len(rejected)} orders were rejected by the broker, first: {rejected[0]}")
    if np.isnan(value).any():
        raise EngineError("the account value became NaN; a price feed has a gap")
    return Execution(value=value, cash=cash, shares=shares, trades=trades, rejected=rejected,
                     flows=np.asarray(plan.flows, dtype=np.float64) - paid, depleted=strategy.depleted,
                     rebalances=rebalances)
