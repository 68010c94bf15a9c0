"""Example plain backtrader strategy: a moving-average crossover on IWM.

    r2k strategies show sma-cross --strategy-path examples
    r2k run sma-cross --strategy-path examples --start 2005-01-01 --end 2024-12-31 --offline

r2k feeds it the symbols in r2k_symbols (total-return adjusted OHLC on one calendar) and handles
cash, contributions, costs and fill timing; the strategy only decides when to buy and sell.
"""

import backtrader as bt


class SmaCross(bt.Strategy):
    """Hold IWM while its `fast`-day simple moving average is above its `slow`-day one, else cash.
    Invests `target` of the account when fast > slow and sells everything when fast < slow."""

    r2k_name = "sma-cross"
    r2k_symbols = ["IWM"]
    params = (("fast", 50), ("slow", 200), ("target", 0.95))

    def __init__(self):
        self.fast = bt.indicators.SMA(self.data.close, period=self.p.fast)
        self.slow = bt.indicators.SMA(self.data.close, period=self.p.slow)

    def next(self):
        if self.fast[0] > self.slow[0] and not self.position:
            # keep a cash buffer: the order is sized at today's close and fills at the next open
            self.order_target_percent(target=self.p.target)
        elif self.fast[0] < self.slow[0] and self.position:
            self.close()
