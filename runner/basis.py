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


def share_units(frame: pd.DataFrame | None, calendar: pd.DatetimeIndex) -> np.ndarray:
    """Account units per traded share on each calendar day: ``close / adj_close`` (1 for CASH,
    indices and files without a raw close, where the adjusted price is the only price)."""
    if frame is None:
        return np.ones(len(calendar))
    if not (frame.index.is_monotonic_increasing and frame.index.is_unique):
        return share_units_plain(frame, calendar)
    # on arrays (a sweep asks once per window): the ratio on each calendar day, else the last one before
    ratio = frame["close"].to_numpy(dtype="float64") / frame["adj_close"].to_numpy(dtype="float64")
    at = frame.index.get_indexer(calendar)
    k = np.where(at >= 0, ratio[np.maximum(at, 0)] if len(ratio) else np.nan, np.nan)
    seen = np.where(np.isnan(k), -1, np.arange(len(k)))
    last = np.maximum.accumulate(seen) if len(k) else seen
    return np.where(last >= 0, k[np.maximum(last, 0)], 1.0)


def share_units_plain(frame: pd.DataFrame, calendar: pd.DatetimeIndex) -> np.ndarray:
    """:func:`share_units` in pandas: the reference (tests/test_adjusted_ohlc.py holds the two equal)."""
    k = (frame["close"] / frame["adj_close"]).reindex(calendar).ffill()
    return k.fillna(1.0).to_numpy(dtype="float64")


def shares_text(whole: bool, symbols: list[str], frames: dict[str, pd.DataFrame | None]) -> str:
    """How an allocation rule's share counts are made, for the assumptions."""
    if not whole:
        return "fractional shares"
    no_raw = [s for s in symbols if s != CASH and frames.get(s) is not None and not has_raw_close(frames[s])
              and not s.startswith("^")]
    text = "whole shares at the traded (split-adjusted, not dividend-adjusted) price, sized from the raw close/open"
    if no_raw:
        text += f"; {', '.join(no_raw)} has no raw close, so its shares are whole units of the adjusted price"
    return text


def with_share_columns(trades: pd.DataFrame, units: dict[str, pd.Series]) -> pd.DataFrame:
    """Add ``shares`` and ``share_price``: each trade in real shares at the traded price.

    ``size``/``price`` are in the account's units (total-return adjusted); ``shares = size /
    unit`` and ``share_price = price * unit`` describe the same trade (same value) in shares.
    """
    out = trades.copy()
    if out.empty:
        out["shares"], out["share_price"] = [], []
        return out
    dates = pd.DatetimeIndex(pd.to_datetime(out["date"]))
    unit = np.array([float(units[s].get(d, 1.0)) if s in units else 1.0 for s, d in zip(out["symbol"], dates, strict=True)])
    out["shares"] = out["size"].to_numpy(dtype="float64") / unit
    out["share_price"] = out["price"].to_numpy(dtype="float64") * unit
    return out


def backtrader_shares_text(sizes: np.ndarray, whole_flag: bool) -> str:
    """How a plain backtrader strategy's share counts were made: read from its trades."""
    sizes = np.asarray(sizes, dtype="float64")
    if len(sizes) and np.all(np.abs(sizes - np.round(sizes)) < 1e-9):
        text = ("whole units of the total-return adjusted price, as the strategy sized its orders (backtrader's "
                "order_target_* and sizers round down), not real shares")
    else:
        text = "as the strategy sized its orders: fractional units of the total-return adjusted price"
    if whole_flag:
        text += "; --whole-shares does not apply to a backtrader strategy"
    return text


def warmup_text(calendar: pd.DatetimeIndex, first_bar: int) -> str:
    """What history a plain backtrader strategy saw: only the window, with its warm-up inside it."""
    text = ("a backtrader strategy sees only the window's bars, so its indicators warm up inside the window "
            "(allocation rules see all stored history before it)")
    if first_bar > 0:
        text += (f": it first acted on {calendar[first_bar]:%Y-%m-%d} (bar {first_bar + 1}) and held cash on the "
                 f"{first_bar} bars before")
    return text
