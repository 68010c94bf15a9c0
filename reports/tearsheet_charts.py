"""The tear sheet's charts and its monthly heatmap (reports/tearsheet.py lays out the page).

Every chart is reports.chart_svg's inline SVG with its numbers beside it (hover values, legend
toggles); the charts on one calendar share one axis block. The monthly heatmap is an HTML table
whose cells are coloured by sign and size: the same months and numbers as a matplotlib heatmap
at a small part of its cost.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd

from r2k.reports import metrics as M
from r2k.reports import metrics_more as X

#: The page's sections: element id -> heading. tests/test_tearsheet_page.py checks they are all there.
SECTIONS = {
    "metrics": "Key Performance Metrics",
    "eoy": "EOY Returns vs Benchmark",
    "ddinfo": "Worst 10 Drawdowns",
    "returns": "Cumulative Returns",
    "log_returns": "Cumulative Returns (Log Scaled)",
    "vol_returns": "Cumulative Returns vs Benchmark (Volatility Matched)",
    "eoy_returns": "EOY Returns",
    "monthly_dist": "Distribution of Monthly Returns",
    "daily_returns": "Daily Returns",
    "rolling_beta": "Rolling Beta to Benchmark",
    "rolling_vol": "Rolling Volatility (6 Months)",
    "rolling_sharpe": "Rolling Sharpe (6 Months)",
    "rolling_sortino": "Rolling Sortino (6 Months)",
    "dd_periods": "Worst 5 Drawdown Periods",
    "dd_plot": "Underwater Plot",
    "monthly_heatmap": "Monthly Returns (%)",
    "returns_dist": "Return Quantiles",
}

STRATEGY_COLOR, BENCHMARK_COLOR = "#1f77b4", "#666666"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _heat(v: float, scale: float) -> str:
    """Background colour of a heatmap cell: red below zero, green above, white at zero."""
    if not math.isfinite(v):
        return "#ffffff"
    t = min(abs(v) / scale, 1.0) if scale > 0 else 0.0
    base = (214, 39, 40) if v < 0 else (44, 160, 44)
    r, g, b = (round(255 + (c - 255) * t * 0.85) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap_table(returns: pd.Series, title: str) -> str:
    """Each calendar month's compounded return (percent) in a year x month table, the year's return
    last; cells coloured by sign and size (the colour scale tops out at the 95th percentile of |month|)."""
    m = M.monthly_returns(returns)
    years = M.calendar_year_returns(returns)
    scale = float(np.quantile(np.abs(m.to_numpy()), 0.95)) if len(m) else 0.0
    have = {(d.year, d.month): float(v) for d, v in m.items()}
    out = []
    for y in years.index:
        cells = []
        for k in range(1, 13):
            v = have.get((y, k))
            cells.append('<td></td>' if v is None else
                         f'<td style="background:{_heat(v, scale)}">{100 * v:.2f}</td>')
        yv = float(years[y])
        out.append(f"<tr><th>{y}</th>{''.join(cells)}<td class=\"yr\" style=\"background:{_heat(yv, 2 * scale)}\">"
                   f"{100 * yv:.2f}</td></tr>")
    head = "".join(f"<th>{mo}</th>" for mo in MONTHS)
    return (f'<figure class="heat"><figcaption>{html.escape(title)}</figcaption><table class="heatmap"><thead>'
            f"<tr><th>Year</th>{head}<th>Year</th></tr></thead><tbody>{''.join(out)}</tbody></table></figure>")


# --------------------------------------------------------------------------------------------
# charts


def _with_base(values: pd.Series, start: Any, base: float) -> pd.Series:
    return pd.concat([pd.Series([base], index=pd.DatetimeIndex([M._ts(start)])), values])


def charts(r: pd.Series, b: pd.Series | None, start: Any, names: tuple[str, str | None],
            periods: pd.DataFrame) -> dict[str, str]:
    """Section id -> its chart (or the heatmap table), plus "axes": the shared axis blocks the page
    writes once. ``r``/``b``: daily returns of the strategy and benchmark (None: no benchmark),
    ``start`` the base date, ``periods`` the strategy's drawdown periods (metrics_more)."""
    from r2k.reports import chart_svg as C

    def line(name, values, bench=False):
        if bench:
            return C.Series(name, np.asarray(values, dtype=float), BENCHMARK_COLOR, width=1.2, dash="5 3")
        return C.Series(name, np.asarray(values, dtype=float), STRATEGY_COLOR, width=1.4)

    sname, bname = names
    wealth = _with_base((1.0 + r).cumprod(), start, 1.0)
    dates = wealth.index
    bw = _with_base((1.0 + b).cumprod(), start, 1.0) if b is not None else None
    out = {}
    cum = [line(sname, wealth - 1.0)] + ([line(bname, bw - 1.0, True)] if bw is not None else [])
    out["axes"] = C.axis_block("ax-base", dates) + C.axis_block("ax-days", r.index)
    base, days = {"axis": "ax-base"}, {"axis": "ax-days"}
    out["returns"] = C.line_chart("returns", SECTIONS["returns"], dates, cum, fmt="pct", **base)
    grow = [line(sname, wealth)] + ([line(bname, bw, True)] if bw is not None else [])
    out["log_returns"] = C.line_chart("log_returns", SECTIONS["log_returns"] + " (growth of 1)", dates, grow,
                                      fmt="mult", log_option=True, log_default=True, include_zero=False, **base)
    if b is not None:
        sd_r, sd_b = float(r.std(ddof=1)), float(b.std(ddof=1))
        k = sd_b / sd_r if sd_r > 0 else 1.0
        matched = _with_base((1.0 + r * k).cumprod(), start, 1.0) - 1.0
        out["vol_returns"] = C.line_chart(
            "vol_returns", SECTIONS["vol_returns"] + f" ({sname} scaled by {k:.2f})", dates,
            [line(f"{sname} x {k:.2f}", matched), line(bname, bw - 1.0, True)], fmt="pct", **base)
    ys = M.calendar_year_returns(r)
    bars = [C.Series(sname, ys.to_numpy(dtype=float), STRATEGY_COLOR)]
    if b is not None:
        bars.append(C.Series(bname, M.calendar_year_returns(b).reindex(ys.index).to_numpy(dtype=float),
                             BENCHMARK_COLOR))
    out["eoy_returns"] = C.bar_chart("eoy_returns", SECTIONS["eoy_returns"], [str(y) for y in ys.index], bars)
    months = M.monthly_returns(r)
    bm = M.monthly_returns(b) if b is not None else None
    both = np.concatenate([months.to_numpy()] + ([bm.to_numpy()] if bm is not None else []))
    edges = np.linspace(float(both.min()), float(both.max()), 21) if both.size else np.linspace(-0.01, 0.01, 21)
    mids = [(a + z) / 2 for a, z in zip(edges[:-1], edges[1:], strict=True)]
    labels = [f"{100 * m + 0.0:.1f}%" if abs(m) >= 5e-4 else "0.0%" for m in mids]  # never "-0.0%"
    hist = [C.Series(sname, np.histogram(months.to_numpy(), edges)[0].astype(float), STRATEGY_COLOR)]
    if bm is not None:
        hist.append(C.Series(bname, np.histogram(bm.to_numpy(), edges)[0].astype(float), BENCHMARK_COLOR))
    out["monthly_dist"] = C.bar_chart("monthly_dist", SECTIONS["monthly_dist"] + " (count of months per bin)",
                                      labels, hist, fmt="count")
    out["daily_returns"] = C.line_chart("daily_returns", SECTIONS["daily_returns"], r.index, [line(sname, r)],
                                        fmt="pct", **days)
    half, full = X.YEAR // 2, X.YEAR
    if b is not None:
        out["rolling_beta"] = C.line_chart(
            "rolling_beta", SECTIONS["rolling_beta"] + " (6 and 12 months)", r.index,
            [line(f"{sname}, 6 months", X.rolling_beta(r, b, half)),
             C.Series(f"{sname}, 12 months", X.rolling_beta(r, b, full).to_numpy(dtype=float), "#ff7f0e", width=1.2)],
            fmt="num", **days)
    for key, fn, fmt in (("rolling_vol", X.rolling_volatility, "pct"), ("rolling_sharpe", X.rolling_sharpe, "num"),
                         ("rolling_sortino", X.rolling_sortino, "num")):
        lines = [line(sname, fn(r, half))] + ([line(bname, fn(b, half), True)] if b is not None else [])
        out[key] = C.line_chart(key, SECTIONS[key], r.index, lines, fmt=fmt, **days)
    worst = periods.head(5)
    bands = [(p.start, p.end if not pd.isna(p.end) else dates[-1]) for p in worst.itertuples()]
    out["dd_periods"] = C.line_chart("dd_periods", f"{sname}: {SECTIONS['dd_periods']} (shaded)", dates,
                                     [line(sname, wealth - 1.0)], fmt="pct", bands=bands, **base)
    under = _with_base(M.drawdown_series(r), start, 0.0)
    out["dd_plot"] = C.line_chart("dd_plot", SECTIONS["dd_plot"] + " (drawdown from the running peak)", dates,
                                  [line(sname, under)], fmt="pct", **base)
    out["monthly_heatmap"] = heatmap_table(r, f"{sname}: {SECTIONS['monthly_heatmap']}")
    groups = [(label, X.period_returns(r, p).to_numpy(dtype=float))
              for label, p in (("Daily", "day"), ("Weekly", "week"), ("Monthly", "month"), ("Quarterly", "quarter"),
                               ("Yearly", "year"))]
    out["returns_dist"] = C.box_chart("returns_dist", f"{sname}: {SECTIONS['returns_dist']}", groups, STRATEGY_COLOR)
    return out
