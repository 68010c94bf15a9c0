"""The result of a run: what reports read. Nothing here re-runs anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from r2k.runner.spec import RunSpec


@dataclass
class Result:
    """Daily account history, trades, flows and decisions of one run, with its provenance."""

    spec: RunSpec
    strategy_doc: str
    params: dict[str, Any]
    returns: pd.Series  # daily flow-neutral (time-weighted) returns, from the 2nd bar on
    equity: pd.DataFrame  # date -> value, cash (every bar, after that day's flow)
    positions: pd.DataFrame  # date -> shares per asset
    trades: pd.DataFrame  # date, symbol, side, size, price, value, commission, slippage
    cashflows: pd.DataFrame  # date, amount (initial cash first)
    decisions: pd.DataFrame  # date, label, weights (JSON)
    benchmark: pd.Series | None  # daily benchmark returns on the same dates as ``returns``
    inputs: dict[str, dict]  # name -> source, adjustment, range, sha256
    assumptions: dict[str, str]  # fill timing, signal lag, price basis, what cash earns
    notes: list[str] = field(default_factory=list)
    rf: float | pd.Series = 0.0  # risk-free rate for Sharpe/Sortino (annual float, or daily Series)
    benchmark_value: pd.Series | None = None  # the benchmark bought with the same flows, fills and costs
    source: dict | None = None  # the strategy's source file and its SHA-256
    config: dict | None = None  # the resolved settings, loadable again with --config
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> pd.Timestamp:
        return self.equity.index[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.equity.index[-1]
