"""The engine: a plain function from a RunSpec to a Result, shared by the CLI and Python users.

    from r2k.runner.engine import run
    from r2k.runner.spec import RunSpec
    result = run(RunSpec("buy-and-hold", {"symbol": "IWM"}, start="2005-01-01", end="2024-12-31"))
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd

from r2k.data import loader
from r2k.data.align import PUBLICATION_LAG_BDAYS, adjusted_ohlc, common_window, on_calendar, trading_calendar
from r2k.data.cash import RATE_SERIES, cash_index
from r2k.data.errors import UsageError
from r2k.data.store import Store
from r2k.data.symbols import CASH, canonical_series, canonical_symbol
from r2k.runner.plan import Plan, build_weights
from r2k.runner.result import Result
from r2k.runner.schedule import contribution_dates, decision_dates
from r2k.runner.spec import RunSpec
from r2k.strategies import registry
from r2k.strategies.base import Target
from r2k.strategies.view import View

FILL_WORDS = {
    "next-open": "market orders decided at a close fill at the next day's open",
    "close": "market orders fill at the close of the day they are decided",
}


def _rule(spec: RunSpec):
    cls = registry.resolve(spec.strategy)
    return cls(**spec.params)


def flow_neutral_returns(value: np.ndarray, flows: np.ndarray) -> np.ndarray:
    """Daily time-weighted returns: ``r_t = (V_t - F_t) / V_{t-1} - 1`` for t >= 1.

    ``F_t`` is the cash that arrived at the close of day t, so a deposit never counts as a gain
    (bt's flow-neutral accounting).
    """
    prev = value[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev > 0, (value[1:] - flows[1:]) / prev - 1.0, 0.0)
    return r


def execute(plan: Plan, engine: str):
    """Trade a plan with the chosen executor (both give the same account to float rounding)."""
    if engine == "vector":
        from r2k.runner.vector_executor import run_vector

        return run_vector(plan)
    from r2k.runner.bt_executor import run_backtrader

    return run_backtrader(plan)


def run(spec: RunSpec, *, store: Store | None = None, offline: bool = False,
        warn: Callable[[str], None] | None = None, providers: dict | None = None) -> Result:
    """Run one backtest end to end and return its Result (no files are written here)."""
    spec = spec.validated()
    notes: list[str] = []

    def note(msg: str) -> None:
        notes.append(msg)
        if warn:
            warn(msg)

    store = store or Store()
    rule = _rule(spec)
    assets = list(dict.fromkeys(rule.assets()))
    traded = [a for a in assets if a != CASH]
    signal_syms = [canonical_symbol(s) for s in rule.signals()]
    series_ids = [canonical_series(s) for s in rule.series()]
    if CASH in assets and RATE_SERIES not in series_ids:
        series_ids.append(RATE_SERIES)
    bench = spec.benchmark
    start = pd.Timestamp(spec.start) if spec.start else None
    end = pd.Timestamp(spec.end) if spec.end else None

    def load(name: str, series: bool):
        return loader.get(name, series=series, store=store, offline=offline, warn=note,
                          providers=providers, need_end=end)

    price_names = list(dict.fromkeys(traded + signal_syms + ([bench] if bench else [])))
    stored = {s: load(s, False) for s in price_names}
    stored_series = {s: load(s, True) for s in series_ids}

    window_frames = {s: stored[s].data for s in traded + ([bench] if bench else [])}
    if not window_frames:
        raise UsageError("a strategy holding only CASH needs a --benchmark to define the trading calendar")
    window = common_window(window_frames, start, end)
    for msg in window.notes:
        note(msg)
    calendar = trading_calendar({s: stored[s].data for s in (traded or [bench])}, window)
    if len(calendar) < 2:
        raise UsageError(f"the window {window.start:%Y-%m-%d}..{window.end:%Y-%m-%d} holds fewer than two trading days")

    ohlc: dict[str, pd.DataFrame] = {}
    for s in traded:
        frame, msgs = on_calendar(adjusted_ohlc(stored[s].data), calendar, s)
        ohlc[s] = frame
        for msg in msgs:
            note(msg)
    if CASH in assets:
        ohlc[CASH] = cash_index(stored_series[RATE_SERIES].data, calendar)

    # decisions, point-in-time: every price reachable through the view is clipped to the date
    closes = {s: stored[s].data["adj_close"] for s in traded + signal_syms}
    if CASH in assets:
        closes[CASH] = ohlc[CASH]["close"]
    series = {s: stored_series[s].data for s in series_ids}
    view = View.build(closes, series, PUBLICATION_LAG_BDAYS)
    decisions: list[tuple[pd.Timestamp, dict[str, float]]] = []
    decision_rows: list[dict] = []
    for date in decision_dates(calendar, rule.schedule):
        out = rule.target(view.at(date))
        tgt = out if isinstance(out, Target) else Target(dict(out))
        decisions.append((date, tgt.weights))
        decision_rows.append({"date": date.strftime("%Y-%m-%d"), "label": tgt.label,
                              "weights": json.dumps({k: round(v, 10) for k, v in tgt.weights.items()})})

    # the cash-flow ledger
    run_defaults = getattr(rule, "run_defaults", {})
    contribute = spec.contribute if spec.contribute or "contribute" not in run_defaults else 0.0
    flows = np.zeros(len(calendar))
    flows[0] = spec.cash
    if contribute > 0:
        cdates = contribution_dates(calendar, spec.every)
        flows[calendar.get_indexer(cdates)] += contribute
        if spec.cash <= 0:
            flows[0] = contribute
    if flows[0] <= 0:
        raise UsageError("nothing to invest on the first day: set --cash above 0")

    weights, decide = build_weights(calendar, assets, decisions)
    plan = Plan(
        calendar=calendar, assets=assets,
        opens=np.column_stack([ohlc[a]["open"].to_numpy() for a in assets]),
        closes=np.column_stack([ohlc[a]["close"].to_numpy() for a in assets]),
        decide=decide, weights=weights, flows=flows, fill=spec.fill,
        commission=spec.commission_bps / 1e4, slippage=spec.slippage_bps / 1e4,
        whole_shares=spec.whole_shares,
    )
    ex = execute(plan, spec.engine)

    rets = pd.Series(flow_neutral_returns(ex.value, flows), index=calendar[1:], name="return")
    equity = pd.DataFrame({"value": ex.value, "cash": ex.cash}, index=calendar)
    positions = pd.DataFrame(ex.shares, index=calendar, columns=assets)
    trades = pd.DataFrame(ex.trades, columns=["date", "symbol", "side", "size", "price", "value", "commission", "slippage"])
    ledger = pd.DataFrame({"date": calendar[flows > 0].strftime("%Y-%m-%d"), "amount": flows[flows > 0]})
    bench_rets = None
    if bench:
        b = stored[bench].data["adj_close"].reindex(calendar).ffill()
        bench_rets = b.pct_change().iloc[1:].rename(bench)

    inputs = {}
    for name, st in list(stored.items()) + list(stored_series.items()):
        m = st.meta
        inputs[name] = {"kind": m.kind, "source": m.source, "adjustment": m.adjustment, "start": m.start,
                        "end": m.end, "rows": m.rows, "sha256": m.sha256, "fetched_at": m.fetched_at}
    assumptions = {
        "fill": f"{spec.fill}: {FILL_WORDS[spec.fill]}",
        "prices": "total-return adjusted (dividends reinvested): OHLC scaled by Adj Close / Close",
        "signal_lag": "decisions use closes through the decision day; economic series from the business day after their date",
        "costs": f"commission {spec.commission_bps:g} bp + slippage {spec.slippage_bps:g} bp of traded value",
        "cash": ("uninvested cash earns nothing; the CASH asset accrues the daily fed funds rate (DFF, act/360)"
                 if CASH in assets else "uninvested cash earns nothing"),
        "returns": "time-weighted: a contribution never counts as a gain; XIRR is the money-weighted return",
        "shares": "whole shares" if spec.whole_shares else "fractional shares",
    }
    return Result(
        spec=spec, strategy_doc=rule.describe(), params=rule.param_values(), returns=rets,
        equity=equity, positions=positions, trades=trades, cashflows=ledger,
        decisions=pd.DataFrame(decision_rows, columns=["date", "label", "weights"]),
        benchmark=bench_rets, inputs=inputs, assumptions=assumptions, notes=notes,
    )
