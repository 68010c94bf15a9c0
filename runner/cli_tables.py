"""``r2k table monthly|annual``, ``r2k tracking`` and ``r2k regimes``: investor tables from stored closes.

The commands only parse and validate, load data through the loader (``--offline`` respected)
and call the plain functions of r2k.reports.tables and r2k.reports.regimes.
"""

from __future__ import annotations

from pathlib import Path

import click

from r2k.runner.cli_common import store_option, warn

_OFFLINE_HELP = "Never use the network; use only the local store."


def format_options(fn):
    """``--csv`` / ``--json`` (Markdown by default); passes ``fmt``."""
    import functools

    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a Markdown table.")
    @click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a Markdown table.")
    @functools.wraps(fn)
    def wrapper(*args, as_csv=False, as_json=False, **kwargs):
        from r2k.data.errors import UsageError

        if as_csv and as_json:
            raise UsageError("--csv and --json exclude each other")
        return fn(*args, fmt="csv" if as_csv else "json" if as_json else "markdown", **kwargs)

    return wrapper


def parse_symbols(texts: tuple[str, ...] | list[str]) -> list[str]:
    """Canonical price symbols (``RUT`` -> ``^RUT``), commas allowed, duplicates dropped."""
    from r2k.data.errors import UsageError
    from r2k.data.symbols import YIELD_SYMBOLS, canonical_symbol, is_series

    out: list[str] = []
    for text in texts:
        for part in filter(None, (p.strip() for p in text.split(","))):
            if is_series(part):
                raise UsageError(f"{part} is an economic series, not a price symbol")
            sym = canonical_symbol(part)
            if sym in YIELD_SYMBOLS:
                raise UsageError(f"{sym} is a yield in percent, not a price: it has no returns")
            if sym not in out:
                out.append(sym)
    if not out:
        raise UsageError("give at least one symbol")
    return out


def parse_day(text: str | None, what: str, *, end: bool) -> str | None:
    """A date in the one grammar (r2k.data.dates): ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    from r2k.data.dates import parse_day as parse

    return parse(text, what, end=end)


def _ordered(start: str | None, end: str | None) -> None:
    from r2k.data.errors import UsageError

    if start is not None and end is not None and start > end:
        raise UsageError(f"--start {start} is after --end {end}")


def load_closes(symbols: list[str], store, offline: bool) -> dict:
    """Each symbol's adjusted closes (a price index's ``adj_close`` is its level)."""
    from r2k.data import loader
    from r2k.data.errors import DataError

    out = {}
    for sym in symbols:
        closes = loader.get(sym, series=False, store=store, offline=offline, warn=warn).data["adj_close"].astype(float).dropna()
        if closes.empty:
            raise DataError(f"{sym}: the store holds no closes")
        out[sym] = closes
    return out


def load_series(name: str, store, offline: bool):
    from r2k.data import loader

    return loader.get(name, series=True, store=store, offline=offline, warn=warn).data.astype(float)


def _ts(text: str | None):
    import pandas as pd

    return None if text is None else pd.Timestamp(text)


@click.group("table")
def table() -> None:
    """Investor tables: month-by-month and calendar-year total returns."""


@table.command("monthly")
@click.argument("symbols", nargs=-1, required=True)
@click.option("--months", type=click.IntRange(1, 1200), default=12, show_default=True, help="Number of months shown.")
@click.option("--end", default=None,
              help="Last month: YYYY-MM (or YYYY, YYYY-MM-DD: the month it ends in) [default: last month complete "
                   "for every symbol].")
@format_options
@click.option("--offline", is_flag=True, envvar="R2K_OFFLINE", help=_OFFLINE_HELP)
@store_option
def monthly_cmd(symbols: tuple[str, ...], months: int, end: str | None, fmt: str, offline: bool, store) -> None:
    """Month-by-month total returns in percent, one column per SYMBOL (e.g. ^RUT ^GSPC IWM)."""
    from r2k.reports.tables import monthly_table, parse_month, render

    syms = parse_symbols(symbols)
    end_p = parse_month(end)
    click.echo(render(monthly_table(load_closes(syms, store, offline), months=months, end=end_p), fmt))


@table.command("annual")
@click.argument("symbols", nargs=-1, required=True)
@click.option("--start", default=None,
              help="First calendar year: YYYY (or YYYY-MM, YYYY-MM-DD: the year it falls in) [default: first year "
                   "all symbols have].")
@click.option("--end", default=None,
              help="Last calendar year: YYYY (or YYYY-MM, YYYY-MM-DD) [default: last year all symbols have].")
@format_options
@click.option("--offline", is_flag=True, envvar="R2K_OFFLINE", help=_OFFLINE_HELP)
@store_option
def annual_cmd(symbols: tuple[str, ...], start: str | None, end: str | None, fmt: str, offline: bool, store) -> None:
    """Calendar-year total returns in percent with CAGR, stdev and max drawdown rows."""
    from r2k.reports.tables import annual_table, render

    syms = parse_symbols(symbols)
    from r2k.data.dates import year_of

    sy, ey = year_of(start, "--start", end=False), year_of(end, "--end", end=True)
    first = None if sy is None else f"{sy}-01-01"
    last = None if ey is None else f"{ey}-12-31"
    _ordered(first, last)
    click.echo(render(annual_table(load_closes(syms, store, offline), _ts(first), _ts(last)), fmt))


@click.command("tracking")
@click.argument("etf")
@click.argument("index")
@click.option("--start", default=None, help="First day: YYYY, YYYY-MM or YYYY-MM-DD [default: first common day].")
@click.option("--end", default=None, help="Last day: YYYY, YYYY-MM or YYYY-MM-DD [default: last common day].")
@format_options
@click.option("--offline", is_flag=True, envvar="R2K_OFFLINE", help=_OFFLINE_HELP)
@store_option
def tracking_cmd(etf: str, index: str, start: str | None, end: str | None, fmt: str, offline: bool, store) -> None:
    """Tracking difference and tracking error of ETF against INDEX (e.g. IWM ^RUT), per year and overall."""
    from r2k.data.errors import UsageError
    from r2k.reports.tables import render, tracking_table

    syms = parse_symbols([etf, index])
    if len(syms) != 2:
        raise UsageError("give two different symbols: the ETF, then its index")
    first, last = parse_day(start, "--start", end=False), parse_day(end, "--end", end=True)
    _ordered(first, last)
    closes = load_closes(syms, store, offline)
    click.echo(render(tracking_table(closes[syms[0]], closes[syms[1]], syms[0], syms[1], _ts(first), _ts(last)), fmt))


def chart_target(text: str) -> Path:
    """The ``--chart`` file, checked before any work: like ``--out``, missing folders will be created,
    but the nearest existing one must be a writable folder (else "cannot write to DIR", exit 1)."""
    import os

    from r2k.data.errors import R2KError, UsageError

    if not text.strip() or text.endswith(("/", os.sep)):
        raise UsageError(f"--chart {text!r} is not a file name; give one such as charts/regimes.png")
    path = Path(text)
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise R2KError(f"cannot write to {folder}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise R2KError(f"cannot write to {folder}: permission denied")
    return path


@click.command("regimes")
@click.option("--symbols", default="IWM,SPY", show_default=True,
              help="Comma-separated symbols; the spread is the first minus the second (small minus large).")
@click.option("--start", default=None, help="First day: YYYY, YYYY-MM or YYYY-MM-DD [default: first common day].")
@click.option("--end", default=None, help="Last day: YYYY, YYYY-MM or YYYY-MM-DD [default: last common day].")
@click.option("--lookback-months", type=click.IntRange(1, 120), default=6, show_default=True,
              help="Easing/tightening lasts this long after the last cut/hike (as in rate-cut-rotation).")
@click.option("--min-change", type=click.FloatRange(0, min_open=True), default=0.05, show_default=True,
              help="Smallest move of the target (percentage points) that counts as a cut or hike.")
@click.option("--chart", "chart", type=click.Path(dir_okay=False), default="regimes.png", show_default=True,
              help="PNG file to write: every symbol's growth of $1 over the regimes (missing folders are created).")
@format_options
@click.option("--offline", is_flag=True, envvar="R2K_OFFLINE", help=_OFFLINE_HELP)
@store_option
def regimes_cmd(symbols: str, start: str | None, end: str | None, lookback_months: int, min_change: float,
                chart: str, fmt: str, offline: bool, store) -> None:
    """Return, volatility and max drawdown while the Fed eases, tightens or holds, and in NBER recessions.

    Prints the table and the path of a chart of every symbol with the regimes shaded.
    """
    import json

    from r2k.reports.regimes import analyze, draw_chart, regime_table
    from r2k.reports.tables import render
    from r2k.strategies.signals import policy_rate

    syms = parse_symbols([symbols])
    first, last = parse_day(start, "--start", end=False), parse_day(end, "--end", end=True)
    _ordered(first, last)
    target = chart_target(chart)
    closes = load_closes(syms, store, offline)
    rate = policy_rate(load_series("DFEDTAR", store, offline), load_series("DFEDTARU", store, offline))
    usrec = load_series("USREC", store, offline)
    a = analyze(closes, rate, usrec, start=_ts(first), end=_ts(last), lookback_months=lookback_months, min_change=min_change)
    tbl = regime_table(a)
    path = draw_chart(a, target)
    if fmt == "json":
        doc = json.loads(render(tbl, "json"))
        doc["chart"] = str(path)
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(render(tbl, fmt))
    if fmt == "csv":
        click.echo(f"chart: {path}", err=True)
    else:
        click.echo(f"\nchart: {path}")
