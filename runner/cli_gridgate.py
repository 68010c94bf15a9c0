"""Asking before a huge grid starts: the count and an estimated time first, then ``--yes`` or a y/N.

A grid of a million combinations used to start without a word and run for days. Above
:data:`GRID_LIMIT` combinations, sweep and walkforward print how many backtests that is and about
how long it would take, then start only with ``--yes`` (or a "y" on a terminal). Without a
terminal to ask (a script, CI) and without ``--yes`` they exit 2 before anything starts.
"""

from __future__ import annotations

import math
import sys

import click

from r2k.data.errors import UsageError

#: Above this many backtests a sweep asks first.
GRID_LIMIT = 10_000

#: Seconds per backtest per worker, conservative: measured with `r2k sweep trend-filter -g window=50:250:5
#: --workers 1` (IWM 2000-2025, vector engine: 0.28 s per combination) and `--engine backtrader -g
#: window=50:250:20` (4.5 s) on a 2-core machine at load 9, rounded up.
SECONDS_PER_BACKTEST = {"vector": 0.3, "backtrader": 5.0}


def grid_size(grid: dict[str, list]) -> int:
    """How many combinations a grid has, without building them."""
    return math.prod(len(v) for v in grid.values())


def estimate_seconds(backtests: int, engine: str, workers: int) -> float:
    """A conservative wall-clock estimate: backtests x per-backtest cost / workers (no worse than 1)."""
    return backtests * SECONDS_PER_BACKTEST.get(engine, SECONDS_PER_BACKTEST["backtrader"]) / max(1, workers)


def say_duration(seconds: float) -> str:
    """``40 s``, ``12 min``, ``3.5 h``, ``2.1 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def confirm_grid(backtests: int, *, engine: str, workers: int, yes: bool, what: str = "combinations",
                 interactive: bool | None = None) -> None:
    """Return when the grid may start; raise UsageError (exit 2) when it may not.

    Small grids pass silently. ``interactive`` defaults to "stdin and stderr are terminals".
    """
    if backtests <= GRID_LIMIT:
        return
    est = estimate_seconds(backtests, engine, workers)
    per = SECONDS_PER_BACKTEST.get(engine, SECONDS_PER_BACKTEST["backtrader"])
    click.echo(f"{backtests:,} {what}: estimated {say_duration(est)} with {workers} worker{'s' * (workers != 1)} "
               f"(an estimate at {per:g} s per backtest per worker; your machine may differ)", err=True)
    if yes:
        return
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    if not interactive:
        raise UsageError(f"{backtests:,} {what} is above the limit of {GRID_LIMIT:,}: add --yes to start it anyway, "
                         "or use a coarser grid")
    if not click.confirm("start it?", default=False, err=True):
        raise UsageError("not started (answer y, or add --yes, to start a grid this large)")
