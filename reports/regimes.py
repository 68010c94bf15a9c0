"""How symbols did while the Fed was easing, tightening or on hold, and in NBER recessions.

Fed regimes use the rotation strategy's rule (r2k.strategies.rotation.regime_at on the policy
rate of r2k.strategies.signals.policy_rate), evaluated for every trading day at once: a day's
regime is what ``regime_at`` says on that day given the rate observations *published* by then
(observation date + PUBLICATION_LAG_BDAYS business days). Days before the rate history covers
the look-back, or after it ends, are left out rather than called "hold".

Recessions use NBER's monthly USREC, expanded to days (a day is in recession when its month
is). NBER dates recessions months to years after the fact, so this part is hindsight: a
description of history, not a signal anyone could have traded; no publication lag is applied.

A day's return (close t-1 to close t) belongs to the regime in force at the previous close, the
regime known when the day started. Regime statistics chain the daily returns of that regime's
days only: annualised return ``prod(1 + r) ** (252 / n) - 1``, volatility = sample stdev x
sqrt(252), max drawdown of $1 held only on those days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from r2k.data.align import PUBLICATION_LAG_BDAYS
from r2k.data.errors import DataError, R2KError
from r2k.data.ratemoves import rate_moves
from r2k.reports import metrics
from r2k.reports.tables import Cell, Row, Table, annualised_return, common_closes, window

FED_REGIMES = ("easing", "tightening", "hold")
FED_LABELS = {"easing": "Fed easing", "tightening": "Fed tightening", "hold": "Fed on hold"}
COLOURS = {"easing": "#8fd18f", "tightening": "#f3a3a3", "hold": "#e3e3e3"}


# --------------------------------------------------------------------------------------------
# labelling days


def _last_published(events: pd.DatetimeIndex, days: pd.DatetimeIndex, lag_bdays: int) -> np.ndarray:
    """For each day, the date of the last event published by then (NaT if none)."""
    published = (events + pd.offsets.BDay(lag_bdays)).values
    pos = np.searchsorted(published, days.values, side="right") - 1
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = pos >= 0
    out[ok] = events.values.astype("datetime64[ns]")[pos[ok]]
    return out


def daily_regimes(rate: pd.Series, days: pd.DatetimeIndex, lookback_months: int, min_change: float,
                  lag_bdays: int = PUBLICATION_LAG_BDAYS) -> pd.Series:
    """``regime_at`` for every day at once, on the rate history published by each day.

    The published history on a day is a prefix of the full one, and a move (``diff``) only looks
    at the observation before it, so the cuts and hikes known on a day are the full history's
    cuts and hikes published by then; only the last of each matters to the rule.
    """
    rate = rate.dropna().sort_index()
    cuts, hikes = rate_moves(rate, min_change)  # in basis points, as the rotation compares them
    days = pd.DatetimeIndex(days)
    last_cut = _last_published(cuts, days, lag_bdays)
    last_hike = _last_published(hikes, days, lag_bdays)
    horizon = (days - pd.DateOffset(months=lookback_months)).values.astype("datetime64[ns]")
    has_cut, has_hike = ~np.isnat(last_cut), ~np.isnat(last_hike)
    easing = has_cut & (last_cut > horizon) & (~has_hike | (last_hike < last_cut))
    tightening = has_hike & (last_hike > horizon) & (~has_cut | (last_cut < last_hike))
    labels = np.where(easing, "easing", np.where(tightening, "tightening", "hold"))
    return pd.Series(labels, index=days, name="regime", dtype=object)


def rule_coverage(rate: pd.Series, lookback_months: int,
                  lag_bdays: int = PUBLICATION_LAG_BDAYS) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Days on which the rule sees a full look-back of published history: [first known + look-back, last known]."""
    idx = rate.dropna().index
    first = idx[0] + pd.offsets.BDay(lag_bdays) + pd.DateOffset(months=lookback_months)
    return pd.Timestamp(first), pd.Timestamp(idx[-1] + pd.offsets.BDay(lag_bdays))


def daily_recession(usrec: pd.Series, days: pd.DatetimeIndex) -> pd.Series:
    """1.0 on days whose month USREC marks as recession, 0.0 in expansion, NaN outside USREC."""
    monthly = usrec.dropna()
    monthly.index = monthly.index.to_period("M")
    monthly = monthly[~monthly.index.duplicated(keep="last")]
    vals = monthly.reindex(pd.DatetimeIndex(days).to_period("M")).to_numpy(dtype=float)
    return pd.Series(vals, index=days, name="recession")


# --------------------------------------------------------------------------------------------
# statistics


@dataclass
class Analysis:
    """Everything the table and the chart show, on the symbols' common days in the window."""

    closes: pd.DataFrame  # common closes, first row = base
    returns: pd.DataFrame  # daily returns from the second row
    fed: pd.Series  # regime label on each day of ``closes`` (None = not covered)
    recession: pd.Series  # 1/0/NaN on each day of ``closes``
    fed_for_return: pd.Series  # label of the previous close, on each return day
    recession_for_return: pd.Series
    lookback_months: int
    min_change: float
    coverage: tuple[pd.Timestamp, pd.Timestamp]


def analyze(closes: dict[str, pd.Series], rate: pd.Series, usrec: pd.Series, *, start: pd.Timestamp | None = None,
            end: pd.Timestamp | None = None, lookback_months: int = 6, min_change: float = 0.05) -> Analysis:
    """Label every common day of the symbols with its Fed regime and recession state."""
    df = window(common_closes(closes), start, end)
    rate = rate.dropna().sort_index()
    if rate.empty:
        raise DataError("the fed funds target series is empty")
    fed = daily_regimes(rate, df.index, lookback_months, min_change)
    lo, hi = rule_coverage(rate, lookback_months)
    fed = fed.where((df.index >= lo) & (df.index <= hi), None)
    rec = daily_recession(usrec, df.index)
    returns = df.pct_change().iloc[1:]
    fed_prev = pd.Series(fed.to_numpy()[:-1], index=returns.index, dtype=object)
    rec_prev = pd.Series(rec.to_numpy()[:-1], index=returns.index)
    return Analysis(df, returns, fed, rec, fed_prev, rec_prev, lookback_months, min_change, (lo, hi))


def regime_stats(returns: pd.Series) -> dict[str, float]:
    """Annualised return (geometric, 252 days), volatility (sample stdev x sqrt 252), max drawdown."""
    r = returns.astype(float)
    if r.empty:
        return {"return": math.nan, "volatility": math.nan, "max_drawdown": math.nan, "days": 0}
    dd = float(metrics.drawdown_series(r).min())  # peak starts at the $1 base, as in the run metrics
    return {"return": annualised_return(r), "volatility": metrics.volatility(r), "max_drawdown": min(dd, 0.0), "days": len(r)}


def regime_table(a: Analysis) -> Table:
    """One row per Fed regime and per recession state (plus all days), columns per symbol and the spread."""
    syms = list(a.returns.columns)
    groups: list[tuple[str, pd.Series]] = [("All days", pd.Series(True, index=a.returns.index))]
    groups += [(FED_LABELS[g], a.fed_for_return == g) for g in FED_REGIMES]
    groups += [("NBER recession", a.recession_for_return == 1.0), ("NBER expansion", a.recession_for_return == 0.0)]
    cols = ["days"]
    for s in syms:
        cols += [f"{s} return", f"{s} vol", f"{s} max DD"]
    spread = f"{syms[0]}-{syms[1]}" if len(syms) > 1 else None
    if spread:
        cols.append(spread)
    rows = []
    for label, mask in groups:
        stats = {s: regime_stats(a.returns.loc[mask.to_numpy(), s]) for s in syms}
        n = int(mask.sum())
        cells = [Cell(n, kind="int")]
        for s in syms:
            cells += [Cell(stats[s]["return"] if n else None), Cell(stats[s]["volatility"] if n > 1 else None),
                      Cell(stats[s]["max_drawdown"] if n else None)]
        if spread:
            cells.append(Cell(stats[syms[0]]["return"] - stats[syms[1]]["return"] if n else None))
        rows.append(Row(label, cells))
    first, last = a.closes.index[0], a.closes.index[-1]
    n_all = len(a.returns)
    fed_out = n_all - int(a.fed_for_return.isin(FED_REGIMES).sum())
    rec_out = n_all - int(a.recession_for_return.notna().sum())
    notes = [
        f"Fed regimes: the rate-cut-rotation rule on the fed funds target (DFEDTAR, then the upper bound DFEDTARU): "
        f"easing = a cut of at least {a.min_change:g} pp within the last {a.lookback_months} months and no hike since; "
        f"tightening = the mirror image; otherwise on hold. Rates are known {PUBLICATION_LAG_BDAYS} business day after "
        f"their date.",
        "A day's return belongs to the regime in force at the previous close (known when the day started).",
        f"Returns annualised geometrically, prod(1+r)^({252}/days)-1; vol = sample stdev of daily returns x sqrt(252); "
        f"max DD of $1 held only on that regime's days. {spread + ' = difference of the annualised returns.' if spread else ''}",
        "NBER recessions: monthly USREC expanded to days, as dated by NBER long after the fact: a description of "
        "history, not a signal (no publication lag applied).",
    ]
    if fed_out:
        notes.append(f"{fed_out} days outside the rate rule's coverage ({a.coverage[0]:%Y-%m-%d}..{a.coverage[1]:%Y-%m-%d}, "
                     f"first {a.lookback_months} months of rate history excluded) are in no Fed regime row.")
    if rec_out:
        notes.append(f"{rec_out} days outside the USREC data are in no NBER row.")
    title = f"Returns by Fed regime and business cycle (%), {first:%Y-%m-%d}..{last:%Y-%m-%d}"
    meta = {"start": f"{first:%Y-%m-%d}", "end": f"{last:%Y-%m-%d}", "symbols": syms,
            "lookback_months": a.lookback_months, "min_change": a.min_change}
    return Table(title, "regime", cols, rows, [n.strip() for n in notes], meta)


# --------------------------------------------------------------------------------------------
# chart


def _runs(labels: pd.Series) -> list[tuple[object, pd.Timestamp, pd.Timestamp]]:
    """Contiguous runs of equal labels as (label, first day, day after the last)."""
    vals = labels.to_numpy()
    idx = labels.index
    change = np.flatnonzero(np.r_[True, vals[1:] != vals[:-1]])
    out = []
    for k, i in enumerate(change):
        j = change[k + 1] if k + 1 < len(change) else len(vals)
        stop = idx[j] if j < len(idx) else idx[-1] + pd.Timedelta(days=1)
        out.append((vals[i], idx[i], stop))
    return out


#: one colour per symbol line, dark enough to read over the light regime shading (then dashed, dotted ...)
LINE_COLOURS = ("#1f3b73", "#d95f02", "#6a3d9a", "#000000", "#a6761d", "#e7298a", "#1b9e77", "#666666")
LINE_STYLES = ("-", "--", ":", "-.")


def chart_figure(a: Analysis):
    """The chart as a matplotlib Figure: each symbol's growth of $1 (log scale), one line per symbol
    in ``a.closes`` column order, over shaded Fed regimes and hatched recessions. The caller closes it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    syms = [str(s) for s in a.closes.columns]
    fig, ax = plt.subplots(figsize=(11, 5.5), dpi=110)
    try:
        for label, lo, hi in _runs(a.fed.fillna("none")):
            if label in COLOURS:
                ax.axvspan(lo, hi, color=COLOURS[label], alpha=0.6, lw=0)
        for flag, lo, hi in _runs(a.recession.fillna(-1.0)):
            if flag == 1.0:
                ax.axvspan(lo, hi, facecolor="none", edgecolor="#555555", hatch="///", lw=0)
        lines = []
        for k, sym in enumerate(syms):
            col = a.closes.iloc[:, k]
            growth = col / col.iloc[0]
            style = LINE_STYLES[(k // len(LINE_COLOURS)) % len(LINE_STYLES)]
            (line,) = ax.plot(growth.index, growth.to_numpy(), color=LINE_COLOURS[k % len(LINE_COLOURS)], ls=style,
                              lw=1.2, label=sym)
            lines.append(line)
        ax.set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        ax.set_ylabel("growth of $1 (log scale)")
        names = ", ".join(syms) if len(syms) <= 4 else f"{', '.join(syms[:3])} and {len(syms) - 3} more"
        ax.set_title(f"{names} through Fed regimes (look-back {a.lookback_months} months) and NBER recessions")
        handles: list = list(lines)
        handles += [Patch(color=COLOURS[g], alpha=0.6, label=FED_LABELS[g]) for g in FED_REGIMES]
        handles.append(Patch(facecolor="none", edgecolor="#555555", hatch="///", label="NBER recession"))
        ax.legend(handles=handles, loc="upper left", fontsize=8)
        ax.margins(x=0)
        fig.tight_layout()
    except BaseException:
        plt.close(fig)
        raise
    return fig


def draw_chart(a: Analysis, path: Path) -> Path:
    """Write :func:`chart_figure` as a PNG at ``path``, creating missing folders (as ``--out`` does).

    The PNG is written to a temporary file beside ``path`` and renamed into place, so ``path`` is
    either the whole new chart or untouched; a failure to write raises R2KError("cannot write to DIR").
    """
    import os

    import matplotlib.pyplot as plt

    path = Path(path)
    fig = chart_figure(a)
    tmp = None
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # hidden, beside the target, per process
            with tmp.open("wb") as fh:
                fig.savefig(fh, format="png")
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            raise R2KError(f"cannot write to {path.parent}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return path
