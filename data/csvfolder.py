"""Reading CSV files: one file per symbol (prices) or per FRED series.

Tolerant of the header spellings that common sources write (Yahoo ``Adj Close``, snake case
``adj_close``, Alpha Vantage ``adjusted_close``, FRED ``observation_date``/``DATE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from r2k.data.csvdates import parse_csv_dates
from r2k.data.errors import DataError, R2KError
from r2k.data.symbols import KNOWN_SERIES, canonical_series, symbol_from_stem
from r2k.data.validate import Checked, validate_prices, validate_series

_ALIASES = {
    "date": "date", "datetime": "date", "timestamp": "date", "observation_date": "date", "time": "date",
    "open": "open", "high": "high", "low": "low",
    "close": "close", "price": "close", "last": "close",
    "adj_close": "adj_close", "adjclose": "adj_close", "adjusted_close": "adj_close",
    "adj": "adj_close", "close_adj": "adj_close",
    "volume": "volume", "vol": "volume",
    "dividends": "dividends", "dividend": "dividends", "dividend_amount": "dividends",
    "value": "value",
}


def _norm(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")
    return _ALIASES.get(key, key)


@dataclass
class CsvItem:
    """One file of a CSV folder, read and validated."""

    path: Path
    kind: str  # "prices" or "series"
    name: str  # canonical symbol or FRED id
    checked: Checked


def read_csv_file(path: Path) -> CsvItem:
    """Read one CSV file as prices or as an economic series, decided by its columns."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=True, na_values=[".", "", "null", "NaN", "nan"])
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read CSV ({exc})") from None
    if raw.empty or raw.shape[1] < 2:
        raise DataError(f"{path}: no data rows or fewer than two columns")
    names = [_norm(c) for c in raw.columns]
    if "date" not in names:
        names[0] = "date" if names[0] not in _ALIASES.values() else names[0]
    if "date" not in names:
        raise DataError(f"{path}: no date column (columns: {', '.join(raw.columns)})")
    raw.columns = names
    raw = raw.loc[:, ~pd.Index(names).duplicated()]
    raw = raw.set_index("date")
    raw.index = parse_csv_dates(raw.index, path.name)  # one format per file, never guessed row by row
    stem = path.stem
    others = [c for c in raw.columns]
    is_series = (
        stem.upper() in KNOWN_SERIES
        or others == ["value"]
        or (len(others) == 1 and others[0] not in {"close", "adj_close"})
    )
    if is_series:
        try:
            sid = canonical_series(stem)
        except R2KError:
            raise DataError(f"{path}: the file name {path.name!r} is not a FRED series id; name it after the "
                            "series (DFF.csv)") from None
        col = others[0]
        return CsvItem(path, "series", sid, validate_series(raw[col], sid))
    try:
        symbol = symbol_from_stem(stem)
    except R2KError:
        raise DataError(f"{path}: the file name {path.name!r} is not a symbol; name it after its ticker "
                        "(IWM.csv, RUT.csv for ^RUT)") from None
    if "close" not in raw.columns and "adj_close" in raw.columns:
        raw["close"] = raw["adj_close"]
    return CsvItem(path, "prices", symbol, validate_prices(raw, symbol))


def scan_folder(folder: Path) -> list[Path]:
    """The CSV files of a folder, sorted by name."""
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise DataError(f"{folder}: no .csv files")
    return files
