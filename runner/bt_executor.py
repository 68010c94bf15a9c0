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
- commission and slippage are one percentage commission on traded value.
"""

from __future__ import annotations

import numpy as np

from r2k.data.errors import EngineError
from r2k.runner.execution import Execution
from r2k.runner.plan import Plan
from r2k.runner.sizing import order_deltas


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


def run_backtrader(plan: Plan, *, feed=None, stdstats: bool = False) -> Execution:
    """Trade ``plan`` in Cerebro. ``feed(bt, plan, j)`` and ``stdstats`` exist for the benchmark
    that compares us with a stock Cerebro (bench/bt_path.py); runs use the defaults."""
    import backtrader as bt

    feed = feed or _feed
    n, m = len(plan.calendar), len(plan.assets)
    day_of = {d.date(): i for i, d in enumerate(plan.calendar)}
    value = np.full(n, np.nan)
    cash = np.full(n, np.nan)
    shares = np.zeros((n, m))
    trades: list[dict] = []
    rejected: list[str] = []
    cost = plan.cost
    trade_days = plan.trade_days()

    class RuleExecutor(bt.Strategy):
        def __init__(self):
            self.pending: tuple[int, bool] | None = None  # (decision day, invest_only)

        def _submit(self, deltas: np.ndarray) -> None:
            for j in np.argsort(deltas > 0, kind="stable"):  # sells (and no-ops) first
                if deltas[j] < 0:
                    self.sell(data=self.datas[j], size=float(-deltas[j]))
                elif deltas[j] > 0:
                    self.buy(data=self.datas[j], size=float(deltas[j]))

        def _holdings(self) -> np.ndarray:
            return np.array([self.getposition(d).size for d in self.datas], dtype=float)

        def next_open(self):
            if self.pending is None:
                return
            i = day_of[self.datas[0].datetime.date(0)]
            decided, invest_only = self.pending
            self.pending = None
            deltas = order_deltas(self._holdings(), self.broker.getcash(), plan.opens[i],
                                  plan.weights[decided], cost, invest_only=invest_only,
                                  whole=plan.whole_shares)
            self._submit(deltas)

        def next(self):
            i = day_of[self.datas[0].datetime.date(0)]
            flow = plan.flows[i] if i > 0 else 0.0
            if flow:
                self.broker.add_cash(flow)
                self.broker._get_value()  # credit it now, at this close (pitfalls §5)
            if trade_days[i]:
                invest_only = not plan.decide[i]
                if plan.fill == "close":
                    deltas = order_deltas(self._holdings(), self.broker.getcash(), plan.closes[i],
                                          plan.weights[i], cost, invest_only=invest_only,
                                          whole=plan.whole_shares)
                    self._submit(deltas)
                else:
                    self.pending = (i, invest_only)
            value[i] = self.broker.getvalue()
            cash[i] = self.broker.getcash()
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
        cerebro.adddata(feed(bt, plan, j))
    cerebro.addstrategy(RuleExecutor)
    broker = cerebro.broker
    broker.setcash(float(plan.flows[0]))
    broker.set_fundmode(True)
    broker.set_checksubmit(False)
    broker.set_coc(plan.fill == "close")
    broker.addcommissioninfo(
        bt.CommInfoBase(commission=cost, commtype=bt.CommInfoBase.COMM_PERC, percabs=True, stocklike=True)
    )
    cerebro.run()
    if rejected:
        raise EngineError(f"{len(rejected)} orders were rejected by the broker, first: {rejected[0]}")
    if np.isnan(value).any():
        raise EngineError("the account value became NaN; a price feed has a gap")
    return Execution(value=value, cash=cash, shares=shares, trades=trades, rejected=rejected)
