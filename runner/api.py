"""The public Python API: the same functions the CLI calls.

    import r2k.runner as r2k

    res = r2k.run("buy-and-hold", symbol="IWM", start="2005", end="2024-12-31", offline=True)
    res.metrics["cagr"], res.benchmark_metrics["cagr"]     # what metrics.json holds
    res.summary()                                         # the table `r2k run` prints, as a DataFrame
    cmp = r2k.compare(["buy-and-hold symbol=IWM", "dca symbol=IWM cash=0 contribute=500"], offline=True)
    cmp.summary                                           # one row per member, then the benchmark

Settings are the run flags as keywords (``symbol``, ``start``, ``end``, ``cash``, ``contribute``,
``every``, ``benchmark``, ``fill``, ``commission_bps``, ``slippage_bps``, ``whole_shares``,
``params``, ``stats``, ``rf``, ``engine``, ``withdraw``, ``withdraw_pct``, ``withdraw_from``,
``inflation_adjust``, ``real``), plus where to read data (``offline``, ``home``) and
where to find user strategies (``strategy_path``). A strategy is a name, ``"file.py:Class"``,
``"pkg.mod:Class"`` or a class object. Nothing is written unless you call ``.save()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from r2k.runner.build import SETTINGS, build_spec
from r2k.runner.result import Result
from r2k.runner.spec import RunSpec

Warn = Callable[[str], None]


def _split(settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(run settings, everything else) of an API call's keywords."""
    return ({k: v for k, v in settings.items() if k in SETTINGS},
            {k: v for k, v in settings.items() if k not in SETTINGS})


def _context(other: dict[str, Any]):
    from r2k.data.errors import UsageError
    from r2k.data.store import Store
    from r2k.strategies.registry import Registry

    allowed = {"offline", "home", "strategy_path", "warn", "providers", "store"}
    unknown = sorted(set(other) - allowed)
    if unknown:
        raise UsageError(f"unknown setting {', '.join(unknown)}; valid: {', '.join(SETTINGS + tuple(sorted(allowed)))}")
    store = other.get("store") or Store(other.get("home"))
    paths = other.get("strategy_path") or ()
    registry = Registry.with_paths([paths] if isinstance(paths, (str, Path)) else paths)
    return store, registry, bool(other.get("offline", False)), other.get("warn"), other.get("providers")


def make_spec(strategy: str | type, **settings: Any) -> RunSpec:
    """The validated RunSpec ``run(strategy, **settings)`` would run (nothing is loaded)."""
    mine, other = _split(settings)
    _, registry, *_ = _context(other)
    return build_spec(strategy, mine, registry=registry)


def run(strategy: str | type, **settings: Any) -> Result:
    """Backtest ``strategy`` and return its finished Result (metrics, benchmark metrics, label, tables)."""
    from r2k.runner.engine import run as run_spec

    mine, other = _split(settings)
    store, registry, offline, warn, providers = _context(other)
    return run_spec(build_spec(strategy, mine, registry=registry), store=store, offline=offline, warn=warn,
                    providers=providers)


def compare(members: Sequence[str | type | tuple[str | type, Mapping[str, Any]]], *, symbols: Sequence[str] = (),
            labels: Sequence[str] | None = None, tearsheets: bool = False, windows: bool = False,
            simulate: int = 0, sim_years: float = 20, **shared: Any):
    """Run every member over one common window; return a Comparison (``.summary``, ``.results``, ``.save()``).

    A member is ``"STRATEGY key=value ..."`` (run settings or parameters), a class, or a
    ``(strategy, {settings})`` pair; member settings beat the shared ones. ``symbols`` runs each
    member once per symbol. ``windows`` and ``simulate`` (a number of bootstrap paths of
    ``sim_years``) add the every-start-date and simulation sections (``.studies``) to the page.
    Nothing is written until ``.save(folder)``.
    """
    from r2k.runner.compare_studies import StudyRequest
    from r2k.runner.comparison import compare as compare_members
    from r2k.runner.members import members_from

    mine, other = _split(shared)
    store, registry, offline, warn, providers = _context(other)
    entries = members_from(members, shared=mine, symbols=symbols, labels=labels, registry=registry, warn=warn)
    return compare_members(entries, benchmark=mine.get("benchmark", "SPY"), start=mine.get("start"),
                           end=mine.get("end"), store=store, offline=offline, basis=mine.get("stats", "daily"),
                           tearsheets=tearsheets, warn=warn, providers=providers, write=False,
                           studies=StudyRequest(windows=windows, paths=simulate, years=sim_years))


def sweep(strategy: str | type, grid: Mapping[str, Sequence[Any]], *, metric: str = "cagr", workers: int = 1,
          allow_shorter: bool = False, cscv_blocks: int = 16, **settings: Any):
    """Every combination of ``grid`` over ``strategy``'s settings, in memory, over one window (the
    common window of all the data the grid reads, or ``start``/``end``); a SweepResult:
    ``.results`` (every row with its ``role``: trials ranked by ``metric``, then the baselines and,
    with ``allow_shorter``, the combinations run on their own shorter window), ``.rows`` (the
    trials), ``.baselines``, ``.window``, ``.returns`` (daily returns by key), ``.overfitting``
    (deflated Sharpe ratio, PSR, MinTRL, PBO by CSCV with ``cscv_blocks`` blocks, the verdict) and
    ``.save(folder)``."""
    from r2k.data.errors import UsageError
    from r2k.runner.sweeps import sweep_in_memory

    if not isinstance(cscv_blocks, int) or cscv_blocks < 2 or cscv_blocks % 2 or cscv_blocks > 20:
        raise UsageError(f"cscv_blocks must be an even number from 2 to 20, not {cscv_blocks!r}")
    mine, other = _split(settings)
    store, registry, offline, warn, _ = _context(other)
    base = build_spec(strategy, mine, registry=registry)
    return sweep_in_memory(base, {k: list(v) for k, v in grid.items()}, metric=metric, workers=workers, store=store,
                           offline=offline, warn=warn, allow_shorter=allow_shorter, cscv_blocks=cscv_blocks)
