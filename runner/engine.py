"""The engine: a plain function from a RunSpec to a Result, shared by the CLI and Python users.

    from r2k.runner.engine import run
    from r2k.runner.spec import RunSpec
    result = run(RunSpec("buy-and-hold", {"symbol": "IWM"}, start="2005-01-01", end="2024-12-31"))

Stages: resolve the strategy, load and align its data (``Inputs``), build the cash-flow ledger,
then either evaluate an allocation rule into a Plan and trade it (backtrader or vectorized
executor), or hand a plain backtrader Strategy the feeds; finally assemble the Result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from r2k.data import loader
from r2k.data.align import PUBLICATION_LAG_BDAYS, adjusted_ohlc, common_window, on_calendar, trading_calendar
from r2k.data.cash import RATE_SERIES, cash_index
from r2k.data.errors import DataError, EngineError, R2KError, UsageError
from r2k.data.store import Store, Stored
from r2k.data.symbols import CASH, canonical_series, canonical_symbol, declared_symbol
from r2k.runner.basis import (
    Basis,
    backtrader_shares_text,
    run_basis,
    share_units,
    shares_text,
    warmup_text,
    with_share_columns,
)
from r2k.runner.execution import Execution
from r2k.runner.flows import Schedule, build_schedule
from r2k.runner.plan import Plan, build_weights, check_weights, fill_weights
from r2k.runner.result import Result
from r2k.runner.schedule import decision_dates
from r2k.runner.spec import RunSpec
from r2k.runner.usercode import user_code_errors
from r2k.strategies.base import AllocationRule, Target, Targets, has_targets
from r2k.strategies.history import History
from r2k.strategies.view import View

#: The consumer price index that deflates real results and grows inflation-adjusted flows.
CPI_SERIES = "CPIAUCSL"

TRADE_COLUMNS = ["date", "symbol", "side", "size", "price", "value", "commission", "slippage"]


def flow_neutral_returns(value: np.ndarray, flows: np.ndarray) -> np.ndarray:
    """Daily time-weighted returns: ``r_t = (V_t - F_t) / V_{t-1} - 1`` for t >= 1.

    ``F_t`` is the cash that arrived at the close of day t, so a deposit never counts as a gain
    (bt's flow-neutral accounting). ``V_t`` is the value after everything on day t, fills at that
    close included; the base of day 1 is the cash that arrived on day 0 (``F_0``, before any
    fill at that close), so a cost paid at the first close counts in the first return.
    """
    prev = value[:-1].copy()
    if len(prev):
        prev[0] = flows[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev > 0, (value[1:] - flows[1:]) / prev - 1.0, 0.0)
    return r


def execute(plan: Plan, engine: str, *, compiled: bool = False) -> Execution:
    """Trade a plan with the chosen executor (both give the same account to float rounding).

    ``compiled``: the vector executor's numba copy, for callers that execute many plans in one
    process (a sweep's combinations, a simulation's paths); one run is faster in plain Python
    (runner.kernels)."""
    if engine == "vector":
        from r2k.runner.vector_executor import run_vector

        return run_vector(plan, compiled=compiled)
    from r2k.runner.bt_executor import run_backtrader

    return run_backtrader(plan)


@dataclass
class Inputs:
    """Loaded, validated and aligned data of one run."""

    calendar: pd.DatetimeIndex
    ohlc: dict[str, pd.DataFrame]  # traded assets (CASH included) on the calendar, adjusted
    stored: dict[str, Stored]  # every price symbol loaded (full history)
    stored_series: dict[str, Stored]  # every economic series loaded
    basis: Basis | None = None  # what the run really trades on: price basis per symbol, the fill it really gets


def load_inputs(traded: list[str], signals: list[str], series_ids: list[str], spec: RunSpec, *,
                store: Store, offline: bool, note: Callable[[str], None], providers: dict | None,
                typed: frozenset[str] = frozenset()) -> Inputs:
    """Load every symbol and series, clip the window to the data, align to one calendar.

    ``typed`` are assets the user typed as strategy input (a portfolio's weights): one that
    cannot be loaded is a usage error (exit 2) naming it, before anything runs.
    """
    bench = spec.benchmark
    start = pd.Timestamp(spec.start) if spec.start else None
    end = pd.Timestamp(spec.end) if spec.end else None
    holds_cash = CASH in traded
    priced = [a for a in traded if a != CASH]
    if (holds_cash or spec.rf == "DFF") and RATE_SERIES not in series_ids:
        series_ids = series_ids + [RATE_SERIES]

    def load(name: str, series: bool) -> Stored:
        try:
            return loader.get(name, series=series, store=store, offline=offline, warn=note, providers=providers,
                              need_end=end)
        except DataError as exc:
            if series or name not in typed:
                raise
            raise UsageError(f"unknown asset {name} in the weights: {exc}") from None

    stored = {s: load(s, False) for s in dict.fromkeys(priced + signals + ([bench] if bench else []))}
    stored_series = {s: load(s, True) for s in dict.fromkeys(series_ids)}
    if needs_cpi(spec) and CPI_SERIES not in stored_series:
        stored_series[CPI_SERIES] = load(CPI_SERIES, True)
    elif spec.withdraw > 0 and CPI_SERIES not in stored_series:
        try:  # only for the safe / perpetual withdrawal rates: without CPI they are left out, with a note
            stored_series[CPI_SERIES] = load(CPI_SERIES, True)
        except R2KError as exc:
            note(f"no CPI (CPIAUCSL): safe and perpetual withdrawal rates are not computed ({exc})")
    window_frames = {s: stored[s].data for s in priced + ([bench] if bench else [])}
    if not window_frames:
        raise UsageError("a strategy holding only CASH needs a --benchmark to define the trading calendar")
    window = common_window(window_frames, start, end)
    clipped = benchmark_clips(window_frames, bench, priced, window)
    for msg in window.notes:
        if not (clipped and msg.startswith(f"{bench} data ")):  # said below, naming it the benchmark
            note(msg)
    for msg in clipped:
        note(msg)
    calendar = trading_calendar({s: stored[s].data for s in (priced or [bench])}, window)
    if len(calendar) < 2:
        raise UsageError(f"the window {window.start:%Y-%m-%d}..{window.end:%Y-%m-%d} holds fewer than two trading days")
    ohlc: dict[str, pd.DataFrame] = {}
    for s in priced:
        frame, msgs = on_calendar(adjusted_ohlc(stored[s].data), calendar, s)
        ohlc[s] = frame
        for msg in msgs:
            note(msg)
    if holds_cash:
        ohlc[CASH] = cash_index(stored_series[RATE_SERIES].data, calendar)
    frames = {s: (None if s == CASH else stored[s].data) for s in traded + ([bench] if bench else [])}
    basis = run_basis(spec.fill, frames, (calendar[0], calendar[-1]))
    for msg in basis.notes:
        note(msg)
    return Inputs(calendar, ohlc, stored, stored_series, basis)


def benchmark_clips(frames: dict[str, pd.DataFrame], bench: str | None, priced: list[str], window) -> list[str]:
    """Say so when the benchmark's history, not the strategy's, sets where the run starts or ends.

    Without --start a run starts on the first day every symbol has; a benchmark that starts later
    (SPY 1993 beside ^RUT 1987) would silently cut years off the strategy.
    """
    own = [s for s in priced if s != bench]
    if not bench or not own:
        return []
    first = max(frames[s].index[0] for s in own)
    last = min(frames[s].index[-1] for s in own)
    out = []
    b = frames[bench].index
    if b[0] > first and window.start == b[0]:
        out.append(f"the benchmark {bench} starts {b[0]:%Y-%m-%d}, after the strategy's data ({first:%Y-%m-%d}): "
                   f"the run starts {b[0]:%Y-%m-%d}; use --benchmark none (or a longer benchmark) to start earlier")
    if b[-1] < last and window.end == b[-1]:
        out.append(f"the benchmark {bench} ends {b[-1]:%Y-%m-%d}, before the strategy's data ({last:%Y-%m-%d}): "
                   f"the run ends {b[-1]:%Y-%m-%d}; use --benchmark none (or a longer benchmark) to end later")
    return out


def ledger(calendar: pd.DatetimeIndex, spec: RunSpec, cpi: pd.Series | None = None) -> np.ndarray:
    """Cash arriving at each close: the initial cash on day 0, contributions at period starts
    (withdrawals are requested through :func:`r2k.runner.flows.build_schedule`)."""
    from r2k.runner.flows import build_schedule

    return build_schedule(calendar, spec, cpi).deposits


def needs_cpi(spec: RunSpec) -> bool:
    """CPIAUCSL must be loaded: inflation-adjusted flows or real results ask for it."""
    return bool(spec.inflation_adjust or spec.real)


def run_cpi(spec: RunSpec, inputs: Inputs) -> pd.Series | None:
    """The CPI series of the run when it was loaded (required, or wanted for withdrawal rates)."""
    st = inputs.stored_series.get(CPI_SERIES)
    return None if st is None else st.data


def resolve_spec(spec: RunSpec, cls) -> RunSpec:
    """Fill what the spec left open (None) from the strategy's run defaults (e.g. dca's 500/month)."""
    defaults = getattr(cls, "run_defaults", {})
    return replace(
        spec,
        contribute=spec.contribute if spec.contribute is not None else float(defaults.get("contribute", 0.0)),
        every=spec.every if spec.every is not None else defaults.get("every", "month"),
    ).validated()


def _rule_inputs(inputs: Inputs, traded: list[str], signals: list[str]) -> tuple[dict, dict]:
    """The closes (full stored history) and series a rule reads, by name."""
    closes = {s: inputs.stored[s].data["adj_close"] for s in traded + signals if s != CASH}
    if CASH in traded:
        closes[CASH] = inputs.ohlc[CASH]["close"]
    series = {s: inputs.stored_series[s].data for s in inputs.stored_series}
    return closes, series


def _decide(rule: AllocationRule, inputs: Inputs, traded: list[str], signals: list[str],
            series_ids: list[str]) -> tuple[list, pd.DataFrame]:
    """Evaluate the rule on each decision date through a point-in-time view (the reference form)."""
    closes, series = _rule_inputs(inputs, traded, signals)
    dates = decision_dates(inputs.calendar, rule.schedule)
    view = View.build(closes, series, PUBLICATION_LAG_BDAYS, dates)
    decisions, labels, texts = [], [], []
    as_json: dict[tuple, str] = {}  # daily rules repeat the same target; format each one once
    with user_code_errors(type(rule)):
        for date in dates:
            out = rule.target(view.at(date))
            tgt = out if isinstance(out, Target) else Target(dict(out))
            decisions.append((date, tgt.weights))
            labels.append(tgt.label)
            key = tuple(tgt.weights.items())
            text = as_json.get(key)
            if text is None:
                text = as_json[key] = json.dumps({k: round(v, 10) for k, v in tgt.weights.items()})
            texts.append(text)
    return decisions, _decision_rows(dates, labels, texts)


def _decision_rows(dates: pd.DatetimeIndex, labels: list[str], texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "label": labels, "weights": texts},
                        columns=["date", "label", "weights"])


def history_for(rule: AllocationRule, inputs: Inputs, traded: list[str], signals: list[str]) -> History:
    """The vectorized form's inputs: every decision date's point-in-time arrays."""
    closes, series = _rule_inputs(inputs, traded, signals)
    return History.build(decision_dates(inputs.calendar, rule.schedule), closes, series, PUBLICATION_LAG_BDAYS)


def targets_matrix(rule: AllocationRule, history: History, traded: list[str]) -> tuple[np.ndarray, Targets]:
    """The rule's vectorized decisions as a validated (decision dates, traded) matrix, and the
    rule's Targets (whose ``label_list()`` gives the labels)."""
    with user_code_errors(type(rule)):
        out = rule.targets(history)
    if list(out.assets) == traded and out.weights.shape == (len(history), len(traded)):
        matrix = np.asarray(out.weights, dtype=float)
    else:
        matrix = np.zeros((len(history), len(traded)))
        pos = {a: j for j, a in enumerate(traded)}
        for j, sym in enumerate(out.assets):
            if sym not in pos:
                raise EngineError(f"the rule returned a weight for {sym}, which is not one of its assets {traded}")
            matrix[:, pos[sym]] += out.weights[:, j]
    return (matrix if out.valid else check_weights(history.dates, matrix)), out


def decide_all(rule: AllocationRule, inputs: Inputs, traded: list[str], signals: list[str], series_ids: list[str], *,
               vectorized: bool = True, history: History | None = None
               ) -> tuple[pd.DatetimeIndex, np.ndarray, pd.DataFrame]:
    """Every decision (dates, weight matrix on ``traded``, decisions.csv rows).

    The rule's vectorized ``targets(history)`` when it has one (and ``vectorized``), else its
    per-date ``target(view)``; both give the same decisions (tests/test_vectorized_rules.py).
    """
    if not (vectorized and has_targets(rule)):
        decisions, rows = _decide(rule, inputs, traded, signals, series_ids)
        dates = pd.DatetimeIndex([d for d, _ in decisions])
        weights, _ = build_weights(dates, traded, decisions)
        return dates, weights, rows
    history = history or history_for(rule, inputs, traded, signals)
    matrix, out = targets_matrix(rule, history, traded)
    labels = out.label_list()
    uniq, inverse = np.unique(matrix, axis=0, return_inverse=True)
    texts = [json.dumps({a: round(float(w), 10) for a, w in zip(traded, row, strict=True) if w != 0.0}) for row in uniq]
    return history.dates, matrix, _decision_rows(history.dates, labels, [texts[k] for k in inverse.ravel()])


def rule_symbols(rule: AllocationRule) -> tuple[list[str], list[str]]:
    """The assets and signals a rule declares, each checked at one gate before any data is read.

    A user strategy's names go on to become file names in the store; an invalid one
    (``../../x``) is a usage error naming the strategy, not a path.
    """
    who = rule.name or type(rule).__name__
    traded = [a if a == CASH else declared_symbol(a, who) for a in dict.fromkeys(rule.assets())]
    signals = [declared_symbol(s, who, rewrite=True) for s in rule.signals()]
    return traded, signals


def make_rule(cls: type, params: dict) -> tuple[AllocationRule, tuple[list[str], list[str]]]:
    """A rule instance and its checked (assets, signals).

    A user's ``__init__`` or ``assets()`` that raises is the user's error, named by file and
    line like one raised in ``target()``, not an internal error.
    """
    with user_code_errors(cls):
        rule = cls(**params)
        return rule, rule_symbols(rule)


def required_data(spec: RunSpec) -> tuple[set[str], set[str]]:
    """Price symbols and economic series a spec needs, without loading anything.

    Raises UsageError for an unknown strategy or bad parameters, so a sweep can check every
    combination before it starts.
    """
    cls = spec.strategy_class()
    if isinstance(cls, type) and issubclass(cls, AllocationRule):
        rule, (traded, signals) = make_rule(cls, spec.params)
        assets = set(traded)
        prices = {a for a in assets if a != CASH} | set(signals)
        series = {canonical_series(s) for s in rule.series()} | ({RATE_SERIES} if CASH in assets else set())
    else:
        from r2k.runner.bt_strategy import strategy_params, strategy_symbols

        strategy_params(cls, spec.params)
        prices, series = set(strategy_symbols(cls)), set()
    if spec.benchmark:
        prices.add(canonical_symbol(spec.benchmark))
    if spec.rf == "DFF":
        series.add(RATE_SERIES)
    return prices, series


@dataclass
class Prepared:
    """A resolved spec with its data loaded; for a rule also its Plan (ready for any executor)."""

    spec: RunSpec
    cls: type
    description: str
    params: dict
    inputs: Inputs
    traded: list[str]
    flows: np.ndarray  # deposits (the initial cash on day 0)
    plan: Plan | None  # None for a plain backtrader strategy
    decisions: pd.DataFrame
    schedule: Schedule | None = None  # the whole money plan, withdrawals included (runner.flows)


def prepare(spec: RunSpec, *, store: Store | None = None, offline: bool = False,
            note: Callable[[str], None] = lambda msg: None, providers: dict | None = None,
            vectorized: bool = True) -> Prepared:
    """Resolve, load, align and (for rules) decide: everything but the trading."""
    store = store or Store()
    cls = spec.strategy_class()
    spec = resolve_spec(spec, cls)
    is_rule = isinstance(cls, type) and issubclass(cls, AllocationRule)
    if is_rule:
        rule, (traded, signals) = make_rule(cls, spec.params)
        series_ids = [canonical_series(s) for s in rule.series()]
        description, params = rule.describe(), rule.param_values()
    else:
        from r2k.runner.bt_strategy import strategy_params, strategy_symbols

        if spec.engine == "vector":
            raise UsageError(f"{spec.strategy} is a backtrader strategy; the vector engine runs allocation rules only")
        params = strategy_params(cls, spec.params)
        traded, signals, series_ids = strategy_symbols(cls), [], []
        description = " ".join((cls.__doc__ or "").strip().splitlines()[:2])

    typed = frozenset(traded) if is_rule and getattr(rule, "user_assets", False) else frozenset()
    inputs = load_inputs(traded, signals, series_ids, spec, store=store, offline=offline, note=note, providers=providers,
                         typed=typed)
    calendar = inputs.calendar
    schedule = build_schedule(calendar, spec, run_cpi(spec, inputs))
    if schedule.withdraws and not is_rule:
        raise UsageError(f"{spec.strategy} is a plain backtrader strategy; withdrawals need an allocation rule "
                         "(r2k sells its holdings to pay them)")
    flows = schedule.deposits
    plan = None
    decision_rows = pd.DataFrame(columns=["date", "label", "weights"])
    if is_rule:
        dates, matrix, decision_rows = decide_all(rule, inputs, traded, signals, series_ids, vectorized=vectorized)
        weights, decide = fill_weights(calendar, dates, matrix)
        plan = make_plan(spec, rule, calendar, traded, schedule, weights, decide, plan_arrays(inputs, traded))
    return Prepared(spec, cls, description, params, inputs, traded, flows, plan, decision_rows, schedule)


def plan_arrays(inputs: Inputs, traded: list[str]) -> dict[str, np.ndarray]:
    """What a Plan takes from the data alone (a sweep's combinations share it): prices and share units."""
    return {"opens": np.ascontiguousarray(np.column_stack([inputs.ohlc[a]["open"].to_numpy() for a in traded]),
                                          dtype=np.float64),
            "closes": np.ascontiguousarray(np.column_stack([inputs.ohlc[a]["close"].to_numpy() for a in traded]),
                                           dtype=np.float64),
            "units": units_of(inputs, traded)}


def make_plan(spec: RunSpec, rule: AllocationRule, calendar: pd.DatetimeIndex, traded: list[str], schedule: Schedule,
              weights: np.ndarray, decide: np.ndarray, arrays: dict[str, np.ndarray]) -> Plan:
    """The Plan of a rule's run: its weights on the data's arrays, the money plan, fills and costs
    (the one place a Plan is made, for a run and for each combination of a batched sweep)."""
    band, band_relative = rule.drift_band()
    return Plan(calendar=calendar, assets=traded, **arrays, decide=decide, weights=weights, flows=schedule.deposits,
                fill=spec.fill, commission=spec.commission_bps / 1e4, slippage=spec.slippage_bps / 1e4,
                whole_shares=spec.whole_shares, withdraw=schedule.withdraw, withdraw_rate=schedule.withdraw_rate,
                band=float(band), band_relative=float(band_relative))


def units_of(inputs: Inputs, symbols: list[str]) -> np.ndarray:
    """(days, symbols) account units per real share (runner.basis.share_units), for whole-share sizing."""
    frames = [None if s == CASH else inputs.stored[s].data for s in symbols]
    return np.column_stack([share_units(f, inputs.calendar) for f in frames])


def run(spec: RunSpec, *, store: Store | None = None, offline: bool = False,
        warn: Callable[[str], None] | None = None, providers: dict | None = None, compiled: bool = False) -> Result:
    """Run one backtest end to end and return its Result (no files are written here).

    ``compiled`` as in :func:`execute` (a sweep's one-by-one combinations pass True)."""
    notes: list[str] = []

    def note(msg: str) -> None:
        notes.append(msg)
        if warn:
            warn(msg)

    p = prepare(spec, store=store, offline=offline, note=note, providers=providers)
    decisions = p.decisions
    if p.plan is not None:
        ex = execute(p.plan, p.spec.engine, compiled=compiled)
        if ex.rebalances:
            decisions = with_band_rebalances(decisions, p.plan, ex.rebalances)
    else:
        from r2k.runner.bt_strategy import run_strategy

        ex = run_strategy(p.cls, p.params, p.inputs.ohlc, p.traded, p.inputs.calendar, p.flows, fill=p.spec.fill,
                          commission=p.spec.commission_bps / 1e4, slippage=p.spec.slippage_bps / 1e4)
        for msg in ex.rejected:
            note(f"order not filled: {msg}")
    result = _result(p.spec, p.cls, p.description, p.params, p.inputs, p.traded, p.flows, ex, decisions, notes,
                     p.schedule, p.plan, compiled=compiled)
    return finish(result, p.cls)


def band_text(plan: Plan) -> str:
    if plan.band > 0:
        return f"band {100 * plan.band:g} points"
    return f"band {100 * plan.band_relative:g}% of the target"


def with_band_rebalances(decisions: pd.DataFrame, plan: Plan, rebalances: list[tuple[int, int, float]]) -> pd.DataFrame:
    """decisions.csv with a row for each drift-band rebalance: the close it was decided at and which
    asset's band set it off (its weight then against its target)."""
    rows = []
    for day, j, weight in rebalances:
        target = {a: float(x) for a, x in zip(plan.assets, plan.weights[day], strict=True) if x > 0}
        rows.append({
            "date": f"{plan.calendar[day]:%Y-%m-%d}",
            "label": (f"band: {plan.assets[j]} at {100 * weight:.2f}% vs target {100 * plan.weights[day, j]:.2f}% "
                      f"({band_text(plan)})"),
            "weights": json.dumps({k: round(v, 10) for k, v in target.items()}),
        })
    out = pd.concat([decisions, pd.DataFrame(rows, columns=decisions.columns)], ignore_index=True)
    return out.sort_values("date", kind="stable", ignore_index=True)


def finish(result: Result, cls: type) -> Result:
    """Fill what every view reads, once: the label, metrics.json's metrics and the benchmark's.

    A Result leaves the engine finished; nothing downstream completes it by mutation.
    """
    from r2k.reports.runfolder import compute_metrics
    from r2k.reports.summary import benchmark_metrics
    from r2k.runner.labels import label_of

    result.label = label_of(result.spec, cls)
    result.metrics = compute_metrics(result, result.spec.stats)
    if result.benchmark is not None:
        result.benchmark_metrics = benchmark_metrics(result, result.spec.stats)
    return result


def cashflow_table(calendar: pd.DatetimeIndex, flows: np.ndarray) -> pd.DataFrame:
    """date, amount of every flow that moved money (day 0's initial cash always; withdrawals negative)."""
    keep = flows != 0
    keep[0] = True
    return pd.DataFrame({"date": calendar[keep].strftime("%Y-%m-%d"), "amount": flows[keep]})


def outcome(plan: Plan | None, ex: Execution, schedule: Schedule | None, spec: RunSpec, *,
            compiled: bool = False) -> dict:
    """What the withdrawal plan became for one account: withdrawn, depletion date, the rates.

    The safe and perpetual withdrawal rates (fixed-dollar plans only) are taken over the same
    plan's return path *without* withdrawals (the vectorized executor, which equals backtrader),
    so an account that was emptied still has a path to the end of the window.
    """
    from r2k.runner.flows import withdrawal_rates

    if schedule is None or not schedule.withdraws or ex.flows is None:
        return {}
    out: dict = {"withdrawn": float(-ex.flows[ex.flows < 0].sum()),
                 "depleted_on": None if ex.depleted < 0 else f"{plan.calendar[ex.depleted]:%Y-%m-%d}"}
    if spec.withdraw > 0 and plan is not None:
        from r2k.runner.vector_executor import run_vector

        dry = run_vector(replace(plan, withdraw=None, withdraw_rate=None), compiled=compiled)
        r0 = flow_neutral_returns(dry.value, dry.flows)
        safe, perpetual = withdrawal_rates(r0, schedule, float(dry.value[schedule.phase_start]), spec.every)
        out["safe_withdrawal_rate"] = safe
        out["perpetual_withdrawal_rate"] = perpetual
    return out


def _result(spec, cls, description, params, inputs: Inputs, traded, flows, ex: Execution, decision_rows, notes,
            schedule: Schedule | None = None, plan: Plan | None = None, *, compiled: bool = False) -> Result:
    calendar = inputs.calendar
    actual = ex.flows if ex.flows is not None else flows
    rets = pd.Series(flow_neutral_returns(ex.value, actual), index=calendar[1:], name="return")
    bench_rets = bench_value = bench_trades = bench_flows = None
    bench_outcome = None
    if spec.benchmark:
        bench_plan = benchmark_plan(spec, inputs, flows, schedule)
        bex = execute(bench_plan, "vector", compiled=compiled)
        bench_value = pd.Series(bex.value, index=inputs.calendar, name=spec.benchmark)
        bench_trades = pd.DataFrame(list(bex.trades), columns=TRADE_COLUMNS)
        bench_actual = bex.flows
        bench_rets = pd.Series(flow_neutral_returns(bex.value, bench_actual), index=calendar[1:],
                               name=spec.benchmark)
        bench_flows = cashflow_table(calendar, bench_actual)
        bench_outcome = outcome(bench_plan, bex, schedule, spec, compiled=compiled)
    held = traded + ([spec.benchmark] if spec.benchmark and spec.benchmark not in traded else [])
    units = {s: pd.Series(u, index=calendar) for s, u in zip(held, units_of(inputs, held).T, strict=True)}
    if bench_trades is not None:
        bench_trades = with_share_columns(bench_trades, units)
    inputs_info = {}
    for name, st in list(inputs.stored.items()) + list(inputs.stored_series.items()):
        m = st.meta
        inputs_info[name] = {"kind": m.kind, "source": m.source, "adjustment": m.adjustment, "start": m.start,
                             "end": m.end, "rows": m.rows, "sha256": m.sha256, "fetched_at": m.fetched_at}
        if name in inputs.basis.prices:
            inputs_info[name]["basis"] = inputs.basis.prices[name]
    basis = inputs.basis
    assumptions = {
        "fill": basis.fill_text(traded),
        "prices": basis.prices_text(traded),
        "signal_lag": ("decisions use closes through the decision day; economic series from the business day after "
                       "their date (monthly CPI from the 15th of the next month)"),
        "costs": f"commission {spec.commission_bps:g} bp + slippage {spec.slippage_bps:g} bp of traded value",
        "cash": ("uninvested cash earns nothing; the CASH asset accrues the daily fed funds rate (DFF, act/360)"
                 if CASH in traded else "uninvested cash earns nothing"),
        "returns": "time-weighted: a contribution never counts as a gain; XIRR is the money-weighted return",
        "shares": shares_text(spec.whole_shares, traded,
                              {t: (None if t == CASH else inputs.stored[t].data) for t in traded}),
        "engine": spec.engine,
    }
    if not (isinstance(cls, type) and issubclass(cls, AllocationRule)):
        sizes = np.array([t["size"] for t in ex.trades], dtype="float64")
        assumptions["shares"] = backtrader_shares_text(sizes, spec.whole_shares)
        assumptions["history"] = warmup_text(calendar, ex.first_bar)
    if spec.benchmark:
        plan_words = ("deposits on the same days" if not (schedule is not None and schedule.withdraws)
                      else "deposits and withdrawal plan on the same days")
        assumptions["benchmark"] = (f"{spec.benchmark} bought like the strategy: the same initial cash, {plan_words}, "
                                    f"fill timing and costs; {spec.benchmark}: "
                                    f"{basis.prices[spec.benchmark].split(':')[0]}")
        if spec.benchmark in basis.close_only and spec.fill == "next-open":
            assumptions["benchmark"] += " (no open prices: it fills at the next day's close)"
    if spec.contribute:
        preset = getattr(cls, "run_defaults", {})
        from_preset = preset.get("contribute") == spec.contribute and preset.get("every", "month") == spec.every
        assumptions["deposits"] = (f"${spec.contribute:,.2f} at the start of every {spec.every}"
                                   + (f" ({spec.strategy}'s preset)" if from_preset else "")
                                   + f", after an initial ${spec.cash:,.2f}"
                                   + (", grown with CPI as published" if spec.inflation_adjust else "")
                                   + (f", until {spec.withdraw_from}" if spec.withdraw_from else ""))
    if spec.real and run_cpi(spec, inputs) is not None:
        from r2k.reports.real import deflator

        assumptions["real"] = deflator(run_cpi(spec, inputs), calendar).how()
    if schedule is not None and schedule.withdraws:
        what = (f"${spec.withdraw:,.2f}" + (" in start-day dollars (grown with CPI as published)"
                                             if spec.inflation_adjust else "")
                if spec.withdraw > 0 else f"{spec.withdraw_pct:g}% of the account value")
        assumptions["withdrawals"] = (
            f"{what} at the start of every {spec.every}"
            + (f" from {spec.withdraw_from}" if spec.withdraw_from else "")
            + ", paid at that close by selling at the close (what is over its target first); an account that "
            "cannot pay pays what is left and is depleted")
    return Result(
        spec=spec, strategy_doc=description, params=params, returns=rets,
        equity=pd.DataFrame({"value": ex.value, "cash": ex.cash}, index=calendar),
        positions=pd.DataFrame(ex.shares, index=calendar, columns=traded),
        trades=with_share_columns(pd.DataFrame(list(ex.trades), columns=TRADE_COLUMNS), units),
        cashflows=cashflow_table(calendar, actual),
        decisions=decision_rows, benchmark=bench_rets, benchmark_value=bench_value, rf=risk_free(spec, inputs),
        benchmark_trades=bench_trades, benchmark_cashflows=bench_flows,
        outcome=outcome(plan, ex, schedule, spec, compiled=compiled), benchmark_outcome=bench_outcome, cpi=run_cpi(spec, inputs),
        inputs=inputs_info,
        assumptions=assumptions, notes=notes,
        source=_source(cls),
    )


def risk_free(spec: RunSpec, inputs: Inputs) -> float | pd.Series:
    """The risk-free rate for Sharpe/Sortino: an annual fraction, or DFF as daily returns of the
    cash index (what the CASH asset earns each day, act/360, published by that day)."""
    if spec.rf != "DFF":
        return float(spec.rf)
    level = cash_index(inputs.stored_series[RATE_SERIES].data, inputs.calendar)["close"]
    return level.pct_change().iloc[1:].rename("rf")


def benchmark_plan(spec: RunSpec, inputs: Inputs, flows: np.ndarray, schedule: Schedule | None = None) -> Plan:
    """The benchmark bought with the run's own money, fills and costs: like for like.

    The same ledger (deposits, and the same withdrawal plan: the same dollars, or the same
    percentage of its own balance), the same fill timing (next open by default) and the same
    commission and slippage, as a buy-and-hold of the benchmark.
    """
    frame, _ = on_calendar(adjusted_ohlc(inputs.stored[spec.benchmark].data), inputs.calendar, spec.benchmark)
    n = len(inputs.calendar)
    decide = np.zeros(n, dtype=bool)
    decide[0] = True
    return Plan(calendar=inputs.calendar, assets=[spec.benchmark], opens=frame[["open"]].to_numpy(),
                closes=frame[["close"]].to_numpy(), decide=decide, weights=np.ones((n, 1)), flows=flows,
                fill=spec.fill, commission=spec.commission_bps / 1e4, slippage=spec.slippage_bps / 1e4,
                whole_shares=spec.whole_shares, units=units_of(inputs, [spec.benchmark]),
                withdraw=None if schedule is None else schedule.withdraw,
                withdraw_rate=None if schedule is None else schedule.withdraw_rate)


def _source(cls) -> dict | None:
    try:
        from r2k.strategies.discovery import source_info
    except ImportError:
        return None
    return source_info(cls)
