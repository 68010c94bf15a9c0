"""``r2k compare``: several strategies (or run folders) side by side over one common window."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from r2k.runner.cli_common import engine_option, spec_options, store_option, warn
from r2k.runner.cli_strategies import strategy_path_option

LABEL_RE = re.compile(r"^[A-Za-z0-9_+-]+$")


def _is_run_folder(path: str) -> bool:
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "manifest.json"))


def parse_member(arg: str) -> tuple[str, str | None, bool]:
    """``NAME``, ``NAME:LABEL``, ``FOLDER`` or ``FOLDER:LABEL`` -> (name or folder, label, is_folder).

    The text after the last ``:`` is a label only when the text before it is a run folder or
    names a strategy, so ``package.module:Class`` references still work (and take labels too:
    ``package.module:Class:LABEL``).
    """
    from r2k.data.errors import UsageError
    from r2k.strategies import registry

    if _is_run_folder(arg):
        return arg, None, True
    head, sep, tail = arg.rpartition(":")
    if sep and _is_run_folder(head):
        return head, tail, True
    if sep and head:
        try:
            registry.resolve(head)
            return head, tail, False
        except UsageError:
            pass
    if not sep and ("/" in arg or os.sep in arg or os.path.exists(arg)):
        raise UsageError(f"{arg} is not a run folder (no manifest.json) nor a strategy name")
    return arg, None, False


def assign_labels(wanted: list[tuple[str, str | None]]) -> list[str]:
    """Explicit labels as given (unique, checked); the rest get their base name, then -2, -3 ... on repeats."""
    from r2k.data.errors import UsageError

    explicit = [lab for _, lab in wanted if lab is not None]
    for lab in explicit:
        if not LABEL_RE.match(lab):
            raise UsageError(f"bad label {lab!r}: use letters, digits, '-', '_' and '+'")
    dupes = sorted({lab for lab in explicit if explicit.count(lab) > 1})
    if dupes:
        raise UsageError(f"label {dupes[0]!r} is given twice")
    used = set(explicit)
    out = []
    for base, lab in wanted:
        if lab is None:
            lab, k = base, 2
            while lab in used:
                lab, k = f"{base}-{k}", k + 1
            used.add(lab)
        out.append(lab)
    return out


def split_params(pairs: tuple[str, ...], labels: list[str], folders: set[str]) -> tuple[dict[str, str], dict[str, dict]]:
    """``-p key=value`` (every strategy that has ``key``) and ``-p LABEL.key=value`` (that member only)."""
    from r2k.data.errors import UsageError

    common: dict[str, str] = {}
    per: dict[str, dict[str, str]] = {lab: {} for lab in labels}
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
        if target not in per:
            raise UsageError(f"-p {pair}: no member is labelled {target!r}; labels: {', '.join(labels)}")
        if target in folders:
            raise UsageError(f"-p {pair}: {target} is a run folder; its parameters are fixed")
        per[target][name] = value.strip()
    return common, per


@click.command()
@click.argument("members", nargs=-1, required=False, metavar="STRATEGY[:LABEL]|RUN_FOLDER[:LABEL]...")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="TOML file with [[strategies]] and any of these settings (flags and members given here win).")
@strategy_path_option
@engine_option("backtrader")
@spec_options
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Comparison folder [default: runs/compare-HASH under the current folder].")
@click.option("--no-tearsheet", is_flag=True, help="Skip the per-strategy quantstats tear sheets.")
@store_option
def compare(members, config, strategy_path, engine, start, end, cash, contribute, every, benchmark, fill,
            commission_bps, slippage_bps, whole_shares, params, stats, rf, offline, out, no_tearsheet, store) -> None:
    """Compare strategies (or run folders) over one common window: index.html, summary.csv/json.

    \b
    MEMBERS are strategy names (or module:Class references), NAME:LABEL, or run folders written
    by `r2k run` (FOLDER or FOLDER:LABEL), which are loaded, not re-run. A label names the member
    in the report and its subfolder; it defaults to the strategy name (a run folder's own name),
    and a name given again gets -2, -3 ... appended (dca dca -> dca, dca-2).
    -p KEY=VALUE sets KEY for every strategy that has it; -p LABEL.KEY=VALUE for one member.

    \b
      r2k compare buy-and-hold dca rate-cut-rotation --start 2005-01-01 --benchmark SPY
      r2k compare rate-cut-rotation rate-cut-rotation:cash -p cash.risk_off=CASH
      r2k compare buy-and-hold buy-and-hold:vtwo -p vtwo.symbol=VTWO --stats monthly
      r2k compare runs/buy-and-hold-9217aa14cb dca

    All members and the benchmark share one window, the intersection of their date ranges; a
    strategy whose own range is longer is run again over exactly that window.
    """
    from r2k.data.errors import UsageError
    from r2k.data.symbols import canonical_symbol
    from r2k.runner.compare import Entry, slug
    from r2k.runner.compare import compare as compare_runs
    from r2k.runner.spec import RunSpec, parse_date
    from r2k.strategies import discovery, registry
    from r2k.strategies.base import coerce

    file_params: dict[int, dict] = {}
    if config is not None:
        from r2k.runner.cli_run import explicit_params
        from r2k.runner.config import load_compare_config

        cfg = load_compare_config(config)
        given = explicit_params(click.get_current_context())
        o = cfg.options
        flags = dict(start=start, end=end, cash=cash, contribute=contribute, every=every, benchmark=benchmark,
                     fill=fill, commission_bps=commission_bps, slippage_bps=slippage_bps, whole_shares=whole_shares,
                     stats=stats, offline=offline, engine=engine, rf=rf)
        merged = {k: (o[k] if k in o and k not in given else v) for k, v in flags.items()}
        start, end, cash, contribute, every, benchmark = (merged[k] for k in ("start", "end", "cash", "contribute",
                                                                              "every", "benchmark"))
        fill, commission_bps, slippage_bps, whole_shares = (merged[k] for k in ("fill", "commission_bps",
                                                                                 "slippage_bps", "whole_shares"))
        stats, offline, engine, rf = merged["stats"], merged["offline"], merged["engine"], merged["rf"]
        out = Path(o["out"]) if "out" in o and "out" not in given else out
        no_tearsheet = (not o["tearsheet"]) if "tearsheet" in o and "no_tearsheet" not in given else no_tearsheet
        strategy_path = tuple(strategy_path) + tuple(o.get("strategy_path", []))
        if "symbol" in o:
            params = (f"symbol={o['symbol']}",) + tuple(params)
        if not members:  # members named on the command line replace the file's
            members = tuple(f"{e.strategy}:{slug(e.label)}" if e.label else e.strategy for e in cfg.strategies)
            file_params = {i: e.params for i, e in enumerate(cfg.strategies)}
    if not members:
        raise UsageError("nothing to compare: name strategies or run folders, or give --config")
    if stats not in ("daily", "monthly"):
        raise UsageError(f"stats must be daily or monthly, not {stats!r}")
    parse_date(start, "start")
    parse_date(end, "end")
    registry.set_search_paths([str(Path(p).resolve()) for p in strategy_path])
    if registry.search_paths():
        for b in registry.catalog().broken:
            warn(f"could not load {b}")
    parsed = [parse_member(m) for m in members]
    classes = {i: registry.resolve(name) for i, (name, _, is_folder) in enumerate(parsed) if not is_folder}
    bases = [slug(Path(name).resolve().name) if is_folder else discovery.strategy_name(classes[i])
             for i, (name, _, is_folder) in enumerate(parsed)]
    labels = assign_labels([(b, lab) for b, (_, lab, _) in zip(bases, parsed, strict=True)])
    folders = {lab for lab, (_, _, is_folder) in zip(labels, parsed, strict=True) if is_folder}
    common, per = split_params(params, labels, folders)
    defaults = {i: discovery.param_defaults(cls) for i, cls in classes.items()}
    for key in common:
        if not any(key in d for d in defaults.values()):
            raise UsageError(f"-p {key}=...: no strategy here has a parameter {key!r}")
    bench = None if benchmark.strip().lower() in ("", "none") else canonical_symbol(benchmark)

    entries = []
    for i, (lab, (name, _, is_folder)) in enumerate(zip(labels, parsed, strict=True)):
        if is_folder:
            entries.append(Entry(lab, folder=Path(name)))
            continue
        cls, d = classes[i], defaults[i]
        p = {k: v for k, v in common.items() if k in d} | file_params.get(i, {}) | per[lab]
        discovery.validate_params(cls, p)  # unknown or bad parameters fail here, before any data is loaded
        spec = RunSpec(strategy=discovery.strategy_name(cls), params={k: coerce(v, d[k], k) for k, v in p.items()},
                       start=start, end=end, cash=cash, contribute=contribute, every=every, benchmark=bench or "none",
                       fill=fill, commission_bps=commission_bps, slippage_bps=slippage_bps, whole_shares=whole_shares,
                       engine=engine or "backtrader", rf=str(rf)).validated()
        entries.append(Entry(lab, spec=spec))

    res = compare_runs(entries, benchmark=bench, start=start, end=end, out=out, store=store, offline=offline,
                       basis=stats, tearsheets=not no_tearsheet, warn=warn)
    click.echo(format_table(res.summary, res.start, res.end, stats))
    click.echo(f"\ncomparison folder: {res.folder}")
    click.echo(f"report: {res.folder / 'index.html'}")


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
    rows = summary.to_dict("records")
    width = max(len(str(r["name"])) for r in rows)
    lines = [f"common window {start:%Y-%m-%d}..{end:%Y-%m-%d}  (stats basis: {basis})",
             f"{'':<{width}}  " + "  ".join(f"{h:>14}" for h, _ in cols)]
    for r in rows:
        lines.append(f"{r['name']:<{width}}  " + "  ".join(f"{fn(r):>14}" for _, fn in cols))
    return "\n".join(lines)
