"""``windows``: every start month x every holding length of one run's history.

History is one path from one start date; an investor who started a year later lived a different
one. This view reads the one full-history run (its daily time-weighted returns, its benchmark
bought the same way, its cash-flow ledger) and cuts it into every window that starts at a month
end and lasts a whole number of years:

- CAGR over ``y`` years = ``(W[end] / W[base]) ** (1 / y) - 1``, with ``W`` the time-weighted
  wealth index and ``base``/``end`` the closes of the last trading days of two months ``12 y``
  apart (the window "starting 2005-01" runs from the close of 2004-12-31 to a later December's
  last close). A one-year window starting in January is the calendar year, as ``r2k table annual``.
- With contributions, each side's XIRR replays the run's ledger on that side's returns: the run's
  first-day money at the window's base, then every flow inside the window, and the balance at
  its end (``V[t] = V[t-1] (1 + r[t]) + F[t]``).
- A window that the data does not cover (it would start before the first month end or end after
  the last complete month) is blank, never extrapolated.

The rule is the full-history run's: a trend filter starting in 2010 holds what it held in 2010
(warmed up on earlier data), not what a fresh start would buy on its first day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from r2k.data.errors import UsageError


@dataclass
class WindowsResult:
    """Every window's CAGR (and XIRR with contributions), a per-length summary, and how they were made."""

    cells: pd.DataFrame  # start, end, years, strategy, benchmark, difference[, strategy_xirr, benchmark_xirr]
    summary: pd.DataFrame  # one row per holding length
    label: str
    benchmark: str | None
    first_base: pd.Timestamp
    last_end: pd.Timestamp
    notes: list[str] = field(default_factory=list)

    def save(self, folder: str | Path) -> Path:
        """Write windows.csv, summary.csv, heatmap.png and index.html into ``folder`` (atomically)."""
        from r2k.reports.runfolder import atomic_folder
        from r2k.reports.windows_report import write_windows

        return atomic_folder(Path(folder), lambda tmp: write_windows(self, tmp), kind="windows")

    def text(self) -> str:
        """The table ``r2k windows`` prints."""
        from r2k.reports.windows_report import format_summary

        return format_summary(self)


def month_end_wealth(wealth: pd.Series) -> pd.Series:
    """Wealth at each complete month's last trading day, indexed by month (``Period[M]``).

    A month's value is its last bar's, so a run started on 2004-12-31 has a December 2004 base
    (windows from 2005-01) and one started on 2005-01-03 starts from January's last close. The last
    month counts only when the data reaches its expected last session; months with no bar (a gap
    in the data) are NaN.
    """
    from r2k.reports.tables import expected_last_session

    months = wealth.index.to_period("M")
    last = pd.Series(wealth.index, index=wealth.index).groupby(months).max()
    values = wealth.groupby(months).last()
    full = pd.period_range(months[0], months[-1], freq="M")
    values = values.reindex(full)
    last = last.reindex(full)
    if last.iloc[-1] < expected_last_session(full[-1]):
        values.iloc[-1] = np.nan
    return values.rename("wealth").to_frame().assign(date=last)


def _wealth(returns: pd.Series, start: pd.Timestamp) -> pd.Series:
    """The time-weighted wealth index: 1.0 at the run's first bar, then the compounded returns."""
    base = pd.Series([1.0], index=pd.DatetimeIndex([start]))
    return pd.concat([base, (1.0 + returns.astype(float)).cumprod()])


def flows_on_calendar(cashflows: pd.DataFrame, calendar: pd.DatetimeIndex) -> np.ndarray:
    """The ledger on the calendar (any sign: deposits positive, withdrawals negative)."""
    flows = np.zeros(len(calendar))
    if len(cashflows):
        dates = pd.DatetimeIndex(pd.to_datetime(cashflows["date"]))
        pos = calendar.get_indexer(dates)
        if (pos < 0).any():
            raise ValueError("a cash flow falls on a day outside the run's calendar")
        np.add.at(flows, pos, cashflows["amount"].to_numpy(dtype=float))
    return flows


def as_result(source, settings: dict):
    """A finished Result: ``source`` itself, or the run of strategy ``source`` with ``settings``
    (``r2k.runner.run``'s keywords; allocation rules on the vector engine unless ``engine`` says)."""
    if hasattr(source, "returns") and hasattr(source, "equity"):
        if settings:
            raise UsageError(f"run settings ({', '.join(sorted(settings))}) apply to a strategy, not to a finished result")
        return source
    from r2k.runner.api import run
    from r2k.runner.build import strategy_of
    from r2k.strategies import discovery

    if "engine" not in settings and not settings.get("strategy_path"):
        kind = discovery.kind(strategy_of(source))
        settings = {**settings, "engine": "vector" if kind == "rule" else "backtrader"}
    return run(source, **settings)


def windows(result, *, min_years: int = 1, max_years: int | None = None, **settings) -> WindowsResult:
    """Cut ``result`` (a finished run, or a strategy run with ``settings`` first) into every
    start-month x holding-length window.

        windows(r2k.runner.run("dca", symbol="IWM", offline=True))
        windows("dca", symbol="IWM", start="2000-06-30", offline=True)

    ``max_years`` defaults to the longest whole number of years the history covers. Raises
    UsageError when the history holds no complete window of ``min_years``.
    """
    if max_years is not None and max_years < min_years:  # checked before any run: 0 gave an internal error
        raise UsageError(f"--max-years {max_years}: give a whole number of years, at least {min_years}")
    result = as_result(result, settings)
    start = result.start
    calendar = result.equity.index
    sides = {"strategy": _wealth(result.returns, start)}
    if result.benchmark is not None:
        sides["benchmark"] = _wealth(result.benchmark, start)
    me = {k: month_end_wealth(w) for k, w in sides.items()}
    frame = me["strategy"]
    valid = frame["wealth"].notna().to_numpy()
    months = frame.index
    n = len(months)
    longest = 0
    idx = np.flatnonzero(valid)
    if len(idx):
        longest = (idx[-1] - idx[0]) // 12
    if longest < min_years:
        span = f"{start:%Y-%m-%d}..{result.end:%Y-%m-%d}"
        raise UsageError(f"the history {span} holds no complete {min_years}-year window from one month end to another")
    top = longest if max_years is None else min(max_years, longest)
    if max_years is not None and max_years > longest:
        raise UsageError(f"--max-years {max_years} is more than the {longest} whole years the history covers")

    flows = flows_on_calendar(result.cashflows, calendar)
    with_flows = bool(np.count_nonzero(flows[1:]))
    rows = []
    for y in range(min_years, top + 1):
        b = np.arange(0, n - 12 * y)
        e = b + 12 * y
        ok = valid[b] & valid[e]
        b, e = b[ok], e[ok]
        part = {"start": (months[b] + 1).strftime("%Y-%m"), "base": frame["date"].to_numpy()[b],
                "end": frame["date"].to_numpy()[e], "years": y}
        for k, m in me.items():
            w = m["wealth"].to_numpy()
            part[k] = (w[e] / w[b]) ** (1.0 / y) - 1.0
        rows.append(pd.DataFrame(part))
    cells = pd.concat(rows, ignore_index=True)
    if "benchmark" in cells:
        cells["difference"] = cells["strategy"] - cells["benchmark"]
    if with_flows:
        for k, w in sides.items():
            cells[f"{k}_xirr"] = np.nan
            for _, g in cells.groupby("years"):  # one solve per length: rows of similar width
                cells.loc[g.index, f"{k}_xirr"] = window_xirr(w, flows, g["base"], g["end"])
    notes = []
    if with_flows and (flows < 0).any():
        notes.append("withdrawals: a window whose replayed balance falls to zero has no XIRR")
    label = getattr(result, "label", "") or result.spec.strategy
    cells = cells.sort_values(["years", "start"], kind="stable").reset_index(drop=True)
    return WindowsResult(cells=cells, summary=summarize(cells), label=label, benchmark=result.spec.benchmark,
                         first_base=frame["date"].iloc[idx[0]], last_end=frame["date"].iloc[idx[-1]], notes=notes)


def window_xirr(wealth: pd.Series, flows: np.ndarray, bases: pd.Series, ends: pd.Series) -> np.ndarray:
    """Each window's money-weighted return with the run's ledger replayed on ``wealth``'s returns.

    The balance at the end of a window from ``b`` to ``e`` is, in closed form,
    ``V[e] = W[e] * (F0 / W[b] + sum_{b < s <= e} F[s] / W[s])`` with ``F0`` the run's first-day
    money (``V[t] = V[t-1] (1 + r[t]) + F[t]`` unrolled). XIRR's amounts: ``-F0`` at ``b``, ``-F[s]``
    inside, ``+V[e]`` at ``e``; all windows are solved together (r2k.reports.xirr.xirr_many), each
    row holding only its own window's flows.
    """
    from r2k.reports.xirr import xirr_many

    cal = wealth.index
    w = wealth.to_numpy()
    f0 = flows[0]
    scaled = np.cumsum(np.where(np.arange(len(flows)) > 0, flows, 0.0) / w)
    bi = cal.get_indexer(pd.DatetimeIndex(bases))
    ei = cal.get_indexer(pd.DatetimeIndex(ends))
    final = w[ei] * (f0 / w[bi] + scaled[ei] - scaled[bi])
    flow_days = np.flatnonzero(flows != 0)
    flow_days = flow_days[flow_days > 0]
    lo = np.searchsorted(flow_days, bi, side="right")  # first flow inside each window
    hi = np.searchsorted(flow_days, ei, side="right")  # one past the last
    width = int((hi - lo).max(initial=0)) + 2
    k = np.arange(width - 2)[None, :]
    inside = k < (hi - lo)[:, None]
    day = np.where(inside, flow_days[np.minimum(lo[:, None] + k, len(flow_days) - 1)] if len(flow_days) else 0, 0)
    days = (cal - cal[0]).days.to_numpy(dtype=float)
    t = np.column_stack([days[bi], np.where(inside, days[day], days[bi][:, None]), days[ei]]) / 365.0
    amounts = np.column_stack([np.full(len(bi), -f0), np.where(inside, -flows[day], 0.0), final])
    out = np.full(len(bi), np.nan)
    live = final > 0
    if live.any():
        out[live] = xirr_many(t[live], amounts[live])
    return out


def summarize(cells: pd.DataFrame) -> pd.DataFrame:
    """Per holding length: how many windows, the share the strategy won, medians, best and worst."""
    out = []
    for y, g in cells.groupby("years", sort=True):
        best, worst = g["strategy"].idxmax(), g["strategy"].idxmin()
        row = {"years": int(y), "windows": len(g)}
        if "difference" in g:
            row["won"] = float((g["difference"] > 0).mean())
            row["median_difference"] = float(g["difference"].median())
            row["median_benchmark"] = float(g["benchmark"].median())
        row["median"] = float(g["strategy"].median())
        row["best"] = float(g.at[best, "strategy"])
        row["best_start"] = g.at[best, "start"]
        row["best_end"] = pd.Timestamp(g.at[best, "end"]).strftime("%Y-%m")
        row["worst"] = float(g.at[worst, "strategy"])
        row["worst_start"] = g.at[worst, "start"]
        row["worst_end"] = pd.Timestamp(g.at[worst, "end"]).strftime("%Y-%m")
        out.append(row)
    return pd.DataFrame(out)
