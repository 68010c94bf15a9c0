"""``r2k run``: one backtest, one run folder."""

from __future__ import annotations

from pathlib import Path

import click

from r2k.runner.cli_common import parse_params, store_option, warn


class RunCommand(click.Command):
    """``r2k run NAME --help`` also lists NAME's parameters with their defaults."""

    def parse_args(self, ctx, args):
        if any(a in ("-h", "--help") for a in args):
            names = [a for a in args if not a.startswith("-")]
            if names:
                ctx.meta["r2k_strategy"] = names[0]
        return super().parse_args(ctx, args)

    def format_epilog(self, ctx, formatter):
        super().format_epilog(ctx, formatter)
        name = ctx.meta.get("r2k_strategy")
        if not name:
            from r2k.strategies import registry

            with formatter.section("Strategies"):
                formatter.write_text(", ".join(registry.names()) + "  (r2k run NAME --help lists its parameters)")
            return
        from r2k.data.errors import R2KError
        from r2k.strategies import registry

        try:
            cls = registry.resolve(name)
        except R2KError as exc:
            formatter.write_text(str(exc))
            return
        with formatter.section(f"Strategy {cls.name}"):
            formatter.write_text(cls.describe())
        with formatter.section("Parameters (-p key=value)"):
            formatter.write_dl([(k, f"default: {v!r}") for k, v in cls.params.items()] or [("(none)", "")])


@click.command(cls=RunCommand)
@click.argument("strategy")
@click.option("--symbol", default=None, help="Shorthand for -p symbol=S.")
@click.option("--start", default=None, help="First day (YYYY-MM-DD) [default: first common day of the data].")
@click.option("--end", default=None, help="Last day (YYYY-MM-DD) [default: last common day of the data].")
@click.option("--cash", type=float, default=10_000.0, show_default=True, help="Initial cash in dollars.")
@click.option("--contribute", type=float, default=None, help="Dollars added on the first trading day of every period.")
@click.option("--every", type=click.Choice(["week", "month", "quarter", "year"]), default=None,
              help="Contribution period [default: month].")
@click.option("--benchmark", default="SPY", show_default=True, help="Benchmark symbol, or 'none'.")
@click.option("--fill", type=click.Choice(["next-open", "close"]), default="next-open", show_default=True,
              help="When orders decided at a close fill.")
@click.option("--commission-bps", type=float, default=0.0, show_default=True, help="Commission in basis points of traded value.")
@click.option("--slippage-bps", type=float, default=0.0, show_default=True, help="Slippage in basis points of traded value.")
@click.option("--whole-shares", is_flag=True, help="Trade whole shares only (default: fractional, as dollar-based ETF buying).")
@click.option("-p", "params", multiple=True, metavar="KEY=VALUE", help="Strategy parameter (repeatable).")
@click.option("--stats", type=click.Choice(["daily", "monthly"]), default="daily", show_default=True,
              help="Returns that volatility, Sharpe and Sortino are computed from.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Run folder [default: runs/STRATEGY-HASH under the current folder].")
@click.option("--no-tearsheet", is_flag=True, help="Skip the quantstats HTML tear sheet (saves ~3 s).")
@click.option("--offline", is_flag=True, envvar="R2K_OFFLINE", help="Never use the network; use only the local store.")
@store_option
def run(strategy, symbol, start, end, cash, contribute, every, benchmark, fill, commission_bps, slippage_bps,
        whole_shares, params, stats, out, no_tearsheet, offline, store) -> None:
    """Backtest STRATEGY and write a run folder (tear sheet, metrics, CSVs, manifest)."""
    from r2k.data.errors import UsageError
    from r2k.runner.spec import RunSpec
    from r2k.strategies import registry

    cls = registry.resolve(strategy)
    p = parse_params(params)
    if symbol is not None:
        if "symbol" not in cls.params:
            raise UsageError(f"{cls.name} has no symbol parameter; valid: {', '.join(cls.params) or '(none)'}")
        p["symbol"] = symbol
    cls(**p)  # unknown or bad parameters fail here, before any data is loaded
    defaults = getattr(cls, "run_defaults", {})
    spec = RunSpec(
        strategy=cls.name, params=p, start=start, end=end, cash=cash,
        contribute=contribute if contribute is not None else defaults.get("contribute", 0.0),
        every=every or defaults.get("every", "month"), benchmark=benchmark, fill=fill,
        commission_bps=commission_bps, slippage_bps=slippage_bps, whole_shares=whole_shares,
    ).validated()
    target = out or Path("runs") / f"{spec.strategy}-{spec.key()}"
    if target.exists() and not target.is_dir():
        raise UsageError(f"--out {target} exists and is not a folder")
    execute(spec, target, store=store, offline=offline, tearsheet=not no_tearsheet, basis=stats)


def execute(spec, target: Path, *, store, offline: bool, tearsheet: bool, basis: str) -> None:
    """Run the spec, write its folder, print the summary (the CLI's only side effects)."""
    from r2k.reports.runfolder import compute_metrics, write_run_folder
    from r2k.reports.summary import benchmark_metrics, format_summary
    from r2k.runner.engine import run as run_spec

    result = run_spec(spec, store=store, offline=offline, warn=warn)
    result.metrics = compute_metrics(result, basis)
    bench = benchmark_metrics(result, basis) if result.benchmark is not None else None
    folder = write_run_folder(result, target, tearsheet=tearsheet, basis=basis)
    click.echo(format_summary(result, bench))
    click.echo(f"\nrun folder: {folder}")
    if tearsheet:
        click.echo(f"tear sheet: {folder / 'tearsheet.html'}")
