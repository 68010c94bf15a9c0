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


def _fill_last_close(broker, symbols: list[str], last_close: np.ndarray, cost: float, day: pd.Timestamp,
                     value: np.ndarray, cash: np.ndarray, shares: np.ndarray, trades: list[dict], rejected: list[str],
                     commission: float, slippage: float) -> None:
    """Market orders the strategy placed at the last close: filled there, as --fill close promises.

    backtrader would execute them in a bar that never comes. They are filled in submission order
    at the last close with the run's costs, as the broker would; a buy the cash cannot pay is
    rejected (and reported like any rejected order).
    """
    import backtrader as bt

    left = [o for o in list(broker.submitted) + list(broker.pending)
            if o.alive() and o.exectype in (None, bt.Order.Market)]
    for o in left:
        j = symbols.index(o.data._name)
        size = float(o.created.size)
        price = float(last_close[j])
        notional = abs(size) * price
        if size > 0 and notional * (1 + cost) > cash[-1] * (1 + 1e-12):
            rejected.append(f"Margin buy {o.data._name} size {size:g} on {day:%Y-%m-%d}")
            continue
        cash[-1] += -size * price - notional * cost
        shares[-1, j] += size
        trades.append({"date": f"{day:%Y-%m-%d}", "symbol": o.data._name, "side": "buy" if size > 0 else "sell",
                       "size": abs(size), "price": price, "value": notional, "commission": notional * commission,
                       "slippage": notional * slippage})
    if left:
        value[-1] = cash[-1] + float(shares[-1] @ last_close)


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

    closes = np.column_stack([ohlc[sym]["close"].to_numpy() for sym in symbols])
    acted: list[int] = []  # bars the strategy's next() ran on
    close_fill = fill == "close"

    class Recorder(bt.Analyzer):
        """Credits contributions at the close and records the account every bar.

        With ``--fill close`` backtrader executes a bar's orders in the next bar's broker step
        (at the ordering bar's close), so each day is recorded again on the next bar, after
        those fills and before that bar's deposit: a day's row holds that day's fills.
        """

        def prenext(self):  # the strategy is still warming up its indicators
            self._record()

        def next(self):  # the strategy's own next() ran on this bar
            if not acted:
                acted.append(day_of[self.strategy.datas[0].datetime.date(0)])
            self._record()

        def _record(self):
            i = day_of[self.strategy.datas[0].datetime.date(0)]
            broker = self.strategy.broker
            if close_fill and i > 0:
                held = np.array([self.strategy.getposition(d).size for d in self.strategy.datas], dtype=float)
                cash[i - 1] = broker.getcash()
                shares[i - 1] = held
                value[i - 1] = cash[i - 1] + float(held @ closes[i - 1])
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
    if close_fill and not np.isnan(value[-1]):
        _fill_last_close(broker, symbols, closes[-1], commission + slippage, calendar[-1], value, cash, shares, trades,
                         rejected, commission, slippage)
    first = acted[0] if acted else n
    return Execution(value=value, cash=cash, shares=shares, trades=trades, rejected=rejected, first_bar=first)
