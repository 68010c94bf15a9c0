"""The result of a run: what reports read. Nothing here re-runs anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
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
    benchmark_trades: pd.DataFrame | None = None  # that benchmark account's trades
    source: dict | None = None  # the strategy's source file and its SHA-256
    config: dict | None = None  # the resolved settings, loadable again with --config
    metrics: dict[str, Any] = field(default_factory=dict)  # exactly what metrics.json holds
    benchmark_metrics: dict[str, Any] | None = None  # the benchmark bought like the strategy, same metrics
    benchmark_cashflows: pd.DataFrame | None = None  # the benchmark account's own flows (its withdrawals)
    outcome: dict[str, Any] = field(default_factory=dict)  # withdrawn, depleted_on, withdrawal rates (runner.flows)
    benchmark_outcome: dict[str, Any] | None = None  # the same for the benchmark account
    cpi: pd.Series | None = None  # CPIAUCSL as loaded, when the run needed it (real results, inflation-adjusted flows)
    label: str = ""  # what the result holds, e.g. "dca VTWO $500/month" (see runner.labels)

    @property
    def start(self) -> pd.Timestamp:
        return self.equity.index[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.equity.index[-1]

    def summary(self) -> pd.DataFrame:
        """The table ``r2k run`` prints, as numbers: one column for the result, one for its benchmark."""
        from r2k.reports.summary import summary_frame

        return summary_frame(self)

    def save(self, folder: str | Path | None = None, *, tearsheet: bool = False) -> Path:
        """Write the run folder (default ``runs/<strategy>-<symbol>-<hash>``); return its path.

        Only an absent or empty folder, or one r2k wrote, is replaced.
        """
        from r2k.reports.runfolder import write_run_folder
        from r2k.runner.labels import folder_name

        target = Path(folder) if folder is not None else Path("runs") / folder_name(self.spec)
        return write_run_folder(self, target, tearsheet=tearsheet, basis=self.spec.stats)

    def tearsheet(self, path: str | Path) -> Path:
        """Render the tear sheet (against the benchmark bought like the strategy) to ``path``."""
        import os

        from r2k.reports.tearsheet import own_numbers, render

        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            render(self.returns, tmp, self.title(), self.benchmark, self.assumptions, self.label,
                   self.benchmark_label(), **own_numbers(self))
            os.replace(tmp, path)  # a killed render leaves no half-written page
        finally:
            tmp.unlink(missing_ok=True)
        return path

    def title(self) -> str:
        return f"r2k {self.label or self.spec.strategy} {self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}"

    def benchmark_label(self) -> str | None:
        """The benchmark's name as every view shows it: bought like the strategy."""
        if not self.spec.benchmark:
            return None
        if (self.cashflows["amount"].iloc[1:] < 0).any():
            how = "same withdrawal plan"
        else:
            how = "same deposits" if len(self.cashflows) > 1 else "buy & hold"
        return f"{self.spec.benchmark} ({how})"
