"""Validation and repair of price frames and economic series.

Every frame that enters the store or a backtest passes through here. Row-level defects are
repaired with a note that says what was dropped or filled; structural defects raise
:class:`DataError`. A single NaN close would otherwise turn backtrader's cash into NaN for the rest
of a run without any error (pitfalls.md, table row 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from r2k.data.closecheck import repair_close_spikes
from r2k.data.errors import DataError
from r2k.data.symbols import YIELD_SYMBOLS

PRICE_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume", "dividends"]

#: A one-day adjusted move larger than this on an ETF is probably an unadjusted split.
SPLIT_JUMP = 0.40

#: Share of rows that may be repaired before a frame is rejected as unusable.
MAX_REPAIRED_SHARE = 0.05


@dataclass
class Checked:
    """A validated frame (or series) and the notes on what was repaired."""

    frame: pd.DataFrame | pd.Series
    notes: list[str] = field(default_factory=list)


def _dates(values: list) -> str:
    shown = ", ".join(pd.Timestamp(v).strftime("%Y-%m-%d") for v in values[:3])
    return shown + (f" and {len(values) - 3} more" if len(values) > 3 else "")


def normalize_index(index: pd.Index, what: str) -> pd.DatetimeIndex:
    """Parse an index to tz-naive midnight timestamps; raise on unparseable dates."""
    if isinstance(index, pd.DatetimeIndex):
        idx = index
    else:
        idx = pd.to_datetime(pd.Index(index).astype(str), errors="coerce", format="mixed")
        bad = idx.isna()
        if bad.any():
            sample = list(pd.Index(index)[bad][:3])
            raise DataError(f"{what}: {int(bad.sum())} unparseable dates (e.g. {sample})")
    if idx.tz is not None:
        idx = idx.tz_convert("America/New_York").tz_localize(None)
    return pd.DatetimeIndex(idx.normalize().astype("datetime64[ns]"), name="date")


def _sort_dedupe(df: pd.DataFrame | pd.Series, what: str, notes: list[str]):
    if not df.index.is_monotonic_increasing:
        notes.append(f"{what}: dates were not in order; sorted")
        df = df.sort_index(kind="stable")
    dup = df.index.duplicated(keep="last")
    if dup.any():
        notes.append(f"{what}: {int(dup.sum())} duplicate dates ({_dates(list(df.index[dup]))}); kept the last row of each")
        df = df[~dup]
    return df


def validate_prices(raw: pd.DataFrame, symbol: str, *, is_index: bool | None = None) -> Checked:
    """Check and repair a daily price frame with canonical lower-case columns.

    Rules: dates parse, sort, unique, weekdays only; closes finite and positive (bad rows are
    dropped and named); ``adj_close`` defaults to ``close``; a close (or adjusted close) whose
    adjustment factor leaves its level for a day or two is rebuilt from the other (closecheck);
    missing open/high/low become the close; high/low are widened to contain open and close;
    volume and dividends default to 0.
    """
    notes: list[str] = []
    if "close" not in raw.columns:
        raise DataError(f"{symbol}: no close column (columns: {', '.join(map(str, raw.columns))})")
    df = raw.copy()
    df.index = normalize_index(df.index, symbol)
    for col in PRICE_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df = df[PRICE_COLUMNS]
    df = _sort_dedupe(df, symbol, notes)

    weekend = df.index.day_of_week >= 5
    if weekend.any():
        notes.append(f"{symbol}: dropped {int(weekend.sum())} weekend rows ({_dates(list(df.index[weekend]))})")
        df = df[~weekend]
    if df.empty:
        raise DataError(f"{symbol}: no rows")

    n_rows = len(df)
    close = df["close"]

    if symbol in YIELD_SYMBOLS:  # a yield of 0 % (2020) or below is data, not a defect
        bad = ~np.isfinite(close)
    else:
        bad = ~np.isfinite(close) | (close <= 0)
    adj = df["adj_close"]
    bad_adj = np.isfinite(close) & (close > 0) & (np.isfinite(adj) & (adj <= 0))
    bad |= bad_adj
    if bad.any():
        kinds = []
        if close.isna().any():
            kinds.append("missing")
        if (close <= 0).any() or bad_adj.any():
            kinds.append("zero or negative")
        notes.append(
            f"{symbol}: dropped {int(bad.sum())} rows with {' or '.join(kinds) or 'bad'} closes "
            f"({_dates(list(df.index[bad]))})"
        )
        df = df[~bad]
    if df.empty:
        raise DataError(f"{symbol}: no valid closes")

    if df["adj_close"].isna().all():
        df["adj_close"] = df["close"]
        notes.append(f"{symbol}: no adjusted close; returns are price-only (dividends not included)")
    elif df["adj_close"].isna().any():
        ratio = (df["adj_close"] / df["close"]).ffill().bfill()
        n = int(df["adj_close"].isna().sum())
        df["adj_close"] = df["adj_close"].fillna(df["close"] * ratio)
        notes.append(f"{symbol}: filled {n} missing adjusted closes from the neighbouring adjustment factor")
    if symbol not in YIELD_SYMBOLS:
        df, spike_notes = repair_close_spikes(df, symbol)
        notes += spike_notes

    for col in ("open", "high", "low"):
        miss = ~np.isfinite(df[col]) | ((df[col] <= 0) & (df["close"] > 0))
        if miss.all():
            df[col] = df["close"]
        elif miss.any():
            notes.append(f"{symbol}: filled {int(miss.sum())} missing {col} prices with the close")
            df.loc[miss, col] = df.loc[miss, "close"]
    hi = df[["open", "close"]].max(axis=1)
    lo = df[["open", "close"]].min(axis=1)
    broken = (df["high"] < hi * (1 - 1e-9)) | (df["low"] > lo * (1 + 1e-9)) | (df["low"] > df["high"])
    if broken.any():
        notes.append(f"{symbol}: repaired {int(broken.sum())} rows whose high/low did not contain open and close")
    df["high"] = np.maximum(df["high"], hi)
    df["low"] = np.minimum(df["low"], lo)
    df["volume"] = df["volume"].fillna(0.0)
    df["dividends"] = df["dividends"].fillna(0.0)

    repaired = n_rows - len(df)
    if repaired > MAX_REPAIRED_SHARE * max(n_rows, 1) and repaired > 5:
        raise DataError(f"{symbol}: {repaired} of {n_rows} rows are unusable; the file looks broken")

    if is_index is None:
        is_index = symbol.startswith("^")
    if not is_index and len(df) > 1:
        jumps = df["adj_close"].pct_change().abs() > SPLIT_JUMP
        if jumps.any():
            notes.append(
                f"{symbol}: one-day moves over {SPLIT_JUMP:.0%} on {_dates(list(df.index[jumps]))}; "
                "check for an unadjusted split"
            )
    return Checked(df, notes)


def validate_series(raw: pd.Series, series_id: str) -> Checked:
    """Check an economic series: parseable sorted unique dates, numeric values.

    FRED writes '.' for days without an observation; those rows are dropped without a note
    because they carry no information.
    """
    notes: list[str] = []
    s = pd.to_numeric(pd.Series(raw.values, index=raw.index), errors="coerce").astype("float64")
    s.index = normalize_index(raw.index, series_id)
    s = _sort_dedupe(s, series_id, notes)
    s = s[np.isfinite(s)]
    if s.empty:
        raise DataError(f"{series_id}: no numeric observations")
    s.name = series_id
    return Checked(s, notes)
