"""Many combinations of one sweep in one call: shared work once, per-combination work as arrays.

Combinations of a sweep differ only in their parameters. Everything that does not depend on
them (loading and aligning the inputs, the calendar, the cash-flow ledger, the risk-free rate,
the point-in-time History and its running sums) is computed once per group of combinations that
need the same data. What is left per combination is array work: the rule's vectorized
``targets(history)``, the vectorized weight fill, the compiled executor, and the metrics of all
combinations of the group at once (reports.metrics.summarize_many).

Only allocation rules with a vectorized form on the vector engine take this path; anything else
(a per-date user rule, a plain backtrader strategy, the backtrader engine) is left to the caller's
one-combination path, so the rows are the same whichever way a combination was computed
(tests/test_batch.py: to 1e-12).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from r2k.data.errors import R2KError
from r2k.data.symbols import CASH, canonical_series, canonical_symbol
from r2k.runner.spec import RunSpec
from r2k.runner.sweep_inputs import span_of
from r2k.runner.usercode import StrategyError


@dataclass
class Outcome:
    """One combination's finished numbers: its metrics (metrics.json's) and daily returns
    (kept as an array on the shared calendar; the Series is built only when asked for)."""

    metrics: dict
    values: np.ndarray
    index: pd.DatetimeIndex

    @property
    def returns(self) -> pd.Series:
        return pd.Series(self.values, index=self.index, name="return")


def batchable(spec: RunSpec) -> bool:
    """Whether a combination can run in a batch (a vectorized rule on the vector engine)."""
    from r2k.strategies.base import AllocationRule, has_targets

    if spec.engine != "vector" or spec.withdraw or spec.withdraw_pct or spec.inflation_adjust or spec.real:
        return False  # withdrawals, CPI-grown flows and real results take the engine's full path
    cls = spec.strategy_class()
    if not (isinstance(cls, type) and issubclass(cls, AllocationRule)):
        return False
    return has_targets(cls)


def _settings(spec: RunSpec) -> tuple:
    """Every field of ``spec`` but its parameters: what a run's shared work depends on besides the rule."""
    return tuple(getattr(spec, f.name) for f in fields(spec) if f.name != "params")


def _group_key(settings: tuple, rule) -> tuple:
    """Combinations with the same key share inputs, calendar, ledger and rf."""
    return (settings, tuple(dict.fromkeys(rule.assets())), tuple(canonical_symbol(s) for s in rule.signals()),
            tuple(canonical_series(s) for s in rule.series()), rule.schedule, type(rule))


def run_batch(specs: list[RunSpec], *, store, basis: str) -> list[Outcome | StrategyError | None]:
    """Every spec's Outcome (or the StrategyError its rule raised), in order; None for a
    combination the batch does not cover after all (a rule with a drift band: the caller runs it).

    All specs must be :func:`batchable`. Data comes from ``store`` offline (the sweep loaded it).
    """
    from r2k.runner.engine import make_rule, resolve_spec

    out: list[Outcome | StrategyError | None] = [None] * len(specs)
    groups: dict[tuple, list[tuple[int, RunSpec, object]]] = {}
    resolved: dict[tuple, tuple[RunSpec, tuple]] = {}  # resolving does not read the parameters: once per settings
    for i, spec in enumerate(specs):
        cls = spec.strategy_class()
        key = (_settings(spec), cls)
        if key not in resolved:
            settled = resolve_spec(replace(spec, params={}), cls)
            resolved[key] = settled, _settings(settled)
        settled, settings = resolved[key]
        spec = replace(settled, params=spec.params)
        try:
            rule, _ = make_rule(cls, spec.params)
        except StrategyError as exc:
            out[i] = exc
            continue
        if any(rule.drift_band()):
            continue  # rebalancing on drift depends on the account: the engine's own path
        groups.setdefault(_group_key(settings, rule), []).append((i, spec, rule))
    # groups that differ only in their window (a walk-forward's) load their data once, for the widest span
    families: dict[tuple, list[tuple]] = {}
    for key in groups:
        families.setdefault(_without_window(key), []).append(key)
    spans: dict[tuple, list] = {}
    for family, keys in families.items():
        if len(keys) > 1:
            start, end = span_of([groups[k][0][1] for k in keys])
            spans[family] = [replace(groups[keys[0]][0][1], start=start, end=end), None]
    for key, members in groups.items():
        for i, res in zip([m[0] for m in members], _run_group(members, store, basis, spans.get(_without_window(key))),
                          strict=True):
            out[i] = res
    return out  # type: ignore[return-value]


#: positions of start and end in :func:`_settings`
_WINDOW = [k for k, f in enumerate(f for f in fields(RunSpec) if f.name != "params") if f.name in ("start", "end")]


def _without_window(key: tuple) -> tuple:
    """A group key with its start and end left out: the groups of one family share their data."""
    settings = tuple(None if k in _WINDOW else v for k, v in enumerate(key[0]))
    return (settings, *key[1:])


def _run_group(members: list[tuple[int, RunSpec, object]], store, basis: str,
               span: list | None = None) -> list[Outcome | StrategyError]:
    """The members' outcomes; ``span`` ([widest spec, its inputs once loaded]) when other groups
    differ from this one only in their window: the data is then cut from one load (runner.sweep_inputs)."""
    from r2k.reports.metrics import summarize_many
    from r2k.reports.runfolder import started_from_zero
    from r2k.runner.engine import (
        cashflow_table,
        history_for,
        load_inputs,
        make_plan,
        make_rule,
        plan_arrays,
        risk_free,
        run_cpi,
        targets_matrix,
    )
    from r2k.runner.flows import build_schedule
    from r2k.runner.plan import fill_weights_at
    from r2k.runner.sweep_inputs import window_inputs
    from r2k.runner.sweep_kernel import returns_and_exposure
    from r2k.runner.vector_executor import run_vector

    _, spec0, rule0 = members[0]
    _, (traded, signals) = make_rule(type(rule0), spec0.params)
    series_ids = [canonical_series(s) for s in rule0.series()]
    typed = frozenset(traded) if getattr(rule0, "user_assets", False) else frozenset()
    def load(spec: RunSpec):
        return load_inputs(traded, signals, series_ids, spec, store=store, offline=True, note=lambda m: None,
                           providers=None, typed=typed)

    if span is not None and span[1] is None:
        try:
            span[1] = load(span[0])
        except R2KError:
            span[1] = False  # the widest span does not load: each window loads (and fails, or not) on its own
    if span is None or span[1] is False:
        inputs = load(spec0)
    else:
        inputs = window_inputs(span[1], spec0, traded, lambda: load(spec0))
    calendar = inputs.calendar
    n = len(calendar)
    schedule = build_schedule(calendar, spec0, run_cpi(spec0, inputs))
    flows = schedule.deposits
    history = history_for(rule0, inputs, traded, signals)
    arrays = plan_arrays(inputs, traded)
    positions = calendar.get_indexer(history.dates)
    probe = np.zeros((len(positions), 0))
    probed, decide_all = fill_weights_at(n, positions, probe)
    every_day = decide_all if probed is probe else None  # a decision every day: nothing to carry forward
    results: list[Outcome | StrategyError | None] = [None] * len(members)
    ok: list[int] = []
    finals, n_trades, one_way, mean_value, exposures = [], [], [], [], []
    # reports.metrics.exposure's "anything but cash"
    risky = np.array([j for j, sym in enumerate(traded) if sym != CASH], dtype=np.int64)
    matrix_r = np.empty((len(members), n - 1))  # each combination's daily returns, a row each
    for k, (_, spec, rule) in enumerate(members):
        try:
            matrix, _ = targets_matrix(rule, history, traded)
        except StrategyError as exc:
            results[k] = exc
            continue
        if every_day is not None:
            weights, decide = matrix, every_day
        else:
            weights, decide = fill_weights_at(n, positions, matrix)
        ex = run_vector(make_plan(spec, rule, calendar, traded, schedule, weights, decide, arrays), compiled=True)
        exposures.append(returns_and_exposure(ex.value, ex.flows if ex.flows is not None else flows, ex.shares,
                                              risky, matrix_r[len(ok)]))
        finals.append(float(ex.value[-1]))
        side, value = ex.trades.sides_and_values()
        n_trades.append(len(side))
        one_way.append(min(float(value[side > 0].sum()), float(value[side < 0].sum())) if len(side) else 0.0)
        mean_value.append(float(np.mean(ex.value)))
        ok.append(k)
    if ok:
        cashflows = cashflow_table(calendar, flows)
        matrix_r = matrix_r[:len(ok)]
        metrics = summarize_many(matrix_r, calendar[1:], start=calendar[0],
                                 initial_cash=float(cashflows["amount"].iloc[0]),
                                 final_values=np.array(finals), cashflows=cashflows, trades=np.array(n_trades),
                                 one_way=np.array(one_way), mean_value=np.array(mean_value),
                                 rf=risk_free(spec0, inputs), basis=basis)
        index = calendar[1:]
        for row, k, m, held in zip(matrix_r, ok, metrics, exposures, strict=True):
            m = started_from_zero(m, SimpleNamespace(spec=members[k][1]))
            if held is not None:
                m["exposure"] = held
            results[k] = Outcome(m, row, index)
    return results  # type: ignore[return-value]
