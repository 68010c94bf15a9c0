"""The date column of one CSV file: one format for the whole file, never guessed row by row.

Guessing each row on its own (pandas ``format="mixed"``) reads ``03/04/2020`` as March 4th and
``13/04/2020`` as April 13th in the same file: a day-first file imports with scrambled dates and
a tenth of its rows turn into "weekend rows". So the file's format is decided once, from all its
values: ISO (``YYYY-MM-DD``, also ``YYYY/MM/DD`` and ``YYYYMMDD``), month-first
(``MM/DD/YYYY``) or day-first (``DD/MM/YYYY``). A file whose values fit both of the last two is
refused rather than guessed.
"""

from __future__ import annotations

import re

import pandas as pd

from r2k.data.errors import DataError

_ISO = re.compile(r"^\d{4}([-/.])\d{1,2}\1\d{1,2}$")
_COMPACT = re.compile(r"^\d{8}$")
_YEAR_LAST = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})$")


def _date_part(value: str) -> str:
    """The date of ``2020-01-02 00:00:00-05:00`` or ``2020-01-02T16:00``: ``2020-01-02``."""
    return re.split(r"[ T]", value.strip(), maxsplit=1)[0]


def _sample(values: list[str]) -> str:
    return ", ".join(values[:2])


#: pandas' nanosecond timestamps end here; a later date cannot be stored or computed with.
LAST_DAY = pd.Timestamp("2262-04-11")
FIRST_DAY = pd.Timestamp("1677-09-22")


def parse_csv_dates(values: pd.Index, name: str) -> pd.DatetimeIndex:
    """Parse a file's date strings with the one format they all share; raise DataError if none."""
    idx = _parse(values, name)
    naive = idx.tz_localize(None) if idx.tz is not None else idx
    out = (naive > LAST_DAY) | (naive < FIRST_DAY)
    if out.any():
        raise DataError(f"dates in {name}: {naive[out][0]:%Y-%m-%d} is outside {FIRST_DAY:%Y-%m-%d}..{LAST_DAY:%Y-%m-%d}, "
                        "the dates r2k can compute with; fix or remove that row")
    return idx


def _parse(values: pd.Index, name: str) -> pd.DatetimeIndex:
    raw = [str(v) for v in values]
    missing = [i for i, v in enumerate(values) if pd.isna(v) or not str(v).strip()]
    if missing:
        raise DataError(f"dates in {name}: {len(missing)} rows have no date (first at data row {missing[0] + 1})")
    parts = [_date_part(v) for v in raw]
    if all(_ISO.match(p) for p in parts):
        sep = _ISO.match(parts[0]).group(1)
        fmt = f"%Y{sep}%m{sep}%d"
        plain = all(len(v.strip()) == len(p) for v, p in zip(raw, parts, strict=True))
        if plain and all(_ISO.match(p).group(1) == sep for p in parts):
            return _strict(parts, fmt, name)
        return _iso8601(raw, name)  # ISO dates with times or offsets: pandas' strict ISO parser
    if all(_COMPACT.match(p) for p in parts):
        return _strict(parts, "%Y%m%d", name)
    matches = [_YEAR_LAST.match(p) for p in parts]
    if all(matches):
        return _year_last(parts, matches, name)
    numeric = [p for p, m in zip(parts, matches, strict=True) if m or _ISO.match(p) or _COMPACT.match(p)]
    if numeric:
        odd = next(p for p in parts if not (_YEAR_LAST.match(p) or _ISO.match(p) or _COMPACT.match(p)))
        raise DataError(f"dates in {name} mix formats (e.g. {numeric[0]!r} and {odd!r}); use YYYY-MM-DD throughout")
    # month names (``Jan 2, 2020``, ``02-Jan-2020``) cannot be read day-first by mistake
    try:
        idx = pd.to_datetime(pd.Index(raw), format="mixed", dayfirst=False)
    except (ValueError, TypeError):
        raise DataError(f"dates in {name} are not in a format r2k reads (e.g. {_sample(raw)}); use YYYY-MM-DD") from None
    return pd.DatetimeIndex(idx)


def _strict(parts: list[str], fmt: str, name: str) -> pd.DatetimeIndex:
    idx = pd.to_datetime(pd.Index(parts), format=fmt, errors="coerce")
    bad = [p for p, t in zip(parts, idx, strict=True) if pd.isna(t)]
    if bad:
        shown = fmt.replace("%Y", "YYYY").replace("%y", "YY").replace("%m", "MM").replace("%d", "DD")
        raise DataError(f"dates in {name}: {len(bad)} are not valid {shown} dates (e.g. {_sample(bad)})")
    return pd.DatetimeIndex(idx)


def _iso8601(raw: list[str], name: str) -> pd.DatetimeIndex:
    try:
        idx = pd.to_datetime(pd.Index(raw), format="ISO8601", utc=any(re.search(r"[+-]\d\d:?\d\d$|Z$", v) for v in raw))
    except (ValueError, TypeError):
        raise DataError(f"dates in {name} are not valid ISO dates (e.g. {_sample(raw)})") from None
    return pd.DatetimeIndex(idx)


def _year_last(parts: list[str], matches: list[re.Match], name: str) -> pd.DatetimeIndex:
    seps = {m.group(2) for m in matches}
    years = {len(m.group(4)) for m in matches}
    if len(seps) > 1 or len(years) > 1:
        raise DataError(f"dates in {name} mix formats (e.g. {_sample(parts)}); use YYYY-MM-DD throughout")
    first = [int(m.group(1)) for m in matches]
    second = [int(m.group(3)) for m in matches]
    day_first = any(v > 12 for v in first)
    month_first = any(v > 12 for v in second)
    if day_first and month_first:
        a = next(p for p, v in zip(parts, first, strict=True) if v > 12)
        b = next(p for p, v in zip(parts, second, strict=True) if v > 12)
        raise DataError(f"dates in {name} mix day-first and month-first ({a!r} and {b!r}); use YYYY-MM-DD throughout")
    if not (day_first or month_first):
        raise DataError(f"dates in {name} could be day-first or month-first (e.g. {_sample(parts)}); "
                        "rewrite them as YYYY-MM-DD")
    sep = seps.pop()
    year = "%Y" if years.pop() == 4 else "%y"
    fmt = f"%d{sep}%m{sep}{year}" if day_first else f"%m{sep}%d{sep}{year}"
    return _strict(parts, fmt, name)
