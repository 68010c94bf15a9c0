"""``r2k windows`` and ``r2k simulate``: every start date, and what could have happened.

Both run STRATEGY once over its history (the same settings as ``r2k run``; the vector engine for
allocation rules unless ``--engine`` says otherwise), then hand the Result to
r2k.runner.windows_study / r2k.runner.simulation and write a folder atomically.
"""

from __future__ import annotations

from pathlib import Path

import click

from r2k.runner.cli_common import engine_option, parse_params, spec_options, store_option, warn
from r2k.runner.cli_flows import plan_options
from r2k.runner.cli_strategies import strategy_path_option

_SPEC_KEYS = ("symbol", "start", "end", "cash", "contribute", "every", "benchmark", "fill", "commission_bps",
              "slippage_bps", "whole_shares", "engine", "rf", "stats")


def _run_once(strategy, strategy_path, given: dict, params: tuple[str, ...], store, offline: bool,
              flow_settings: dict):
    """Build the spec from the flags given explicitly (the strategy's run defaults fill the rest) and run it.

    ``flow_settings`` is the money plan (--withdraw, --inflation-adjust, ...), only what was given."""
    from r2k.runner.build import build_spec, strategy_of
    from r2k.runner.cli_run import explicit_params
    from r2k.runner.engine import run as run_spec
    from r2k.strategies.registry import Registry

    registry = Registry.with_paths([str(Path(p).resolve()) for p in strategy_path])
    cls = strategy_of(strategy, registry)
    explicit = explicit_params(click.get_current_context())
    flags = {k: v for k, v in given.items() if k in explicit and k in _SPEC_KEYS}
    flags["params"] = parse_params(params)
    flags.update(flow_settings)
    spec = build_spec(cls, flags, registry=registry)
    return spec, run_spec(spec, store=store, offline=offline, warn=warn)


def _target(out: Path | None, kind: str, name: str) -> Path:
    from r2k.reports.runfolder import check_replaceable

    target = Path(out) if out else Path(kind) / name
    check_replaceable(target)
    return target


def _common(fn):
    fn = store_option(fn)
    fn = engine_option("vector for allocation rules")(fn)
    fn = plan_options(fn)
    fn = spec_options(fn)
    fn = click.option("--symbol", default=None, help="Shorthand for -p symbol=S.")(fn)
    fn = strategy_path_option(fn)
    return click.argument("strategy")(fn)


@click.command("windows")
@_common
@click.option("--max-years", type=int, default=None, help="Longest holding length [default: the whole history].")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Folder [default: windows/STRATEGY-SYMBOL-HASH].")
def windows_cmd(strategy, strategy_path, symbol, start, end, cash, contribute, every, benchmark, fill, commission_bps,
                slippage_bps, whole_shares, params, stats, rf, offline, engine, store, max_years, out,
                flow_settings) -> None:
    """Every start month x every holding length (whole years) of STRATEGY's history.

    Writes windows.csv (CAGR of each side, the difference, XIRRs with contributions), a heat map
    (heatmap.png, index.html) and prints, per holding length, the share of windows won, the
    median, and the best and worst window with their dates.
    """
    from r2k.runner.labels import folder_name
    from r2k.runner.windows_study import windows

    given = dict(symbol=symbol, start=start, end=end, cash=cash, contribute=contribute, every=every,
                 benchmark=benchmark, fill=fill, commission_bps=commission_bps, slippage_bps=slippage_bps,
                 whole_shares=whole_shares, stats=stats, engine=engine, rf=rf)
    spec, result = _run_once(strategy, strategy_path, given, params, store, offline, flow_settings)
    target = _target(out, "windows", folder_name(spec))
    res = windows(result, max_years=max_years)
    folder = res.save(target)
    click.echo(res.text())
    _echo_folder("windows folder", folder, "windows.csv, summary.csv, heatmap.png, index.html")


@click.command("simulate")
@_common
@click.option("--paths", type=int, default=10_000, show_default=True, help="Bootstrapped paths.")
@click.option("--years", type=float, default=20.0, show_default=True, help="Length of each path in years.")
@click.option("--block-months", type=float, default=12.0, show_default=True,
              help="Mean block length of the stationary bootstrap, in months.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: the same seed, the same numbers.")
@click.option("--resample", type=click.Choice(["returns", "assets"]), default="returns", show_default=True,
              help="returns: the strategy's and benchmark's realised daily returns, with the run's cash flows "
                   "replayed; assets: the rule itself re-run on every synthetic price history (price-only rules; "
                   "slow: use fewer --paths).")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Local worker processes for the batches of paths (same numbers as 1).")
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786.")
@click.option("--dask-local", type=click.IntRange(1, 64), default=None, help="Start a local Dask cluster with N workers.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Folder [default: simulations/STRATEGY-SYMBOL-HASH-RESAMPLE-pPATHS-yYEARS-bBLOCK-sSEED].")
def simulate_cmd(strategy, strategy_path, symbol, start, end, cash, contribute, every, benchmark, fill, commission_bps,
                 slippage_bps, whole_shares, params, stats, rf, offline, engine, store, paths, years, block_months, seed,
                 resample, workers, scheduler, dask_local, out, flow_settings) -> None:
    """A stationary block bootstrap of STRATEGY's history: percentiles, probabilities, a fan chart.

    Whole days of the joint history (the strategy's return, its benchmark's, CPI inflation) are
    drawn in blocks of random length (mean --block-months) and the run's cash flows replayed on
    each path. Writes percentiles.csv, paths.csv, fan.csv, fan.png, index.html, simulation.json.
    """
    from r2k.runner.labels import folder_name
    from r2k.runner.simulation import prepare, simulate

    given = dict(symbol=symbol, start=start, end=end, cash=cash, contribute=contribute, every=every,
                 benchmark=benchmark, fill=fill, commission_bps=commission_bps, slippage_bps=slippage_bps,
                 whole_shares=whole_shares, stats=stats, engine=engine, rf=rf)
    spec, result = _run_once(strategy, strategy_path, given, params, store, offline, flow_settings)
    prepare(result, paths=paths, years=years, block_months=block_months, seed=seed)  # bad input fails before the work
    if resample == "assets":
        from r2k.runner.resample_assets import check_rule

        check_rule(spec)
    name = f"{folder_name(spec)}-{resample}-p{paths}-y{years:g}-b{block_months:g}-s{seed}"
    target = _target(out, "simulations", name)
    cpi = _cpi(store, offline)
    res = simulate(result, paths=paths, years=years, block_months=block_months, seed=seed, cpi=cpi,
                   workers=workers, scheduler=scheduler, dask_local=dask_local, resample=resample, store=store,
                   offline=offline)
    folder = res.save(target)
    click.echo(res.text())
    _echo_folder("simulation folder", folder, "percentiles.csv, paths.csv, fan.csv, fan.png, index.html")


def _echo_folder(what: str, folder, files: str) -> None:
    """The folder line after a blank one; its list of files goes on a line of its own when both
    would not fit the terminal's 100 columns (the path stays whole, to copy)."""
    from r2k.reports.terminal import WIDTH

    line = f"{what}: {folder}  ({files})"
    click.echo("\n" + (line if len(line) <= WIDTH else f"{what}: {folder}\n  ({files})"))


def _cpi(store, offline: bool):
    """CPIAUCSL from the store (fetched when online); None with a warning when it cannot be had."""
    from r2k.data import loader
    from r2k.data.errors import R2KError

    try:
        return loader.get("CPIAUCSL", series=True, store=store, offline=offline, warn=warn).data
    except R2KError as exc:
        warn(f"no real (inflation-adjusted) balances: {exc}")
        return None
