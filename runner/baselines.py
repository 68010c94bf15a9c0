"""A sweep's reference rows: what a trial has to beat, bought with the same money plan.

Two baselines, run over the sweep's window with the base settings' cash, deposits, fill timing and
costs (the engine's one benchmark definition: the benchmark bought like the strategy):

- the benchmark (``--benchmark``, SPY by default), held;
- buy-and-hold of the strategy's main symbol (the first non-cash asset it trades at the base
  parameters, e.g. trend-filter's ``symbol``), when that is not the benchmark.

They are marked ``role = baseline`` in results.csv and shown apart, never ranked: a baseline is
not a trial and does not count towards the number of trials of the overfitting statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

from r2k.runner.spec import RunSpec


@dataclass(frozen=True)
class Baseline:
    label: str  # e.g. "SPY held (benchmark)"
    spec: RunSpec


def main_symbol(spec: RunSpec) -> str | None:
    """The first non-cash asset ``spec``'s strategy trades at its parameters (None if it holds only cash)."""
    from r2k.data.symbols import CASH
    from r2k.strategies.base import AllocationRule

    cls = spec.strategy_class()
    if isinstance(cls, type) and issubclass(cls, AllocationRule):
        assets = list(cls(**spec.params).assets())
    else:
        from r2k.runner.bt_strategy import strategy_symbols

        assets = strategy_symbols(cls)
    return next((a for a in assets if a != CASH), None)


def held_like(symbol: str, like: RunSpec, start: str | None, end: str | None) -> RunSpec:
    """Buy-and-hold of ``symbol`` with ``like``'s money plan, fills and costs (vector engine, no benchmark).

    ``like`` must be resolved (its contribution and period filled from the strategy's defaults).
    """
    return RunSpec("buy-and-hold", {"symbol": symbol}, start=start, end=end, cash=like.cash,
                   contribute=float(like.contribute or 0.0), every=like.every or "month", benchmark=None,
                   fill=like.fill, commission_bps=like.commission_bps, slippage_bps=like.slippage_bps,
                   whole_shares=like.whole_shares, engine="vector", rf=like.rf, stats=like.stats).validated()


def baselines(base: RunSpec, start: str, end: str) -> list[Baseline]:
    """The baselines of a sweep on ``base`` over ``start..end`` (see the module docstring)."""
    from r2k.runner.engine import resolve_spec

    resolved = resolve_spec(base, base.strategy_class())
    out: list[Baseline] = []
    if base.benchmark:
        out.append(Baseline(f"{base.benchmark} held (benchmark, bought like the strategy)",
                            held_like(base.benchmark, resolved, start, end)))
    main = main_symbol(base)
    if main and main != base.benchmark:
        out.append(Baseline(f"{main} held (the strategy's main symbol)", held_like(main, resolved, start, end)))
    return out
