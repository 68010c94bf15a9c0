"""``r2k run``: one backtest, one run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from r2k.runner.cli_common import engine_option, parse_params, spec_options, store_option, warn
from r2k.runner.cli_flows import FLOW_KEYS, flow_options
from r2k.runner.cli_strategies import strategy_path_option

#: config-file key -> this command's parameter name (where they differ)
_PARAM_OF = {"tearsheet": "no_tearsheet"}


class RunCommand(click.Command):
    """``r2k run NAME --help`` also lists NAME's parameters with their defaults."""

    def parse_args(self, ctx, args):
        if any(a in ("-h", "--help") for a in args):
            names = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or not args[i - 1].startswith("-"))]
            if names:
                ctx.meta["r2k_strategy"] = names[0]
            ctx.meta["r2k_paths"] = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--strategy-path"]
        return super().parse_args(ctx, args)

    def format_epilog(self, ctx, formatter):
        super().format_epilog(ctx, formatter)
        from r2k.data.errors import R2KError
        from r2k.strategies import discovery, registry

        name = ctx.meta.get("r2k_strategy")
        if not name:
            with formatter.section("Strategies"):
                formatter.write_text(", ".join(registry.names()) + "  (r2k strategies list shows all; "
                                     "r2k run NAME --help lists NAME's parameters)")
            return
        try:
            info = discovery.strategy_info(registry.Registry.with_paths(ctx.meta.get("r2k_paths", [])).resolve(name))
        except R2KError as exc:
            formatter.write_text(str(exc))
            return
        with formatter.section(f"Strategy {info['name']} ({info['kind']})"):
            formatter.write_text(info["description"])
        with formatter.section("Parameters (-p key=value)"):
            formatter.write_dl([(k, f"default: {v!r}") for k, v in info["params"].items()] or [("(none)", "")])
        if info.get("run_defaults"):
            with formatter.section("Run defaults (flags override them)"):
                formatter.write_text(info["run_defaults"])


@click.command(cls=RunCommand)
@click.argument("strategy", required=False)
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="TOML file with any of these settings (flags given here win); see README 'Config files'.")
@strategy_path_option
@click.option("--symbol", default=None, help="Shorthand for -p symbol=S.")
@spec_options
@flow_options
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Run folder [default: runs/STRATEGY-HASH under the current folder].")
@click.option("--no-tearsheet", is_flag=True, help="Skip the HTML tear sheet (see README).")
@engine_option("vector for allocation rules, backtrader for a backtrader Strategy")
@store_option
def run(strategy, config, strategy_path, symbol, start, end, cash, contribute, every, benchmark, fill, commission_bps,
        slippage_bps, whole_shares, params, stats, rf, offline, out, no_tearsheet, engine, store, flow_settings) -> None:
    """Backtest STRATEGY (a name, package.module:Class or file.py:Class) and write a run folder."""
    from r2k.data.errors import UsageError
    from r2k.runner.build import build_spec
    from r2k.runner.config import load_run_config
    from r2k.runner.labels import folder_name
    from r2k.strategies.registry import Registry

    given = dict(strategy=strategy, symbol=symbol, start=start, end=end, cash=cash, contribute=contribute, every=every,
                 benchmark=benchmark, fill=fill, commission_bps=commission_bps, slippage_bps=slippage_bps,
                 whole_shares=whole_shares, stats=stats, offline=offline, out=out, no_tearsheet=no_tearsheet,
                 engine=engine, rf=rf)
    explicit = explicit_params(click.get_current_context())
    file = load_run_config(config) if config else {}
    s = merge(given, file, explicit)
    if not s["strategy"]:
        raise UsageError("no strategy: give STRATEGY or 'strategy' in --config")
    paths = [str(Path(p).resolve()) for p in strategy_path] + list(s["strategy_path"])
    registry = Registry.with_paths(paths)
    if registry.paths:
        for b in registry.catalog().broken:
            warn(f"could not load {b}")
    flags = {k: v for k, v in given.items() if k in explicit and k in SPEC_KEYS}
    flags.update(flow_settings)
    flags["params"] = parse_params(params)
    spec = build_spec(s["strategy"], settings_of(file), flags, registry=registry)
    target = Path(s["out"]) if s["out"] else Path("runs") / folder_name(spec)
    from r2k.reports.runfolder import check_replaceable

    check_replaceable(target)
    resolved = resolved_config(spec, s, paths, target)
    execute(spec, target, store=store, offline=s["offline"], tearsheet=not s["no_tearsheet"], config=resolved)


#: settings of a run that make its spec (the rest say where to write, whether to render, what to read)
SPEC_KEYS = ("symbol", "start", "end", "cash", "contribute", "every", "benchmark", "fill", "commission_bps",
             "slippage_bps", "whole_shares", "engine", "rf", "stats") + FLOW_KEYS


def settings_of(file: dict[str, Any]) -> dict[str, Any]:
    """A config file's spec settings (and its ``params``) as one layer for the spec builder."""
    out = {k: v for k, v in file.items() if k in SPEC_KEYS}
    out["params"] = dict(file.get("params", {}))
    return out


def explicit_params(ctx: click.Context) -> set[str]:
    """Parameters given on the command line or through their environment variable (they beat the file)."""
    from click.core import ParameterSource

    keep = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT, ParameterSource.PROMPT)
    return {p.name for p in ctx.command.params if ctx.get_parameter_source(p.name) in keep}


def merge(given: dict[str, Any], file: dict[str, Any], explicit: set[str]) -> dict[str, Any]:
    """Flag values, replaced by the file's where the flag was not given explicitly."""
    out = dict(given)
    for key, value in file.items():
        if key in ("params", "strategy_path"):
            continue
        param = _PARAM_OF.get(key, key)
        if param in explicit:
            continue
        out[param] = (not value) if key == "tearsheet" else value
    out["params"] = dict(file.get("params", {}))
    out["strategy_path"] = list(file.get("strategy_path", []))
    return out


def resolved_config(spec, s: dict[str, Any], paths: list[str], target: Path) -> dict[str, Any]:
    """Everything that defines the run, in the config file's keys: load it with --config to repeat the run."""
    from r2k.strategies import discovery

    strategy = s["strategy"] if isinstance(s["strategy"], str) else (spec.ref or spec.strategy)
    if discovery.is_reference(strategy) and (strategy.rpartition(":")[0].endswith(".py")):
        path, _, attr = strategy.rpartition(":")
        strategy = f"{Path(path).resolve()}:{attr}"
    out = {
        "strategy": strategy, "params": discovery.validate_params(spec.strategy_class(), dict(spec.params)),
        "start": spec.start, "end": spec.end, "cash": spec.cash,
        "contribute": spec.contribute, "every": spec.every, "benchmark": spec.benchmark or "none", "fill": spec.fill,
        "commission_bps": spec.commission_bps, "slippage_bps": spec.slippage_bps, "whole_shares": spec.whole_shares,
        "stats": spec.stats, "out": str(target.resolve()), "offline": bool(s["offline"]), "engine": spec.engine,
        "rf": spec.rf, "tearsheet": not s["no_tearsheet"], "strategy_path": paths,
        **{k: getattr(spec, k) for k in FLOW_KEYS if getattr(spec, k)},
    }
    return {k: v for k, v in out.items() if v is not None}


def execute(spec, target: Path, *, store, offline: bool, tearsheet: bool, config: dict | None = None) -> None:
    """Run the spec, write its folder, print the summary, then render the tear sheet (the CLI's only side effects).

    The summary and every CSV/JSON come first: the tear sheet is the slow part, and a user reads
    the numbers while it renders (with elapsed time on a terminal, nothing on a pipe).
    """
    from dataclasses import replace

    from r2k.reports.summary import format_summary
    from r2k.runner.engine import run as run_spec

    result = replace(run_spec(spec, store=store, offline=offline, warn=warn), config=config)
    folder = result.save(target)
    click.echo(format_summary(result))
    click.echo(f"\nrun folder: {folder}")
    if tearsheet:
        from r2k.runner.progress import Ticker

        try:
            with Ticker("rendering the tear sheet"):
                result.tearsheet(folder / "tearsheet.html")
        except Exception as exc:
            from r2k.data.errors import R2KError

            raise R2KError(f"the tear sheet failed ({type(exc).__name__}: {exc}); the run folder {folder} holds "
                           "every other result; rerun with --no-tearsheet to skip it") from None
        click.echo(f"tear sheet: {folder / 'tearsheet.html'}")
