"""Putting several symbols on one trading calendar, and series on it without look-ahead."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from r2k.data.errors import DataError

#: Business days between an economic observation's date and the day it is known (FRED: next day).
PUBLICATION_LAG_BDAYS = 1

#: Series whose observation for month M (dated the 1st of M) is published later than a day after
#: its date: the day of month M+1 on (or after, on a weekend) which it is known. CPI is released
#: by BLS around the 10th-15th of the next month; we take the 15th. Every other series is known
#: ``PUBLICATION_LAG_BDAYS`` business days after its date (daily FRED series).
MONTHLY_RELEASE_DAY = {"CPIAUCSL": 15, "CPIAUCNS": 15}

#: CPI releases that BLS made later than the 15th of the next month because of a federal government
#: shutdown (month -> release day). Taking the 15th there would let a strategy see a value up to two
#: weeks before anyone could. October 2025 was never published at all.
LATE_CPI_RELEASES = {"2013-09": "2013-10-30", "2013-10": "2013-11-20", "2025-09": "2025-10-24",
                     "2025-11": "2025-12-18"}


def adjusted_ohlc(frame: pd.DataFrame) -> pd.DataFrame:
    """Total-return adjusted open/high/low/close: each raw price times ``adj_close / close``.

    This is what yfinance's ``auto_adjust=True`` does; for files that are already adjusted
    (adj_close == close) the factor is 1.
    """
    col = {c: frame[c].to_numpy() for c in ("open", "high", "low", "close", "adj_close", "volume")}
    k = col["adj_close"] / col["close"]  # on arrays: the same arithmetic, without pandas' per-Series work
    return pd.DataFrame(
        {
            "open": col["open"] * k,
            "high": col["high"] * k,
            "low": col["low"] * k,
            "close": col["adj_close"],
            "volume": col["volume"],
        },
        index=frame.index,
    )


@dataclass
class Window:
    """The run's window after clipping to the data, with what was clipped and why."""

    start: pd.Timestamp
    end: pd.Timestamp
    notes: list[str]


def common_window(frames: dict[str, pd.DataFrame], start: pd.Timestamp | None,
                  end: pd.Timestamp | None) -> Window:
    """Clip [start, end] to the range every symbol covers; say which symbol limited it."""
    notes: list[str] = []
    firsts = {s: f.index[0] for s, f in frames.items()}
    lasts = {s: f.index[-1] for s, f in frames.items()}
    late_sym = max(firsts, key=firsts.get)
    early_sym = min(lasts, key=lasts.get)
    lo, hi = firsts[late_sym], lasts[early_sym]
    s = lo if start is None else max(start, lo)
    e = hi if end is None else min(end, hi)
    if start is not None and start < lo:
        notes.append(f"{late_sym} data starts {lo:%Y-%m-%d}; the run starts there, not {start:%Y-%m-%d}")
    if end is not None and end > hi:
        notes.append(f"{early_sym} data ends {hi:%Y-%m-%d}; the run ends there, not {end:%Y-%m-%d}")
    if s >= e:
        have = ", ".join(f"{k} {firsts[k]:%Y-%m-%d}..{lasts[k]:%Y-%m-%d}" for k in frames)
        want = f"{start:%Y-%m-%d}" if start is not None else "(data start)"
        want += f"..{end:%Y-%m-%d}" if end is not None else "..(data end)"
        raise DataError(f"no overlap between the requested window {want} and the data ({have})")
    return Window(pd.Timestamp(s), pd.Timestamp(e), notes)


def trading_calendar(frames: dict[str, pd.DataFrame], window: Window) -> pd.DatetimeIndex:
    """Union of the symbols' trading days inside the window."""
    idx = None
    for f in frames.values():
        part = f.index[(f.index >= window.start) & (f.index <= window.end)]
        idx = part if idx is None else idx.union(part)
    return pd.DatetimeIndex(idx, name="date")


def on_calendar(frame: pd.DataFrame, calendar: pd.DatetimeIndex, symbol: str) -> tuple[pd.DataFrame, list[str]]:
    """Reindex an (adjusted) OHLC frame onto the calendar.

    A day the symbol did not trade carries the previous close as open/high/low/close and zero
    volume, so nothing fills at NaN (a NaN fill poisons backtrader's cash for the rest of a run).
    """
    notes: list[str] = []
    out = frame.reindex(calendar)
    missing = out["close"].isna()
    if missing.any():
        out["close"] = out["close"].ffill()
        for col in ("open", "high", "low"):
            out[col] = out[col].fillna(out["close"])
        out["volume"] = out["volume"].fillna(0.0)
        n = int(missing.sum())
        if out["close"].isna().any():
            raise DataError(f"{symbol}: no price on the first day of the run {calendar[0]:%Y-%m-%d}")
        notes.append(f"{symbol}: {n} calendar days without a bar carried the previous close")
    return out, notes


def published_dates(series_id: str, dates: pd.DatetimeIndex,
                    lag_bdays: int = PUBLICATION_LAG_BDAYS) -> pd.DatetimeIndex:
    """The day each observation of ``series_id`` becomes known (its publication lag applied).

    Monthly CPI for month M: the 15th of M+1, rolled forward to a business day (the later release day
    for the shutdown months in ``LATE_CPI_RELEASES``); any other series:
    ``lag_bdays`` business days after its date.
    """
    dates = pd.DatetimeIndex(dates)
    day = MONTHLY_RELEASE_DAY.get(str(series_id).upper())
    if day is None:
        return dates + pd.offsets.BDay(lag_bdays)
    release = dates.to_period("M").to_timestamp() + pd.offsets.MonthBegin(1) + pd.Timedelta(days=day - 1)
    late = [LATE_CPI_RELEASES.get(f"{d:%Y-%m}") for d in dates]
    return pd.DatetimeIndex([pd.Timestamp(x) if x else pd.offsets.BDay(0).rollforward(d)
                             for d, x in zip(release, late, strict=True)])


def known_asof(series: pd.Series, calendar: pd.DatetimeIndex, series_id: str | None = None) -> pd.Series:
    """The latest value of ``series`` published by each calendar day (its own publication lag)."""
    s = series.dropna()
    avail = published_dates(series_id or str(series.name), s.index)
    order = np.argsort(avail.values, kind="stable")
    pos = np.searchsorted(avail.values[order], calendar.values, side="right") - 1
    vals = s.to_numpy()[order]
    out = np.where(pos >= 0, vals[np.clip(pos, 0, None)], np.nan)
    return pd.Series(out, index=calendar, name=series.name)


def published_asof(series: pd.Series, calendar: pd.DatetimeIndex,
                   lag_bdays: int = PUBLICATION_LAG_BDAYS) -> pd.Series:
    """The latest value known on each calendar day, given a publication lag in business days."""
    avail = series.index + pd.offsets.BDay(lag_bdays)
    pos = np.searchsorted(avail.values, calendar.values, side="right") - 1
    vals = np.where(pos >= 0, series.to_numpy()[np.clip(pos, 0, None)], np.nan)
    return pd.Series(vals, index=calendar, name=series.name)
