"""``r2k sweep`` and ``r2k walkforward``: grids of parameters, honestly evaluated."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from r2k.data.errors import R2KError
from r2k.runner.cli_common import engine_option, parse_params, spec_options, store_option, warn
from r2k.runner.cli_strategies import strategy_path_option


def _base_spec(strategy, strategy_path, start, end, cash, contribute, every, benchmark, fill, commission_bps,
               slippage_bps, whole_shares, params, engine, rf="0", stats="daily", symbol=None):
    """A validated RunSpec without the grid (the one spec builder); vector engine for rules unless told.

    The spec names a user strategy by a reference any worker process can import again
    (``/abs/file.py:Class``), so nothing about the lookup has to travel to workers.
    """
    from r2k.runner.build import build_spec, strategy_of
    from r2k.strategies.registry import Registry

    registry = Registry.with_paths([str(Path(p).resolve()) for p in strategy_path])
    cls = strategy_of(strategy, registry)
    flags = {"start": start, "end": end, "cash": cash, "contribute": contribute, "every": every, "benchmark": benchmark,
             "fill": fill, "commission_bps": commission_bps, "slippage_bps": slippage_bps, "whole_shares": whole_shares,
             "engine": engine, "rf": rf, "stats": stats, "params": parse_params(params), "symbol": symbol}
    return cls, build_spec(cls, flags, registry=registry)


def _defaults(cls) -> dict:
    from r2k.strategies.discovery import param_defaults

    return param_defaults(cls)


def _setup(metric, store, strategy, strategy_path, grid, *spec_args, stats: str = "daily", symbol: str | None = None):
    """What sweep and walkforward share: check the metric, build the base spec, parse the grid."""
    from r2k.data.errors import UsageError
    from r2k.runner.grid import parse_grid
    from r2k.runner.sweeps import METRICS

    if metric not in METRICS:
        raise UsageError(f"--metric must be one of {', '.join(METRICS)}, not {metric!r}")
    if symbol is not None and any(g.split("=", 1)[0].strip() == "symbol" for g in grid):
        raise UsageError("--symbol and -g symbol=... both set the symbol; give one of them")
    cls, base = _base_spec(strategy, strategy_path, *spec_args, symbol=symbol)
    base = replace(base, stats=stats)
    label = _label(cls)
    return cls, base, label, parse_grid(grid, _defaults(cls), label)


def _label(cls) -> str:
    from r2k.strategies.discovery import strategy_name

    return strategy_name(cls)


def _executor_options(fn):
    fn = click.option("--yes", is_flag=True,
                      help="Start a grid above 10,000 backtests without asking (the count and estimate are printed).")(fn)
    fn = click.option("--dask-local", type=click.IntRange(1, 64), default=None,
                      help="Start a local Dask cluster with N worker processes.")(fn)
    fn = click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786.")(fn)
    fn = click.option("--workers", type=click.IntRange(1, 256), default=None,
                      help="Local worker processes; 1 runs in-process [default: in-process for up to 250 combinations of "
                           "a vectorized rule (a pool would cost more than it saves), else CPU count].")(fn)
    return fn


def default_workers(base, combinations: int) -> int:
    """``--workers`` when not given: in-process for a grid of vectorized rules that fits one batch,
    else one worker per CPU.

    A batch of vectorized combinations costs about a millisecond each, less than starting a pool
    (each worker imports r2k and loads the compiled executor): 101 trend-filter windows took 5.1 s
    in process and 6.3 s on two workers, and a walk-forward, which ranks its grid once per window,
    7 s against 23 s. Backtrader runs, or more combinations than a batch holds, gain from workers.
    """
    from r2k.runner.batch import batchable
    from r2k.runner.sweeps import BATCH

    if combinations <= BATCH and batchable(base):
        return 1
    return os.cpu_count() or 1


def _even_blocks(ctx, param, value: int) -> int:
    if value % 2:
        raise click.BadParameter(f"must be even (half the blocks are in-sample), not {value}")
    return value


@click.command()
@click.argument("strategy")
@click.option("-g", "grid", multiple=True, required=True, metavar="KEY=VALUES",
              help="Grid: KEY=3,6,9 or KEY=50:250:25 (stop included); repeat for more parameters.")
@click.option("--metric", default="cagr", show_default=True, help="Rank by: cagr, sharpe, sortino, max_drawdown, ...")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Sweep folder [default: sweeps/STRATEGY-HASH]; rerunning the same command resumes it.")
@click.option("--top", type=int, default=10, show_default=True, help="Rows to print.")
@click.option("--allow-shorter", is_flag=True,
              help="Run a combination whose data cannot cover the sweep window on its own window, reported apart "
                   "and never ranked (default: that is an error).")
@click.option("--cscv-blocks", type=click.IntRange(2, 20), default=16, show_default=True, callback=_even_blocks,
              help="Blocks of the combinatorially symmetric cross-validation behind the PBO (even).")
@click.option("--task-timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop a combination that runs longer; its row says 'timed out after N s' [default: no limit].")
@_executor_options
@engine_option("vector for allocation rules")
@strategy_path_option
@click.option("--symbol", default=None, help="Shorthand for -p symbol=S (as in r2k run).")
@spec_options
@store_option
def sweep(strategy, symbol, grid, metric, out, top, allow_shorter, cscv_blocks, yes, task_timeout, workers, scheduler,
          dask_local, engine, strategy_path, start, end, cash, contribute, every, benchmark, fill, commission_bps,
          slippage_bps, whole_shares, params, stats, rf, offline, store) -> None:
    """Run STRATEGY for every combination of the -g grid over one window and rank the results.

    Every combination runs over the common window of all the data the grid reads (or --start/--end);
    the benchmark and buy-and-hold of the strategy's main symbol are shown beside them as baselines,
    and the sweep ends with overfitting statistics (deflated Sharpe ratio, PBO) and a verdict.
    """
    import hashlib
    import json

    from r2k.reports.sweep_report import heatmap, role_table, top_table
    from r2k.runner.sweeps import sweep as run_sweep

    cls, base, label, g = _setup(metric, store, strategy, strategy_path, grid, start, end, cash, contribute, every,
                                 benchmark, fill, commission_bps, slippage_bps, whole_shares, params, engine, rf,
                                 stats=stats, symbol=symbol)
    if out is None:
        ident = json.dumps({"spec": base.to_dict(), "grid": {k: list(map(str, v)) for k, v in g.items()}}, sort_keys=True)
        out = Path("sweeps") / f"{label}-{hashlib.sha256(ident.encode()).hexdigest()[:10]}"

    from r2k.runner.cli_gridgate import confirm_grid, grid_size
    from r2k.runner.sweeps import check_sweep_folder

    n = grid_size(g)
    workers = workers or default_workers(base, n)
    confirm_grid(n, engine=base.engine, workers=dask_local or workers, yes=yes)
    check_sweep_folder(out, base.to_dict())

    def announce(planned) -> None:
        click.echo(f"{n} combinations of {', '.join(g)} over {planned.window.text()}, "
                   f"{len(planned.baselines)} baselines -> {out}", err=True)

    try:
        res = run_sweep(base, g, out, metric=metric, workers=workers, scheduler=scheduler,
                        dask_local=dask_local, basis=stats, offline=offline, warn=warn, store=store,
                        allow_shorter=allow_shorter, cscv_blocks=cscv_blocks, announce=announce,
                        task_timeout=task_timeout)
    except KeyboardInterrupt:
        from r2k.runner.sweeps import read_rows

        done = sum(1 for r in read_rows(out / "results.csv") if r.get("role", "trial") != "baseline")
        click.echo(f"error: interrupted; {done} of {n} combinations are saved in {out / 'results.csv'}; "
                   "rerun the same command to finish", err=True)
        raise SystemExit(130) from None
    if res.reused:
        click.echo(f"resumed: {res.reused} combinations were already done, {res.computed} computed now", err=True)
    window = res.window
    if len(g) == 2:
        x, y = list(g)
        heatmap(res.rows, x, y, metric, out / "heatmap.png", f"{label}: {metric}, {window.text()}")
    from r2k.reports.terminal import wrap_lines  # the long sentences fit 100 columns, as the tables do

    click.echo("\n".join(wrap_lines([f"sweep window {window.text()} ({window.why}); {len(res.rows)} combinations "
                                      "ranked over it"])))
    click.echo(top_table(res.rows, list(g), metric, top))
    if res.baselines:
        click.echo("\nbaselines over the same window (not ranked):")
        click.echo(role_table(res.baselines, metric))
    if res.shorter:
        click.echo("\nshorter windows (--allow-shorter: each on its own window, not ranked with the others):")
        click.echo(role_table(res.shorter, metric, list(g)))
    click.echo(f"\nresults: {out / 'results.csv'}")
    if len(g) == 2:
        click.echo(f"heatmap: {out / 'heatmap.png'}")
    if res.overfitting is not None:
        from r2k.reports.overfitting_panel import panel

        panel(res.overfitting, out / "overfitting.png", f"{label}: overfitting, {window.text()}")
        click.echo(f"overfitting: {out / 'overfitting.json'}, {out / 'overfitting.png'}")
        click.echo("\n" + "\n".join(wrap_lines([res.overfitting["verdict"]])))
    every = res.rows + res.shorter + res.baselines
    failed = [r for r in every if r.get("error")]
    if failed:  # the others are saved and ranked; the command still says it did not all succeed
        what = "combinations" if len(every) == n else "runs (combinations and baselines)"
        raise R2KError(f"{len(failed)} of {len(every)} {what} failed (the error column of {out / 'results.csv'} says "
                       f"why; a rerun tries them again); first: {failed[0]['error']}")


@click.command()
@click.argument("strategy")
@click.option("-g", "grid", multiple=True, required=True, metavar="KEY=VALUES", help="Grid, as for r2k sweep.")
@click.option("--train", required=True, help="Training length, e.g. 5y, 18m, 26w.")
@click.option("--test", "test_len", required=True, help="Test length, e.g. 1y, 6m.")
@click.option("--expanding", is_flag=True, help="Grow the training window from the first day instead of rolling it.")
@click.option("--metric", default="cagr", show_default=True, help="Choose the best combination by this metric.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Folder [default: walkforward/STRATEGY-HASH].")
@click.option("--no-tearsheet", is_flag=True, help="Skip the tear sheet.")
@_executor_options
@engine_option("vector for allocation rules")
@strategy_path_option
@click.option("--symbol", default=None, help="Shorthand for -p symbol=S (as in r2k run).")
@spec_options
@store_option
def walkforward(strategy, symbol, grid, train, test_len, expanding, metric, out, no_tearsheet, yes, workers, scheduler,
                dask_local, engine, strategy_path, start, end, cash, contribute, every, benchmark, fill, commission_bps,
                slippage_bps, whole_shares, params, stats, rf, offline, store) -> None:
    """Walk-forward test of STRATEGY: pick the best -g combination on each training window, run it on the next."""
    import hashlib
    import json

    from r2k.runner.engine import prepare
    from r2k.runner.sweeps import measure_many, rank_grids
    from r2k.runner.walkforward import walk_forward

    cls, base, label, g = _setup(metric, store, strategy, strategy_path, grid, start, end, cash, contribute, every,
                                 benchmark, fill, commission_bps, slippage_bps, whole_shares, params, engine, rf,
                                 stats=stats, symbol=symbol)
    if out is None:
        ident = json.dumps({"spec": base.to_dict(), "grid": {k: list(map(str, v)) for k, v in g.items()}, "train": train,
                            "test": test_len, "expanding": expanding, "metric": metric}, sort_keys=True)
        out = Path("walkforward") / f"{label}-{hashlib.sha256(ident.encode()).hexdigest()[:10]}"
    from r2k.reports.runfolder import check_replaceable

    check_replaceable(out)
    calendar = prepare(base, store=store, offline=offline, note=warn).inputs.calendar
    from r2k.runner.cli_gridgate import confirm_grid, grid_size

    n_workers = workers or default_workers(base, grid_size(g))
    from r2k.runner.walkforward import make_windows, parse_duration

    n_windows = len(make_windows(calendar, parse_duration(train, "--train"), parse_duration(test_len, "--test"),
                                 expanding))
    confirm_grid(grid_size(g) * max(1, n_windows), engine=base.engine, workers=dask_local or n_workers, yes=yes,
                 what=f"backtests ({grid_size(g):,} combinations x {n_windows} windows)")
    from r2k.runner.progress import Progress, Ticker

    bar: Progress | None = None

    def on_step(done: int, total: int) -> None:  # windows, then the hindsight run, counted on a terminal
        nonlocal bar
        if bar is None:
            bar = Progress(total, label="walk-forward windows")
        bar.step()

    try:
        wf = walk_forward(
            base, g, train, test_len, metric=metric, expanding=expanding, calendar=calendar,
            # every window's grid in one evaluation (one pool), then every test period in one batch call
            run_grids=lambda specs, grid_, ranked: rank_grids(specs, grid_, metric=metric, workers=n_workers,
                                                              scheduler=scheduler, dask_local=dask_local, basis=stats,
                                                              store=store, on_ranked=ranked),
            # the test periods and the hindsight run: one batch call
            run_tests=lambda specs: measure_many(specs, store=store, basis=stats), on_step=on_step,
        )
    finally:
        if bar is not None:
            bar.close()
    from r2k.reports.walkforward_report import write_walkforward

    with Ticker("writing the walk-forward folder" + ("" if no_tearsheet else " and its tear sheet")):
        folder = write_walkforward(wf, out, base=base, metric=metric, basis=stats, tearsheet=not no_tearsheet)
    from r2k.reports.walkforward_report import format_windows

    click.echo(format_windows(wf, metric))
    click.echo(f"\nwalk-forward folder: {folder}")
