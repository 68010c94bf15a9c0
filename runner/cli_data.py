"""``r2k data``: fetch, import and list what the local store holds."""

from __future__ import annotations

from pathlib import Path

import click

from r2k.runner.cli_common import store_option, warn


@click.group()
def data() -> None:
    """Get price history and economic series into the local store."""


@data.command("fetch")
@click.argument("names", nargs=-1, required=True)
@click.option("--start", default=None, help="First date to fetch (YYYY, YYYY-MM or YYYY-MM-DD); default: all history.")
@click.option("--full", is_flag=True, help="Fetch the whole history again instead of only the missing tail.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=None,
              help="Seconds of network time for the whole fetch, as `r2k --timeout` [default: 60].")
@store_option
def fetch_cmd(names: tuple[str, ...], start: str | None, full: bool, timeout: float | None, store) -> None:
    """Fetch SYMBOLs from Yahoo (IWM, ^RUT) or series from FRED (DFF, fred:T10Y3M).

    A second fetch only asks for the missing tail.
    """
    import os

    from r2k.data import loader
    from r2k.data.errors import DataUnavailable, R2KError
    from r2k.data.symbols import canonical_series, canonical_symbol, is_series
    from r2k.runner.spec import parse_date

    if os.environ.get("R2K_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise R2KError("R2K_OFFLINE is set: `r2k data fetch` needs the network (unset it, or `r2k data import DIR`)")
    start = parse_date(start, "start")
    if timeout is not None:
        from r2k.data.budget import NetBudget
        from r2k.data.store import Store

        store = Store(store.root, network=NetBudget(timeout))
    targets = [(canonical_series(n), True) if is_series(n) else (canonical_symbol(n), False) for n in names]
    failed: list[tuple[str, str]] = []
    for name, series in targets:  # once a provider is found down, the store's budget answers "not asked" at once
        try:
            _, what = loader.fetch(name, series=series, store=store, start=start, full=full, warn=warn)
            click.echo(what)
        except DataUnavailable as exc:
            failed.append((name, str(exc)))
    if len(targets) == 1 and failed:
        raise R2KError(failed[0][1])
    for _, msg in failed:
        warn(msg)
    if failed:
        got = len(targets) - len(failed)
        raise R2KError(f"could not fetch {', '.join(n for n, _ in failed)} ({got} of {len(targets)} fetched)")


@data.command("import")
@click.argument("folder", type=click.Path(path_type=Path))
@store_option
def import_cmd(folder: Path, store) -> None:
    """Import a folder of CSV files (one per symbol, e.g. IWM.csv, RUT.csv for ^RUT; FRED files as date,value)."""
    from r2k.data import loader
    from r2k.data.errors import DataError

    metas, failures = loader.import_files(folder, store, warn)
    for m in metas:
        click.echo(f"{m.name:<10} {m.kind:<7} {m.start}..{m.end} {m.rows:>6} rows")
    click.echo(f"imported {len(metas)} files into {store.root}")
    if failures:  # the rest is imported; a script still learns that something was left out
        raise DataError(f"{len(failures)} of {len(metas) + len(failures)} files in {folder} were skipped "
                        "(see the warnings above); the others are imported")


@data.command("list")
@store_option
def list_cmd(store) -> None:
    """List what the store holds: symbol, source, range, rows, last refresh."""
    from r2k.data.errors import StoreCorrupt

    rows = []
    for kind in ("prices", "series"):
        for name in store.names(kind):
            try:
                m = store.read_meta(kind, name)
                src = m.source if not m.source.startswith("csv:") else "csv " + Path(m.source[4:]).name
                rows.append((name, kind, src, f"{m.start}..{m.end}", str(m.rows), m.fetched_at[:16].replace("T", " ")))
            except StoreCorrupt:
                rows.append((name, kind, "CORRUPT", "-", "-", "-"))
    if not rows:
        click.echo(f"the store at {store.root} is empty; run `r2k data fetch IWM` or `r2k data import DIR`")
        return
    head = ("name", "kind", "source", "range", "rows", "refreshed (UTC)")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
