"""``r2k compare``: several strategies (or run folders) side by side over one common window."""

from __future__ import annotations

from pathlib import Path

import click

from r2k.runner.cli_common import engine_option, spec_options, store_option, warn
from r2k.runner.cli_flows import flow_options
from r2k.runner.cli_strategies import strategy_path_option


def split_params(pairs: tuple[str, ...]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """``-p key=value`` (every strategy that has ``key``) and ``-p LABEL.key=value`` (that member only)."""
    common: dict[str, str] = {}
    per: dict[str, dict[str, str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not key=value or LABEL.key=value", param_hint="-p")
        target, dot, name = key.partition(".")
        if not dot:
            common[key] = value.strip()
            continue
        if not name:
            raise click.BadParameter(f"{pair!r} has no parameter name after {target!r}.", param_hint="-p")
        per.setdefault(target, {})[name] = value.strip()
    return common, per


@click.command()
@click.argument("members", nargs=-1, required=False, metavar='"STRATEGY [key=value ...]"|RUN_FOLDER ...')
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="TOML file with [[strategies]] and any of these settings (flags and members given here win).")
@click.option("--symbols", default=None, metavar="S1,S2,...",
              help="Run each strategy once per symbol (buy-and-hold --symbols IWM,SPY,QQQ).")
@strategy_path_option
@engine_option("vector for allocation rules, backtrader for a backtrader Strategy")
@spec_options
@flow_options
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Comparison folder [default: runs/compare-HASH under the current folder].")
@click.option("--no-tearsheet", is_flag=True, help="Skip the per-strategy tear sheets.")
@click.option("--windows", "with_windows", is_flag=True,
              help="Add an 'every start date' section per member (as r2k windows, over the common window).")
@click.option("--simulate", "sim_paths", type=click.IntRange(min=0), default=0, show_default=True, metavar="PATHS",
              help="Add a 'what could have happened' section per member: PATHS bootstrap histories (as r2k simulate).")
@click.option("--sim-years", type=click.FloatRange(min=0, min_open=True), default=20, show_default=True,
              help="Length of each simulated history, in years.")
@store_option
def compare(members, config, symbols, strategy_path, engine, start, end, cash, contribute, every, benchmark, fill,
            commission_bps, slippage_bps, whole_shares, params, stats, rf, offline, out, no_tearsheet, with_windows,
            sim_paths, sim_years, store, flow_settings) -> None:
    """Compare strategies (or run folders) over one common window: index.html, summary.csv/json.

    \b
    A MEMBER is a strategy followed by its own settings, quoted as one argument: run settings
    (symbol, cash, contribute, every, fill, commission_bps, ...) or strategy parameters, and
    label=NAME; or a run folder written by `r2k run` (loaded, not re-run). A member's settings
    beat the shared flags. Each row is labelled by what it holds (buy-and-hold IWM, dca IWM
    $500/month); NAME:LABEL or label= names it yourself. -p KEY=VALUE sets KEY for every strategy
    that has it; -p LABEL.KEY=VALUE for the member labelled LABEL.

    \b
      r2k compare buy-and-hold --symbols IWM,SPY,QQQ
      r2k compare "buy-and-hold symbol=IWM" "buy-and-hold symbol=SPY"
      r2k compare "buy-and-hold symbol=IWM cash=12000" "dca symbol=IWM cash=0 contribute=500"
      r2k compare runs/buy-and-hold-IWM-9217aa14cb dca

    All members and the benchmark share one window, the intersection of their date ranges; a
    strategy whose own range is longer is run again over exactly that window. The benchmark is
    bought like the members (same cash, deposits, fills and costs).
    """
    from r2k.data.errors import UsageError
    from r2k.runner.cli_run import SPEC_KEYS, explicit_params
    from r2k.runner.comparison import compare as compare_runs
    from r2k.runner.members import members_from
    from r2k.strategies.registry import Registry

    given = dict(start=start, end=end, cash=cash, contribute=contribute, every=every, benchmark=benchmark, fill=fill,
                 commission_bps=commission_bps, slippage_bps=slippage_bps, whole_shares=whole_shares, stats=stats,
                 offline=offline, engine=engine, rf=rf)
    explicit = explicit_params(click.get_current_context())
    file_layer: dict = {}
    file_members: list = []
    if config is not None:
        from r2k.runner.config import load_compare_config

        cfg = load_compare_config(config)
        o = cfg.options
        file_layer = {k: v for k, v in o.items() if k in SPEC_KEYS}
        for key, flag in (("out", "out"), ("offline", "offline")):
            if key in o and flag not in explicit:
                if key == "out":
                    out = Path(o["out"])
                else:
                    offline = o["offline"]
        if "tearsheet" in o and "no_tearsheet" not in explicit:
            no_tearsheet = not o["tearsheet"]
        strategy_path = tuple(strategy_path) + tuple(o.get("strategy_path", []))
        if not members:  # members named on the command line replace the file's
            file_members = [(e.strategy, {**e.settings, **({"label": e.label} if e.label else {})})
                            for e in cfg.strategies]
    if not members and not file_members:
        raise UsageError("nothing to compare: name strategies or run folders, or give --config")
    registry = Registry.with_paths([str(Path(p).resolve()) for p in strategy_path])
    if registry.paths:
        for b in registry.catalog().broken:
            warn(f"could not load {b}")
    common, per = split_params(params)
    flags = {k: v for k, v in given.items() if k in explicit and k in SPEC_KEYS}
    flags.update(flow_settings)
    flags["params"] = common
    syms = [x.strip() for x in symbols.split(",") if x.strip()] if symbols else []
    entries = members_from(list(members) or file_members, shared=[file_layer, flags], symbols=syms, per_label=per,
                           registry=registry, warn=warn)
    from r2k.strategies.discovery import param_defaults

    shared_known = {k for e in entries if e.spec is not None for k in param_defaults(e.spec.strategy_class())}
    for key in common:
        if key not in shared_known:
            raise UsageError(f"-p {key}=...: no strategy here has a parameter {key!r}")
    bench = {**file_layer, **flags}.get("benchmark", "SPY")
    bench = None if bench is None or str(bench).strip().lower() in ("", "none") else bench
    from r2k.data.symbols import canonical_symbol
    from r2k.runner.compare_studies import StudyRequest

    res = compare_runs(entries, benchmark=canonical_symbol(bench) if bench else None,
                       start={**file_layer, **flags}.get("start"), end={**file_layer, **flags}.get("end"), out=out,
                       store=store, offline=offline, basis={**file_layer, **flags}.get("stats", "daily"),
                       tearsheets=not no_tearsheet, warn=warn,
                       studies=StudyRequest(windows=with_windows, paths=sim_paths, years=sim_years),
                       on_summary=lambda c: click.echo(format_table(c.summary, c.start, c.end, c.basis)
                                                       + real_table(c)))
    click.echo(f"\ncomparison folder: {res.folder}")
    click.echo(f"report: {res.folder / 'index.html'}")


def real_table(comparison) -> str:
    """With --real: the members' real numbers (dollars of the window's end month), and how they were made."""
    real = comparison.real_summary
    if real is None:
        return ""
    import math

    def pct(v):
        return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{100 * v:.2f}%"

    def money(v):
        return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:,.2f}"

    cols = [("Final balance", "final_value", money), ("Contributed", "contributed", money),
            ("Withdrawn", "withdrawn", money), ("CAGR", "cagr", pct), ("XIRR", "xirr", pct),
            ("Max DD", "max_drawdown", pct), ("Best year", "best_year", pct), ("Worst year", "worst_year", pct)]
    cols = [c for c in cols if c[1] in real.columns]
    from r2k.reports.terminal import table, wrap_lines

    records = real.to_dict("records")
    rows = [[str(r["name"]), *(fn(r.get(k)) for _, k, fn in cols)] for r in records]
    lines = ["", *wrap_lines([f"in dollars of {records[0]['dollars_of']} (--real)"]),
             table(["", *(h for h, _, _ in cols)], rows)]
    note = comparison.real_note()
    if note:
        lines += wrap_lines([f"{note[0].upper()}{note[1:]}."])
    return "\n".join(lines)


def format_table(summary, start, end, basis: str) -> str:
    """A short plain-text version of the summary (percent only here, at display time)."""
    import math

    def pct(v):
        return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{100 * v:.2f}%"

    def num(v):
        return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.2f}"

    cols = [("Final balance", lambda r: f"{r['final_value']:,.2f}"), ("Contributed", lambda r: f"{r['contributed']:,.2f}"),
            ("CAGR", lambda r: pct(r["cagr"])), ("XIRR", lambda r: pct(r["xirr"])),
            ("Stdev", lambda r: pct(r["volatility"])), ("Sharpe", lambda r: num(r["sharpe"])),
            ("Max DD", lambda r: pct(r["max_drawdown"])), ("Corr", lambda r: num(r["correlation"]))]
    if "withdrawn" in summary.columns and summary["withdrawn"].notna().any():
        def depleted(r):
            d = r.get("depleted_on")
            return "survived" if d is None or (isinstance(d, float) and not math.isfinite(d)) else str(d)

        def withdrawn(r):
            w = r.get("withdrawn")
            return "-" if w is None or (isinstance(w, float) and not math.isfinite(w)) else f"{w:,.2f}"

        cols[2:2] = [("Withdrawn", withdrawn), ("Depleted on", depleted)]
    if "initial_cash" in summary.columns and summary["initial_cash"].nunique() > 1:
        # lump sum vs DCA: without it, $120,000 put in on day one reads as "Contributed 0.00"
        cols.insert(1, ("Initial balance", lambda r: f"{r['initial_cash']:,.2f}"))
    from r2k.reports.terminal import table, wrap_lines

    rows = [[str(r["name"]), *(fn(r) for _, fn in cols)] for r in summary.to_dict("records")]
    head = wrap_lines([f"common window {start:%Y-%m-%d}..{end:%Y-%m-%d}  (stats basis: {basis})"])
    return "\n".join([*head, table(["", *(h for h, _ in cols)], rows)])
