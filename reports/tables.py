"""Investor tables: month-by-month and calendar-year total returns, ETF-versus-index tracking.

Pure computations on closes (``adj_close``: total return for funds; an index's ``adj_close`` is its
level, a price return) plus one small table type rendered as Markdown, CSV or JSON. Values are
fractions inside and percent only when rendered.

Period returns come from closes, never from compounding stored returns: a month's return is the
last close of the month over the last close of the month before, minus 1; a year's likewise with
year-end closes. A period the data does not fully cover is *marked* (``*`` and a note saying
through which date it reaches), never shown as if it were complete.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from r2k.data.errors import DataError, UsageError
from r2k.reports import metrics

PARTIAL = "*"
ANNUALISATION = 252


# --------------------------------------------------------------------------------------------
# the table type and its three renderings


@dataclass
class Cell:
    """One value: a fraction shown in percent (``kind="pct"``) or a count (``"int"``); None is n/a."""

    value: float | None
    mark: str = ""
    kind: str = "pct"


@dataclass
class Row:
    label: str
    cells: list[Cell]
    note: str = ""  # why the row is marked (partial period, missing data); a footnote in Markdown
    mark: str = ""


@dataclass
class Table:
    """A titled table whose numbers are fractions until rendered; notes explain the conventions."""

    title: str
    corner: str
    columns: list[str]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def _text(cell: Cell) -> str:
    if cell.value is None or (isinstance(cell.value, float) and not math.isfinite(cell.value)):
        return "n/a"
    if cell.kind == "int":
        return f"{int(cell.value):,}"
    return f"{100.0 * cell.value:.2f}{cell.mark}"


def _csv_value(cell: Cell) -> str:
    if cell.value is None or not math.isfinite(float(cell.value)):
        return ""
    return str(int(cell.value)) if cell.kind == "int" else f"{100.0 * cell.value:.6f}"


def _json_value(cell: Cell) -> float | int | None:
    if cell.value is None or not math.isfinite(float(cell.value)):
        return None
    return int(cell.value) if cell.kind == "int" else round(100.0 * float(cell.value), 6)


def to_markdown(table: Table) -> str:
    """A Markdown table padded for a terminal: numbers right-aligned, 2 decimals, unit in the title."""
    marked = [any(r.cells[i].mark for r in table.rows) for i in range(len(table.columns))]

    def pad(line: list[str]) -> list[str]:
        # a marked number is one character wider: pad the others in its column so the digits line up
        return [line[0], *(t + " " if marked[i] and not t.endswith(PARTIAL) else t for i, t in enumerate(line[1:]))]

    header = pad([table.corner, *table.columns])
    body = [pad([r.label + r.mark, *(_text(c) for c in r.cells)]) for r in table.rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def fmt(line: list[str], widths: list[int]) -> str:
        cells = [line[0].ljust(widths[0]), *(t.rjust(w) for t, w in zip(line[1:], widths[1:], strict=True))]
        return "| " + " | ".join(cells) + " |"

    def rule(w: list[int]) -> str:
        return "|:" + "-" * (w[0] + 1) + "|" + "|".join("-" * (x + 1) + ":" for x in w[1:]) + "|"

    lines = [table.title, ""]
    for cols in _column_blocks(widths):  # a table wider than the terminal: blocks of columns, row labels repeated
        pick = [0, *cols]
        if len(lines) > 2:
            lines.append("")
        lines += [fmt([header[i] for i in pick], [widths[i] for i in pick]), rule([widths[i] for i in pick]),
                  *(fmt([line[i] for i in pick], [widths[i] for i in pick]) for line in body)]
    foot = [f"{PARTIAL} {r.label}: {r.note}" if r.mark else f"{r.label}: {r.note}" for r in table.rows if r.note]
    if foot or table.notes:
        lines.append("")
    lines += foot + table.notes
    return "\n".join(lines)


def _column_blocks(widths: list[int], width: int | None = None) -> list[list[int]]:
    """Value columns (indices from 1) in blocks whose Markdown lines, with the row-label column,
    fit ``width`` (the 100-column terminal); one block when the whole table fits."""
    from r2k.reports.terminal import WIDTH

    width = WIDTH if width is None else width
    used = 4 + widths[0]  # "| " + label + " |"
    blocks: list[list[int]] = [[]]
    size = used
    for i in range(1, len(widths)):
        if blocks[-1] and size + widths[i] + 3 > width:
            blocks.append([])
            size = used
        blocks[-1].append(i)
        size += widths[i] + 3
    return blocks


def to_csv(table: Table) -> str:
    """One header line, then one line per row; percent values, empty for n/a, a ``note`` column."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([table.corner, *table.columns, "note"])
    for r in table.rows:
        w.writerow([r.label, *(_csv_value(c) for c in r.cells), r.note])
    return buf.getvalue().rstrip("\n")


def to_json(table: Table) -> str:
    """The table as JSON: values in percent (null for n/a), marked columns listed per row."""
    rows = []
    for r in table.rows:
        rows.append({
            table.corner: r.label,
            "values": {c: _json_value(cell) for c, cell in zip(table.columns, r.cells, strict=True)},
            "partial": [c for c, cell in zip(table.columns, r.cells, strict=True) if cell.mark],
            "note": r.note or None,
        })
    doc = {"title": table.title, "unit": "percent", **table.meta, "columns": table.columns, "rows": rows, "notes": table.notes}
    return json.dumps(doc, indent=2, allow_nan=False)


def render(table: Table, fmt: str) -> str:
    """``markdown`` (default), ``csv`` or ``json``."""
    return {"markdown": to_markdown, "csv": to_csv, "json": to_json}[fmt](table)


# --------------------------------------------------------------------------------------------
# calendar helpers


def expected_last_session(period: pd.Period) -> pd.Timestamp:
    """The last day of ``period`` on which US exchanges should trade.

    The last weekday of the period, skipping the two exchange holidays that can fall on a
    month's last weekday (Good Friday, Memorial Day). Used only to decide whether data that
    *ends* inside the period covers all of it; an unscheduled closure can make a complete month
    look partial, never the reverse.
    """
    from pandas.tseries.holiday import GoodFriday, USMemorialDay

    last = period.end_time.normalize()
    first = period.start_time.normalize()
    holidays = set()
    for rule in (GoodFriday, USMemorialDay):
        holidays.update(pd.DatetimeIndex(rule.dates(first, last)).normalize())
    day = last
    while day.weekday() >= 5 or day in holidays:
        day -= pd.Timedelta(days=1)
    return day


def is_index(symbol: str) -> bool:
    """Index tickers (``^RUT``) are price indices: their close leaves out dividends."""
    return symbol.startswith("^")


def basis_note(symbols: list[str]) -> str:
    idx = [s for s in symbols if is_index(s)]
    funds = [s for s in symbols if not is_index(s)]
    parts = []
    if funds:
        parts.append(f"{', '.join(funds)}: total return from adjusted closes (dividends reinvested)")
    if idx:
        parts.append(f"{', '.join(idx)}: price {'index' if len(idx) == 1 else 'indices'} (no dividends)")
    return "; ".join(parts) + "."


# --------------------------------------------------------------------------------------------
# monthly table


def parse_month(text: str | None) -> pd.Period | None:
    """A date in the one grammar (r2k.data.dates; ``YYYY-MM`` or a day or year) -> the monthly Period
    it ends in (UsageError otherwise)."""
    from r2k.data.dates import month_of

    month = month_of(text, "--end", end=True)
    return None if month is None else pd.Period(month, freq="M")


def month_ends(closes: pd.Series) -> pd.DataFrame:
    """Last close of each calendar month and the date it was taken, indexed by monthly Period."""
    s = closes.dropna()
    per = s.index.to_period("M")
    return pd.DataFrame({"close": s.groupby(per).last(), "date": pd.Series(s.index, index=s.index).groupby(per).last()})


def last_complete_month(closes: pd.Series) -> pd.Period:
    """The last month whose final session is in the data."""
    last = closes.dropna().index[-1]
    p = last.to_period("M")
    return p if last >= expected_last_session(p) else p - 1


def monthly_table(closes: dict[str, pd.Series], months: int = 12, end: pd.Period | str | None = None) -> Table:
    """Total return of each month for each symbol, plus the compounded return over the months shown.

    ``end`` defaults to the last month complete for every symbol. A month a symbol covers only in
    part (its data ends before the month's last session) is shown marked; a month without the
    two month-end closes it needs is n/a, with a note.
    """
    if months < 1:
        raise UsageError("--months must be at least 1")
    end_p = parse_month(end) if isinstance(end, str) else end
    if end_p is None:
        end_p = min(last_complete_month(s) for s in closes.values())
    periods = pd.period_range(end_p - (months - 1), end_p, freq="M")
    tables = {sym: month_ends(s) for sym, s in closes.items()}
    firsts = {sym: s.dropna().index[0] for sym, s in closes.items()}
    lasts = {sym: s.dropna().index[-1] for sym, s in closes.items()}

    def cell(sym: str, p: pd.Period, base: pd.Period) -> tuple[Cell, str]:
        me, last = tables[sym], lasts[sym]
        if p not in me.index:
            why = f"{sym} data ends {last:%Y-%m-%d}" if p > last.to_period("M") else f"{sym} data starts {firsts[sym]:%Y-%m-%d}"
            return Cell(None), why
        if base not in me.index:
            return Cell(None), f"{sym} data starts {firsts[sym]:%Y-%m-%d} (no close for {base} to start from)"
        value = float(me.at[p, "close"] / me.at[base, "close"] - 1.0)
        if last.to_period("M") == p and last < expected_last_session(p):
            return Cell(value, PARTIAL), (f"{sym} data ends {last:%Y-%m-%d}, before the month's last session "
                                          f"({expected_last_session(p):%Y-%m-%d}): partial, through {last:%Y-%m-%d}")
        return Cell(value), ""

    rows: list[Row] = []
    for label, p, base in [(str(p), p, p - 1) for p in periods] + [(f"{months} months", end_p, periods[0] - 1)]:
        cells, notes = [], []
        for sym in closes:
            c, why = cell(sym, p, base)
            cells.append(c)
            if why:
                notes.append(why)
        mark = PARTIAL if any(c.mark for c in cells) else ""
        rows.append(Row(label, cells, "; ".join(notes), mark))
    if all(c.value is None for r in rows for c in r.cells):
        have = ", ".join(f"{s} {firsts[s]:%Y-%m-%d}..{lasts[s]:%Y-%m-%d}" for s in closes)
        raise DataError(f"no data for {periods[0]}..{periods[-1]} ({have})")
    title = f"Monthly total returns (%), {periods[0]}..{periods[-1]}"
    notes = [
        f"Month return = last close of the month / last close of the previous month - 1. {basis_note(list(closes))}",
        f"'{months} months' = compounded over {periods[0]}..{periods[-1]} (last close of {periods[-1]} / last close of "
        f"{periods[0] - 1} - 1).",
    ]
    meta = {"start": str(periods[0]), "end": str(periods[-1])}
    return Table(title, "month", list(closes), rows, notes, meta)


# --------------------------------------------------------------------------------------------
# windows and calendar years


def common_closes(closes: dict[str, pd.Series]) -> pd.DataFrame:
    """The symbols' closes on the days all of them traded (so every column covers the same span)."""
    df = pd.concat({s: c.dropna() for s, c in closes.items()}, axis=1, join="inner").sort_index()
    if df.empty:
        have = ", ".join(f"{s} {c.index[0]:%Y-%m-%d}..{c.index[-1]:%Y-%m-%d}" for s, c in closes.items() if len(c))
        raise DataError(f"the symbols have no day in common ({have})")
    return df


def window(df: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.DataFrame:
    """Rows from the *base* close through ``end``: the last close before ``start`` when the data has
    one (so the first day's return is in), else the first close on or after ``start``."""
    if end is not None:
        df = df[df.index <= end]
    if start is not None:
        before = df.index[df.index < start]
        df = df[df.index >= (before[-1] if len(before) else start)]
    if len(df) < 2:
        raise DataError(f"no data in the requested range ({_span(start, end)}): need at least two closes")
    return df


def _span(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    a = "(data start)" if start is None else f"{start:%Y-%m-%d}"
    b = "(data end)" if end is None else f"{end:%Y-%m-%d}"
    return f"{a}..{b}"


@dataclass
class YearSlice:
    """One calendar year inside a window: the close it starts from, its last close, whether complete."""

    year: int
    base: pd.Timestamp
    last: pd.Timestamp
    note: str  # empty for a full year


def year_slices(index: pd.DatetimeIndex) -> list[YearSlice]:
    """Calendar years covered by a window whose first row is the base close."""
    base = index[0]
    out = []
    for year in sorted(set(index[1:].year)):
        prior = index[index.year < year]
        start = prior[-1] if len(prior) else base
        last = index[index.year == year][-1]
        notes = []
        if base.year == year:
            notes.append(f"from the close of {base:%Y-%m-%d}")
        if last < expected_last_session(pd.Period(f"{year}-12", freq="M")):
            notes.append(f"through {last:%Y-%m-%d}")
        out.append(YearSlice(year, start, last, ", ".join(notes) + " (partial year)" if notes else ""))
    return out


def annual_table(closes: dict[str, pd.Series], start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> Table:
    """Calendar-year total returns of each symbol on their common days, plus CAGR, stdev, max drawdown.

    Every column covers the same window (common days, clipped to ``start``..``end``); years the
    window covers only in part are marked. The summary rows are over the whole window:
    CAGR by calendar days / 365.25, stdev = sample stdev of daily returns x sqrt(252), max
    drawdown of the daily closes (r2k.reports.metrics definitions).
    """
    df = window(common_closes(closes), start, end)
    rets = df.pct_change().iloc[1:]
    base = df.index[0]
    rows: list[Row] = []
    for ys in year_slices(df.index):
        cells = [Cell(float(df.at[ys.last, s] / df.at[ys.base, s] - 1.0), PARTIAL if ys.note else "") for s in df.columns]
        rows.append(Row(str(ys.year), cells, ys.note, PARTIAL if ys.note else ""))
    rows.append(Row("CAGR", [Cell(metrics.cagr(rets[s], base)) for s in df.columns]))
    rows.append(Row("Stdev (ann.)", [Cell(metrics.volatility(rets[s])) for s in df.columns]))
    rows.append(Row("Max drawdown", [Cell(metrics.max_drawdown(rets[s], base)[0]) for s in df.columns]))
    first, last = df.index[0], df.index[-1]
    title = f"Calendar-year total returns (%), {rows[0].label}..{rows[-4].label}"
    notes = [
        f"Year return = last close of the year / last close of the year before - 1, on the days all symbols traded. "
        f"{basis_note(list(df.columns))}",
        f"Window: close of {first:%Y-%m-%d} to close of {last:%Y-%m-%d}. CAGR by calendar days / 365.25; "
        f"stdev annualised from daily returns (sample stdev x sqrt({ANNUALISATION})); max drawdown from daily closes.",
    ]
    meta = {"start": f"{first:%Y-%m-%d}", "end": f"{last:%Y-%m-%d}"}
    return Table(title, "year", list(df.columns), rows, notes, meta)


# --------------------------------------------------------------------------------------------
# tracking


def tracking_error(diff: pd.Series) -> float:
    """Annualised stdev (ddof=1, x sqrt(252)) of daily return differences; NaN with fewer than 2."""
    return float(diff.std(ddof=1) * math.sqrt(ANNUALISATION)) if len(diff) >= 2 else math.nan


def tracking_table(etf: pd.Series, index: pd.Series, etf_name: str, index_name: str,
                   start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> Table:
    """Tracking difference (ETF return minus index return) and tracking error, per year and overall.

    Both on the days both traded. Overall: the cumulative difference and the annualised one
    (CAGR minus CAGR).
    """
    df = window(common_closes({etf_name: etf, index_name: index}), start, end)
    rets = df.pct_change().iloc[1:]
    diff = rets[etf_name] - rets[index_name]
    cols = [etf_name, index_name, "difference", "tracking error", "days"]
    rows: list[Row] = []
    for ys in year_slices(df.index):
        a = float(df.at[ys.last, etf_name] / df.at[ys.base, etf_name] - 1.0)
        b = float(df.at[ys.last, index_name] / df.at[ys.base, index_name] - 1.0)
        d = diff[diff.index.year == ys.year]
        m = PARTIAL if ys.note else ""
        rows.append(Row(str(ys.year), [Cell(a, m), Cell(b, m), Cell(a - b, m), Cell(tracking_error(d), m),
                                       Cell(len(d), kind="int")], ys.note, m))
    base = df.index[0]
    tot_a = float(df[etf_name].iloc[-1] / df[etf_name].iloc[0] - 1.0)
    tot_b = float(df[index_name].iloc[-1] / df[index_name].iloc[0] - 1.0)
    te = tracking_error(diff)
    rows.append(Row("total", [Cell(tot_a), Cell(tot_b), Cell(tot_a - tot_b), Cell(te), Cell(len(diff), kind="int")]))
    ca, cb = metrics.cagr(rets[etf_name], base), metrics.cagr(rets[index_name], base)
    rows.append(Row("annualised", [Cell(ca), Cell(cb), Cell(ca - cb), Cell(te), Cell(len(diff), kind="int")]))
    first, last = df.index[0], df.index[-1]
    if is_index(index_name):
        basis = (f"{index_name} is a price index: its return leaves out dividends, while {etf_name}'s adjusted close "
                 f"reinvests them (after fees), so dividends are part of the difference.")
    else:
        basis = f"Both {etf_name} and {index_name} are total returns from adjusted closes (dividends reinvested)."
    notes = [
        basis,
        f"Difference = {etf_name} return - {index_name} return; tracking error = sample stdev of the daily return "
        f"differences x sqrt({ANNUALISATION}); on the {len(df)} days both traded, {first:%Y-%m-%d}..{last:%Y-%m-%d}.",
        "'annualised' = CAGR minus CAGR (calendar days / 365.25).",
    ]
    title = f"Tracking of {etf_name} against {index_name} (%), {first:%Y-%m-%d}..{last:%Y-%m-%d}"
    meta = {"start": f"{first:%Y-%m-%d}", "end": f"{last:%Y-%m-%d}", "etf": etf_name, "index": index_name}
    return Table(title, "year", cols, rows, notes, meta)


def annualised_return(returns: pd.Series | np.ndarray) -> float:
    """Geometric annualisation of daily returns: ``prod(1 + r) ** (252 / n) - 1`` (NaN if empty)."""
    r = np.asarray(returns, dtype=float)
    if r.size == 0:
        return math.nan
    growth = float(np.prod(1.0 + r))
    return growth ** (ANNUALISATION / r.size) - 1.0 if growth > 0 else -1.0
