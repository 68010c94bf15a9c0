"""``simulate --resample assets``: run the rule itself on each bootstrapped price history.

``--resample returns`` replays what the strategy earned, so its decisions are history's. For a
rule that reads only prices (buy-and-hold, dca, portfolio, trend-filter, relative-momentum, user
rules declaring no economic series), this module instead resamples the *assets*: whole days of
every symbol the rule trades or reads (and the benchmark, and the CASH index when it holds cash)
are drawn by the same stationary bootstrap, each day carrying every symbol's close-to-close
return and its open gap (open / previous close). The synthetic prices continue the real history
at the run's first day (the real days before it stay as the rule's look-back), the rule decides
on them through the same point-in-time view, the vectorized executor trades them with the run's
fills, costs and cash flows, and the benchmark is bought the same way on its synthetic prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from r2k.data.errors import UsageError


@dataclass
class _Stored:
    """The one attribute of a stored symbol the rule's view reads: its frame."""

    data: pd.DataFrame


@dataclass(frozen=True)
class AssetSetup:
    """What a worker needs to rebuild any path's prices: picklable arrays and the spec."""

    spec: object  # the run's RunSpec (its strategy importable by reference)
    calendar: pd.DatetimeIndex  # the run's first horizon + 1 days
    symbols: tuple[str, ...]  # every resampled symbol (CASH last when held)
    traded: tuple[str, ...]
    signals: tuple[str, ...]
    prefix: dict  # symbol -> adjusted closes through the run's first day (the rule's look-back)
    first_open: np.ndarray  # (S,) day-0 opens on the calendar
    first_close: np.ndarray  # (S,) day-0 closes
    close_ret: np.ndarray  # (N-1, S) close[t] / close[t-1]
    open_gap: np.ndarray  # (N-1, S) open[t] / close[t-1]
    flows: np.ndarray  # the ledger, steps 0..horizon


def check_rule(spec) -> None:
    """Refuse (UsageError) what ``--resample assets`` cannot honestly run."""
    from r2k.strategies.base import AllocationRule

    cls = spec.strategy_class()
    if not (isinstance(cls, type) and issubclass(cls, AllocationRule)):
        raise UsageError(f"--resample assets runs allocation rules only; {spec.strategy} is a backtrader strategy "
                         "(use --resample returns)")
    series = list(cls(**spec.params).series())
    if series:
        raise UsageError(f"--resample assets needs a rule that reads only prices; {spec.strategy} reads "
                         f"{', '.join(series)} (use --resample returns)")


def build(result, horizon: int, *, store, offline: bool) -> AssetSetup:
    """Load the run's inputs again (from the store) and lay every symbol's days side by side."""
    from r2k.data.align import adjusted_ohlc, on_calendar
    from r2k.data.symbols import CASH
    from r2k.runner.engine import prepare

    spec = result.spec
    check_rule(spec)
    p = prepare(spec, store=store, offline=offline)
    cal = p.inputs.calendar
    signals = [s for s in dict.fromkeys(_signals(p)) if s not in p.traded]
    priced = [s for s in dict.fromkeys(list(p.traded) + signals + ([spec.benchmark] if spec.benchmark else []))
              if s != CASH]
    frames = {}
    for s in priced:
        frames[s] = p.inputs.ohlc[s] if s in p.inputs.ohlc else on_calendar(adjusted_ohlc(p.inputs.stored[s].data), cal, s)[0]
    if CASH in p.traded:
        frames[CASH] = p.inputs.ohlc[CASH]
    symbols = tuple(frames)
    close = np.column_stack([frames[s]["close"].to_numpy(dtype=float) for s in symbols])
    opens = np.column_stack([frames[s]["open"].fillna(frames[s]["close"]).to_numpy(dtype=float) for s in symbols])
    prefix = {s: p.inputs.stored[s].data["adj_close"].loc[: cal[0]] for s in priced}
    return AssetSetup(spec=spec, calendar=cal[: horizon + 1], symbols=symbols, traded=tuple(p.traded),
                      signals=tuple(signals), prefix=prefix, first_open=opens[0], first_close=close[0],
                      close_ret=close[1:] / close[:-1], open_gap=opens[1:] / close[:-1], flows=p.flows[: horizon + 1])


def _signals(p) -> list[str]:
    from r2k.data.symbols import canonical_symbol

    rule = p.cls(**p.spec.params)
    return [canonical_symbol(s) for s in rule.signals()]


def path_returns(a: AssetSetup, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The strategy's and the benchmark's daily flow-neutral returns on one synthetic history."""
    from r2k.data.symbols import CASH
    from r2k.runner.engine import Inputs, decide_all, execute, flow_neutral_returns
    from r2k.runner.plan import Plan, fill_weights

    spec = a.spec
    closes = np.vstack([a.first_close, a.first_close * np.cumprod(a.close_ret[idx], axis=0)])
    opens = np.vstack([a.first_open, closes[:-1] * a.open_gap[idx]])
    cal = a.calendar
    ohlc, stored = {}, {}
    for j, s in enumerate(a.symbols):
        frame = pd.DataFrame({"open": opens[:, j], "high": np.maximum(opens[:, j], closes[:, j]),
                              "low": np.minimum(opens[:, j], closes[:, j]), "close": closes[:, j],
                              "volume": 0.0}, index=cal)
        ohlc[s] = frame
        if s != CASH:
            synthetic = pd.Series(closes[1:, j], index=cal[1:])
            stored[s] = _Stored(pd.DataFrame({"adj_close": pd.concat([a.prefix[s], synthetic])}))
    inputs = Inputs(calendar=cal, ohlc={s: ohlc[s] for s in a.traded}, stored=stored, stored_series={})
    rule = spec.strategy_class()(**spec.params)
    traded = list(a.traded)
    dates, matrix, _ = decide_all(rule, inputs, traded, list(a.signals), [])  # the rule's vectorized form if it has one
    weights, decide = fill_weights(cal, dates, matrix)
    band, band_relative = rule.drift_band()
    costs = dict(fill=spec.fill, commission=spec.commission_bps / 1e4, slippage=spec.slippage_bps / 1e4,
                 whole_shares=spec.whole_shares)
    plan = Plan(calendar=cal, assets=traded, opens=np.column_stack([ohlc[s]["open"].to_numpy() for s in traded]),
                closes=np.column_stack([ohlc[s]["close"].to_numpy() for s in traded]), decide=decide,
                weights=weights, flows=a.flows, band=band, band_relative=band_relative, **costs)
    strat = flow_neutral_returns(execute(plan, "vector", compiled=True).value, a.flows)
    bench = None
    if spec.benchmark:
        n = len(cal)
        first = np.zeros(n, dtype=bool)
        first[0] = True
        b = ohlc[spec.benchmark]
        bplan = Plan(calendar=cal, assets=[spec.benchmark], opens=b[["open"]].to_numpy(), closes=b[["close"]].to_numpy(),
                     decide=first, weights=np.ones((n, 1)), flows=a.flows, **costs)
        bench = flow_neutral_returns(execute(bplan, "vector", compiled=True).value, a.flows)
    return strat, bench
