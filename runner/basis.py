"""What a run really traded on: each symbol's price basis, the fill it really got, how shares count.

The words a report prints about fills and prices come from here, from the data the run used,
not from the options it was given: a close-only file (VTWO, IJR, SGOV in the snapshot: no open
price; validation sets open = close) cannot fill at the next open, and a price index (^RUT)
carries no dividends, whatever a flag says.

Rules (README "How r2k counts"):

- *close-only*: a symbol whose open, high and low equal its close on every day of the run. A
  next-open order in it fills at the next day's close (the only later price there is), and the
  fill is labelled "next close (no open prices: ...)";
- *price index*: a ``^`` symbol (other than a total-return index ``^...TR``): index levels,
  no dividends, labelled "price index (no dividends)";
- *total-return adjusted*: everything else, OHLC scaled by adj_close / close (dividends
  reinvested); when the file's close differs from its adj_close the raw traded close is known
  (used to size whole shares, runner.sizing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from r2k.data.symbols import CASH

PRICE_INDEX = "price index (no dividends)"
TR_INDEX = "total-return index"
ADJUSTED = "total-return adjusted (dividends reinvested): OHLC scaled by Adj Close / Close"
ADJUSTED_CLOSE_ONLY = "total-return adjusted close only (no open prices)"
CASH_BASIS = "cash index accruing DFF (act/360)"

NEXT_OPEN = "market orders decided at a close fill at the next day's open"
AT_CLOSE = "market orders fill at the close of the day they are decided"


def is_price_index(symbol: str) -> bool:
    """A ``^`` index quoted as a price level (``^RUT``, ``^GSPC``), not a total-return index."""
    return symbol.startswith("^") and not symbol.upper().endswith("TR")


def close_only(frame: pd.DataFrame) -> bool:
    """True when no day of ``frame`` has an open, high or low apart from its close."""
    if frame.empty:
        return False
    c = frame["close"].to_numpy()
    return bool(all(np.array_equal(frame[col].to_numpy(), c) for col in ("open", "high", "low")))


def has_raw_close(frame: pd.DataFrame) -> bool:
    """True when the file's close is the traded price and adj_close differs (dividends known)."""
    return bool((frame["adj_close"] != frame["close"]).any())


def price_basis(symbol: str, frame: pd.DataFrame | None) -> str:
    """One phrase for a symbol's prices over the run (``frame``: its stored rows in the window)."""
    if symbol == CASH:
        return CASH_BASIS
    if symbol.startswith("^"):
        return PRICE_INDEX if is_price_index(symbol) else TR_INDEX
    if frame is not None and close_only(frame):
        return ADJUSTED_CLOSE_ONLY
    return ADJUSTED


@dataclass
class Basis:
    """The basis of one run: per-symbol prices, the fill really used, and the words for them."""

    fill: str  # "next-open" | "close" (the option)
    prices: dict[str, str]  # symbol -> price_basis phrase (traded symbols and the benchmark)
    close_only: list[str]  # traded (or benchmark) symbols without open prices
    notes: list[str] = field(default_factory=list)

    def fill_text(self, symbols: list[str]) -> str:
        """The fill the orders in ``symbols`` really got, as the summary's first line shows it."""
        if self.fill == "close":
            return f"close: {AT_CLOSE}"
        late = [s for s in symbols if s in self.close_only]
        if not late:
            return f"next-open: {NEXT_OPEN}"
        if len(late) == len([s for s in symbols if s != CASH]):
            return (f"next close (no open prices: {', '.join(late)}): market orders decided at a close fill at the "
                    "next day's close")
        return f"next-open: {NEXT_OPEN}; {', '.join(late)} has no open prices, so its orders fill at the next day's close"

    def prices_text(self, symbols: list[str]) -> str:
        """The price basis of ``symbols``: one phrase if they share it, else one per symbol."""
        phrases = {s: self.prices[s] for s in symbols if s in self.prices}
        if len(set(phrases.values())) == 1:
            return next(iter(phrases.values()))
        return "; ".join(f"{s}: {p}" for s, p in phrases.items())


def run_basis(fill: str, frames: dict[str, pd.DataFrame], window: tuple[pd.Timestamp, pd.Timestamp]) -> Basis:
    """The basis of a run whose symbols' stored frames are ``frames``, traded over ``window``."""
    lo, hi = window
    prices: dict[str, str] = {}
    late: list[str] = []
    notes: list[str] = []
    for sym, frame in frames.items():
        part = None if frame is None else frame.loc[lo:hi]
        prices[sym] = price_basis(sym, part)
        if sym != CASH and part is not None and close_only(part):
            late.append(sym)
            if fill == "next-open":
                notes.append(f"{sym} has no open prices (close-only data): its next-open orders fill at the next "
                             "day's close")
    return Basis(fill, prices, late, notes)
