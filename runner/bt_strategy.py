"""Running a plain backtrader Strategy subclass: the escape hatch for event-driven logic.

Convention: the class's backtrader ``params`` are its parameters (``-p key=value`` is coerced to
each default's type); ``r2k_symbols`` (default ``["IWM"]``) lists the symbols loaded as data
feeds, in that order (``self.datas[0]`` is the first); ``r2k_name`` names it.

r2k adds what the strategy should not have to care about: total-return adjusted feeds on one
calendar, commission + slippage, fill timing (next open, or the close with ``--fill close``),
contributions (credited at the close after the strategy's ``next``, usable from the next bar),
and an account record from which flow-neutral returns are computed exactly as for rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from r2k.data.errors import UsageError
from r2k.runner.execution import Execution
from r2k.runner.usercode import user_code_errors
from r2k.strategies.base import coerce


def _param_defaults(cls) -> dict[str, Any]:
    p = cls.params
    if isinstance(p, dict):
        return dict(p)
    if isinstance(p, (tuple, list)):
        return {k: v for k, v in p}
    # a class already processed by backtrader's metaclass
    return {k: getattr(p, k) for k in p._getkeys()}


def strategy_params(cls, overrides: dict[str, Any]) -> dict[str, Any]:
    """Defaults updated with coerced overrides; an unknown key is a usage error listing the valid ones."""
    defaults = _param_defaults(cls)
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        valid = ", ".join(f"{k}={v!r}" for k, v in defaults.items()) or "(none)"
        raise UsageError(f"unknown parameter {', '.join(unknown)} for {getattr(cls, 'r2k_name', cls.__name__)}; valid: {valid}")
    return {k: coerce(overrides[k], v, k) if k in overrides else v for k, v in defaults.items()}


def strategy_symbols(cls) -> list[str]:
    from r2k.data.symbols import declared_symbol

    who = getattr(cls, "r2k_name", cls.__name__)
    return [declared_symbol(s, who, rewrite=True) for s in getattr(cls, "r2k_symbols", ["IWM"])]


def run_strategy(cls, params: dict[str, Any], ohlc: dict[str, pd.DataFrame], symbols: list[str],
                 calendar: pd.DatetimeIndex, flows: np.ndarray, *, fill: str, commission: float,
                 slippage: float) -> Execution:
    import backtrader as bt

    n, m = len(calendar), len(symbols)
    day_of = {d.date(): i for i, d in enumerate(calendar)}
    value = np.full(n, np.nan)
    cash = np.full(n, np.nan)
    shares = np.zeros((n, m))
    trades: list[dict] = []
    rejected: list[str] = []

    class Recorder(bt.Analyzer):
        """Credits contributions at the close and records the account every bar."""

        def next(self):
            i = day_of[self.strategy.datas[0].datetime.date(0)]
            broker = self.strategy.broker
            if i > 0 and flows[i]:
                broker.add_cash(flows[i])
                broker._get_value()  # credit it now, at this close (pitfalls §5)
            value[i] = broker.getvalue()
            cash[i] = broker.getcash()
            shares[i] = [self.strategy.getposition(d).size for d in self.strategy.datas]

        def notify_order(self, order):
            if order.status == order.Completed:
                ex = order.executed
                notional = abs(ex.size) * ex.price
                trades.append({"date": bt.num2date(ex.dt).date().isoformat(), "symbol": order.data._name,
                               "side": "buy" if order.isbuy() else "sell", "size": abs(ex.size), "price": ex.price,
                               "value": notional, "commission": notional * commission, "slippage": notional * slippage})
            elif order.status in (order.Margin, order.Rejected):
                rejected.append(f"{order.getstatusname()} {'buy' if order.isbuy() else 'sell'} {order.data._name} "
                                f"size {order.created.size:g} on {bt.num2date(order.created.dt):%Y-%m-%d}")

    cerebro = bt.Cerebro(stdstats=False)
    from r2k.runner.bt_feed import make_feed

    for s in symbols:
        cerebro.adddata(make_feed(bt, ohlc[s], s))
    cerebro.addstrategy(cls, **params)
    cerebro.addanalyzer(Recorder)
    broker = cerebro.broker
    broker.setcash(float(flows[0]))
    broker.set_fundmode(True)
    broker.set_coc(fill == "close")
    broker.addcommissioninfo(bt.CommInfoBase(commission=commission + slippage, commtype=bt.CommInfoBase.COMM_PERC,
                                             percabs=True, stocklike=True))
    with user_code_errors(cls):
        cerebro.run()
    # bars before the strategy's first next() (indicator warm-up) still hold the starting cash
    first = int(np.argmax(~np.isnan(value))) if not np.isnan(value).all() else n
    value[:first] = flows[0]
    cash[:first] = flows[0]
    return Execution(value=value, cash=cash, shares=shares, trades=trades, rejected=rejected)
