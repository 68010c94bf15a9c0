"""``r2k events``, ``r2k seasonality`` and ``r2k indexes``: the small-cap lab on the command line.

The commands parse and validate, call r2k.runner.lab, print the tables and write the result
folder (CSV, JSON, PNG, index.html) atomically.
"""

from __future__ import annotations

import click

from r2k.runner.cli_common import store_option, warn
from r2k.runner.cli_tables import parse_symbols

_OFFLINE_HELP = "Never use the network; use only the local store."


def _out_option(default: str):
    return click.option("--out", "out", default=default, show_default=True,
                        help="Folder to write (CSV, result.json, PNG, index.html); replaced only if r2k wrote it.")


def _check_out(text: str):
    from pathlib import Path

    from r2k.data.errors import UsageError
    from r2k.reports.runfolder import check_replaceable

    if not text.strip():
        raise UsageError("--out needs a folder name")
    path = Path(text)
    check_replaceable(path)
    return path


def _finish(res, out, fmt: str) -> None:
    import json

    path = res.save(out)
    if fmt == "json":
        doc = res.to_json()
        doc["folder"] = str(path)
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
        return
    if fmt == "csv":
        main = next((k for k in ("summary", "windows") if k in res.tables), (res.shown or list(res.tables))[0])
        click.echo(res.tables[main].to_csv(index=False, date_format="%Y-%m-%d").rstrip("\n"))
        click.echo(f"wrote {path}", err=True)
        return
    click.echo(res.text())
    click.echo(f"\nwrote {path}/ (index.html, {', '.join(res.charts)}, CSV and result.json)")


def _fmt_options(fn):
    import functools

    @click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON (fractions).")
    @click.option("--csv", "as_csv", is_flag=True, help="Print the summary table as CSV (fractions).")
    @functools.wraps(fn)
    def wrapper(*args, as_csv=False, as_json=False, **kwargs):
        from r2k.data.errors import UsageError

        if as_csv and as_json:
            raise UsageError("--csv and --json exclude each other")
        return fn(*args, fmt="csv" if as_csv else "json" if as_json else "text", **kwargs)

    return wrapper


def _parse_horizons(text: str) -> list[int]:
    from r2k.data.errors import UsageError

    try:
        hs = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise UsageError(f"--horizons {text!r}: use comma-separated trading days, e.g. 21,65,126") from None
    if not hs or hs[0] < 1:
        raise UsageError(f"--horizons {text!r}: horizons must be positive")
    return hs


def _parse_pairs(text: str) -> list[tuple[str, str]]:
    from r2k.data.errors import UsageError

    pairs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        a, sep, b = part.partition(":")
        if not sep:
            raise UsageError(f"--pairs {part!r}: use SMALL:LARGE, e.g. IWM:SPY")
        pairs.append((parse_symbols([a])[0], parse_symbols([b])[0]))
    return pairs


@click.command("events")
@click.argument("kind", required=False, type=click.Choice(["fed-cuts", "fed-hikes", "recessions"]),
                metavar="KIND")
@click.option("--dates", "dates_file", type=click.Path(dir_okay=False), default=None,
              help="Your own events: a file with one YYYY-MM-DD[,label] per line (instead of KIND).")
@click.option("--symbols", default="IWM,^RUT,SPY,^GSPC", show_default=True, help="Comma-separated symbols.")
@click.option("--pairs", default="IWM:SPY,^RUT:^GSPC", show_default=True,
              help="Small:large pairs whose return difference is shown (pairs with a symbol left out are dropped).")
@click.option("--horizons", default="21,65,126,252,504", show_default=True, help="Trading days after each event.")
@click.option("--hold-months", type=click.IntRange(1, 120), default=6, show_default=True,
              help="A cut (hike) after at least this many months without a change starts a cycle.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap intervals.")
@_out_option("lab/events")
@_fmt_options
@click.option("--offline", is_flag=True, envvar="R2K_OFFLINE", help=_OFFLINE_HELP)
@store_option
def events(kind, dates_file, symbols, pairs, horizons, hold_months, seed, out, fmt, offline, store) -> None:
    """Small vs large caps after the Fed's first cuts or hikes, through NBER recessions, or after your dates.

    KIND is fed-cuts, fed-hikes or recessions; or give --dates FILE.
    """
    from r2k.data.errors import UsageError
    from r2k.runner import lab

    if (kind is None) == (dates_file is None):
        raise UsageError("give one of KIND (fed-cuts, fed-hikes, recessions) or --dates FILE")
    syms = parse_symbols([symbols])
    prs = [p for p in _parse_pairs(pairs) if p[0] in syms and p[1] in syms]
    hs = _parse_horizons(horizons)
    dates = lab.read_dates(dates_file) if dates_file else None
    if out == "lab/events":
        out = f"lab/events-{kind or 'dates'}"
    target = _check_out(out)
    res = lab.events(kind or "dates", dates=dates, symbols=syms, pairs=prs, horizons=hs, hold_months=hold_months,
                     seed=seed, store=store, offline=offline, warn=warn)
    _finish(res, target, fmt)


@click.command("seasonality")
@click.argument("symbol")
@click.option("--vs", "bench", default=None, help="Benchmark symbol for relative returns (e.g. ^GSPC).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the permutation test.")
@click.option("--permutations", type=click.IntRange(100, 1_000_000), default=2000, show_default=True,
              help="Random windows drawn for each p-value.")
@_out_option("lab/seasonality")
@_fmt_options
@click.option("--offline", is_flag=True, envvar="R2K_OFFLINE", help=_OFFLINE_HELP)
@store_option
def seasonality_cmd(symbol, bench, seed, permutations, out, fmt, offline, store) -> None:
    """Calendar months, turn of the year, sell in May and the Russell reconstitution window of SYMBOL."""
    from r2k.data.errors import UsageError
    from r2k.runner import lab

    sym = parse_symbols([symbol])[0]
    vs = parse_symbols([bench])[0] if bench else None
    if vs == sym:
        raise UsageError("--vs must be a different symbol")
    target = _check_out(out)
    res = lab.seasonality(sym, vs, seed=seed, n_perm=permutations, store=store, offline=offline, warn=warn)
    _finish(res, target, fmt)


@click.command("indexes")
@click.argument("symbols", nargs=-1)
@_out_option("lab/indexes")
@_fmt_options
@click.option("--offline", is_flag=True, envvar="R2K_OFFLINE", help=_OFFLINE_HELP)
@store_option
def indexes_cmd(symbols, out, fmt, offline, store) -> None:
    """Which small-cap fund? CAGR, volatility, drawdown, yearly gaps and tracking of SYMBOLS [IWM IJR VTWO ^RUT]."""
    from r2k.runner import lab

    syms = parse_symbols(symbols) if symbols else list(lab.INDEX_SYMBOLS)
    target = _check_out(out)
    _finish(lab.indexes(syms, store=store, offline=offline, warn=warn), target, fmt)
