"""Plain backtrader strategies used by the engine tests."""

import backtrader as bt


class BuyOnceBT(bt.Strategy):
    """Buy a fixed number of shares on the first bar and hold."""

    r2k_name = "buy-once-bt"
    r2k_symbols = ["IWM"]
    params = (("size", 10),)

    def next(self):
        if not self.position:
            self.buy(size=self.p.size)


class SmaWarmupBT(bt.Strategy):
    """Needs 20 bars of warm-up; buys everything it can when the warm-up ends."""

    r2k_symbols = ["IWM"]
    params = (("period", 20),)

    def __init__(self):
        self.sma = bt.indicators.SMA(self.data.close, period=self.p.period)

    def next(self):
        cash = self.broker.getcash()
        if cash > 1.0:
            self.buy(size=cash * 0.99 / self.data.close[0])


class Broken(bt.Strategy):
    """Raises on the fifth bar."""

    def next(self):
        if len(self) == 5:
            raise ValueError("boom")


class BuyOnLastBarBT(bt.Strategy):
    """Buys 5 shares on the last bar only (a --fill close order the broker would never execute)."""

    r2k_symbols = ["IWM"]

    def next(self):
        if len(self) == self.data.buflen():
            self.buy(size=5)
