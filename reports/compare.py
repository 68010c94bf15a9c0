"""Several runs side by side over one common window: summary and annual tables, charts, index.html.

Pure functions. They take :class:`Member` objects that the runner has already put on one explicit
window and never load data or re-run anything. Every number comes from
:func:`r2k.reports.metrics.summarize` on each member's own series (quantstats' first-column date
matching, which trims every column to the first one's start, is never used).

Charts are inline SVG drawn by :mod:`r2k.reports.chart_svg` (growth with a log-scale switch,
drawdowns, rolling 12-month returns, annual returns as bars) with their numbers beside them, and
one small inline script (:mod:`r2k.reports.chart_interact`) adds hover values, legend toggles and
the scale switch; ``index.html`` needs nothing from the web: no external scripts, fonts, styles or
images. Lines that coincide are dashed and offset, and their legend says which they equal
(:mod:`r2k.reports.chart_rules`).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from r2k.reports import metrics as M

#: The summary's columns: the metrics.json keys, with the member's name first and the correlation last.
COLUMNS = ("name", *M.SUMMARY_KEYS, "correlation")

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
BENCH_COLOR = "#444444"
#: further benchmark rows (one per money plan in a compare): greys told apart from the first
BENCH_COLORS = (BENCH_COLOR, "#9a9a9a", "#000000", "#6b6b6b")


@dataclass
class Member:
    """One column of the comparison: a strategy's account history, or the benchmark's."""

    name: str
    returns: pd.Series  # daily time-weighted returns from the 2nd bar on
    equity: pd.DataFrame  # column ``value`` (dollars) from the first bar on, after that day's flow
    cashflows: pd.DataFrame  # date, amount: the initial cash first, then contributions
    benchmark: pd.Series | None = None  # benchmark returns on the same dates as ``returns``
    trades: pd.DataFrame | None = None
    link: str | None = None  # relative link to its tear sheet
    folder: str | None = None  # relative link to its run folder
    is_benchmark: bool = False
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    assumptions: dict[str, str] = field(default_factory=dict)
    rf: float | pd.Series = 0.0  # risk-free rate for Sharpe/Sortino, as in the member's run
    metrics: dict[str, Any] | None = None  # the member's own metrics.json (one metrics path for every view)

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.equity.index[0])

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.equity.index[-1])

    def money_in(self) -> pd.Series:
        """Cumulative dollars put in, on every equity date."""
        flows = pd.Series(self.cashflows["amount"].astype(float).to_numpy(),
                          index=pd.DatetimeIndex(pd.to_datetime(self.cashflows["date"])))
        daily = flows.groupby(level=0).sum().reindex(self.equity.index, fill_value=0.0)
        return daily.cumsum()


def benchmark_member(name: str, returns: pd.Series, start: pd.Timestamp, initial_cash: float,
                     rf: float | pd.Series = 0.0) -> Member:
    """The benchmark as a member: its time-weighted returns compounding ``initial_cash``, no contributions."""
    r = returns.astype(float)
    wealth = pd.concat([pd.Series([1.0], index=pd.DatetimeIndex([pd.Timestamp(start)])), (1.0 + r).cumprod()])
    equity = pd.DataFrame({"value": initial_cash * wealth})
    flows = pd.DataFrame({"date": [f"{pd.Timestamp(start):%Y-%m-%d}"], "amount": [float(initial_cash)]})
    return Member(name=name, returns=r, equity=equity, cashflows=flows, benchmark=r, is_benchmark=True, rf=rf)


# --------------------------------------------------------------------------------------------
# numbers


def member_metrics(m: Member, basis: M.Basis = "daily") -> dict[str, Any]:
    """summarize() of one member over its own (already windowed) series."""
    return M.summarize(
        m.returns, start=m.start, initial_cash=float(m.cashflows["amount"].iloc[0]),
        final_value=float(m.equity["value"].iloc[-1]), cashflows=m.cashflows,
        trades=None if m.is_benchmark else m.trades, equity=m.equity, basis=basis, rf=m.rf,
    )


def correlation(m: Member) -> float | None:
    """Pearson correlation of the member's daily returns with the benchmark's on the same dates."""
    if m.is_benchmark:
        return 1.0
    if m.benchmark is None:
        return None
    both = pd.concat([m.returns.rename("a"), m.benchmark.rename("b")], axis=1, join="inner").dropna()
    if len(both) < 3 or both["a"].std() == 0 or both["b"].std() == 0:
        return None
    return float(both["a"].corr(both["b"]))


def summary_frame(members: Iterable[Member], basis: M.Basis = "daily") -> pd.DataFrame:
    """One row per member: the metrics.json keys plus ``name`` and ``correlation`` (fractions)."""
    rows = []
    for m in members:
        row = {"name": m.name, **(m.metrics if m.metrics is not None else member_metrics(m, basis)),
               "correlation": correlation(m)}
        rows.append({c: row.get(c) for c in COLUMNS})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _christmas_closed(year: int) -> pd.Timestamp:
    day = pd.Timestamp(year, 12, 25)
    return day + pd.Timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))


def partial_years(start: pd.Timestamp, end: pd.Timestamp) -> dict[int, str]:
    """Years the window covers only in part, with what part (first year from the start close on)."""
    out: dict[int, str] = {start.year: f"from the close of {start:%Y-%m-%d}"}
    rest = pd.bdate_range(end + pd.Timedelta(days=1), pd.Timestamp(end.year, 12, 31))
    if len(rest.difference(pd.DatetimeIndex([_christmas_closed(end.year)]))):
        out[end.year] = (f"{start:%Y-%m-%d}..{end:%Y-%m-%d}" if end.year == start.year
                         else f"through {end:%Y-%m-%d}")
    return out


def annual_frame(members: Iterable[Member]) -> pd.DataFrame:
    """Calendar-year returns (fractions), one column per member, indexed by year."""
    cols = {m.name: M.calendar_year_returns(m.returns) for m in members}
    frame = pd.DataFrame(cols)
    frame.index.name = "year"
    return frame


def rolling_12m(returns: pd.Series) -> pd.Series:
    """Trailing 12-calendar-month compounded return at each month end (first 11 months dropped)."""
    monthly = M.monthly_returns(returns)
    out = np.expm1(np.log1p(monthly).rolling(12).sum())
    return out.dropna()


# --------------------------------------------------------------------------------------------
# charts


def _colors(members: list[Member]) -> list[str]:
    out, i, b = [], 0, 0
    for m in members:
        if m.is_benchmark:  # lump sum vs DCA has two benchmark rows: one grey each, not the same one twice
            out.append(BENCH_COLORS[b % len(BENCH_COLORS)])
            b += 1
        else:
            out.append(PALETTE[i % len(PALETTE)])
            i += 1
    return out


def _line(m: Member, values, color: str):
    """A member's line: the benchmark dashed and thinner, strategies solid and slightly see-through."""
    from r2k.reports.chart_svg import Series

    if m.is_benchmark:
        return Series(m.name, np.asarray(values, dtype=float), color, width=1.2, dash="5 3", opacity=0.9)
    return Series(m.name, np.asarray(values, dtype=float), color, width=1.5, opacity=0.85)


def _dates(members: list[Member]) -> pd.DatetimeIndex:
    idx = members[0].equity.index
    for m in members[1:]:
        idx = idx.union(m.equity.index)
    return pd.DatetimeIndex(idx)


def growth_chart(members: list[Member]) -> str:
    """Account value in dollars, with the money put in (cumulative contributions) drawn beside it;
    on a log axis when the balances span more than 10x (the page switches either way)."""
    from r2k.reports.chart_svg import Series, line_chart

    dates = _dates(members)
    colors = _colors(members)
    lines = [_line(m, m.equity["value"].reindex(dates), c) for m, c in zip(members, colors, strict=True)]
    groups: dict[tuple, list[int]] = {}
    for i, m in enumerate(members):
        groups.setdefault(tuple(m.money_in().round(6).items()), []).append(i)
    for idx in groups.values():
        m = members[idx[0]]
        names = ", ".join(members[i].name for i in idx)
        lines.append(Series(f"money put in ({names})", m.money_in().reindex(dates).to_numpy(dtype=float),
                            colors[idx[0]], width=1.0, dash="1.5 2.5", step=True, opacity=0.9))
    balances = [ln.values for ln in lines[:len(members)]]
    from r2k.reports.chart_rules import default_log

    return line_chart("growth", "Growth of the account (dollars) and the money put in", dates, lines, fmt="money",
                      log_option=True, log_default=default_log(balances))


def drawdown_chart(members: list[Member]) -> str:
    """Drawdown of each member's time-weighted wealth from its running peak (percent)."""
    from r2k.reports.chart_svg import line_chart

    dates = _dates(members)
    lines = []
    for m, c in zip(members, _colors(members), strict=True):
        dd = pd.concat([pd.Series([0.0], index=[m.start]), M.drawdown_series(m.returns)])
        lines.append(_line(m, dd.reindex(dates).to_numpy(dtype=float), c))
    return line_chart("drawdown", "Drawdown (time-weighted, from the running peak)", dates, lines, fmt="pct")


def rolling_chart(members: list[Member]) -> str:
    """Trailing 12-month time-weighted returns at each month end (percent)."""
    from r2k.reports.chart_svg import line_chart

    rolls = [rolling_12m(m.returns) for m in members]
    dates = pd.DatetimeIndex(sorted(set().union(*(r.index for r in rolls))))
    if len(dates) < 2:
        return ""
    lines = [_line(m, r.reindex(dates).to_numpy(dtype=float), c)
             for m, r, c in zip(members, rolls, _colors(members), strict=True)]
    return line_chart("rolling", "Rolling 12-month return (time-weighted, at month ends)", dates, lines, fmt="pct")


def annual_chart(members: list[Member], annual: pd.DataFrame, partial: dict[int, str]) -> str:
    """Calendar-year returns as grouped bars (the annual table, drawn); partial years marked *."""
    from r2k.reports.chart_svg import Series, bar_chart

    labels = [str(y) for y in annual.index]
    series = [Series(m.name, annual[m.name].to_numpy(dtype=float), c)
              for m, c in zip(members, _colors(members), strict=True)]
    return bar_chart("annual-bars", "Annual returns (time-weighted; * partial year)", labels, series,
                     partial={str(y) for y in partial})


# --------------------------------------------------------------------------------------------
# HTML


def _money(v: Any) -> str:
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"${v:,.2f}"


def _pct(v: Any) -> str:
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{100 * v:.2f}%"


def _num(v: Any) -> str:
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.2f}"


def _na(v: Any) -> Any:
    """NaN (from a DataFrame cell) as None."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _plain(v: Any) -> Any:
    """A JSON-ready scalar: NaN/inf as None, numpy numbers as Python ones."""
    if v is None:
        return None
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if math.isfinite(v) else None
    return v


BASIS_WORDS = {
    "daily": "daily returns, annualised with &radic;252 (as quantstats)",
    "monthly": "calendar-month returns, annualised with &radic;12 (as Portfolio Visualizer)",
}

CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;
padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:3px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{padding:4px 8px;border-bottom:1px solid #e5e5e5}
th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.bench td{color:#555;font-style:italic}.d{white-space:nowrap}.note{color:#666;font-size:12px}ul.warn li{color:#8a4b00}
figure{margin:12px 0}figure svg{width:100%;height:auto;display:block}
"""


def _summary_html(summary: pd.DataFrame, members: list[Member], basis: str) -> str:
    head = ["Name", "Initial balance", "Contributed", "Final balance", "CAGR (time-weighted)", "XIRR (money-weighted)",
            f"Stdev (annualised, {basis})", "Sharpe", "Sortino", "Max drawdown", "Max drawdown peak &rarr; trough",
            "Best year", "Worst year", "Correlation to benchmark", "Tear sheet"]
    rows = []
    for m, (_, r) in zip(members, summary.iterrows(), strict=True):
        peak, trough = _na(r["max_drawdown_start"]), _na(r["max_drawdown_end"])
        link = f'<a class="d" href="{html.escape(m.link)}">tear sheet</a>' if m.link else "-"
        cells = [
            html.escape(m.name), _money(_na(r["initial_cash"])), _money(_na(r["contributed"])),
            _money(_na(r["final_value"])), _pct(_na(r["cagr"])), _pct(_na(r["xirr"])), _pct(_na(r["volatility"])),
            _num(_na(r["sharpe"])), _num(_na(r["sortino"])), _pct(_na(r["max_drawdown"])),
            f'<span class="d">{peak}</span><br><span class="d">&rarr; {trough}</span>' if peak else "-",
            _pct(_na(r["best_year"])), _pct(_na(r["worst_year"])),
            _num(_na(r["correlation"])), link,
        ]
        cls = ' class="bench"' if m.is_benchmark else ""
        tds = "".join(f"<td>{c}</td>" if i in (0, 10, 14) else f'<td class="n">{c}</td>' for i, c in enumerate(cells))
        rows.append(f"<tr{cls}>{tds}</tr>")
    ths = "".join(f"<th>{h}</th>" for h in head)
    return f'<table id="summary"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _annual_html(annual: pd.DataFrame, partial: dict[int, str]) -> str:
    ths = "".join(f"<th>{html.escape(str(c))}</th>" for c in annual.columns)
    rows = []
    for year, row in annual.iterrows():
        mark = "*" if year in partial else ""
        tds = "".join(f'<td class="n">{_pct(_na(v))}</td>' for v in row.to_list())
        rows.append(f"<tr><td>{year}{mark}</td>{tds}</tr>")
    notes = "; ".join(f"{y}: {w}" for y, w in sorted(partial.items()))
    return (f'<table id="annual"><thead><tr><th>Year</th>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<p class="note">* partial year ({html.escape(notes)}), not annualised.</p>')


def _assumptions_html(members: list[Member], basis: str, bench_note: str | None) -> str:
    strategies = [m for m in members if not m.is_benchmark]
    keys = list(dict.fromkeys(k for m in strategies for k in m.assumptions))
    items = []
    for k in keys:
        vals = {m.name: m.assumptions.get(k, "-") for m in strategies}
        if len(set(vals.values())) == 1:
            items.append(f"<li><b>{html.escape(k)}</b>: {html.escape(next(iter(vals.values())))}</li>")
        else:
            per = "; ".join(f"{html.escape(n)}: {html.escape(v)}" for n, v in vals.items())
            items.append(f"<li><b>{html.escape(k)}</b> (differs): {per}</li>")
    items.append(f"<li><b>stats basis</b>: {basis}. Annualised stdev, Sharpe and Sortino (risk-free rate "
                 f"{html.escape(rf_words(members))}) use "
                 f"{BASIS_WORDS[basis]}; every other number is the same on either basis.</li>")
    items.append("<li><b>CAGR</b> is time-weighted (a contribution is never a gain) over calendar days / 365.25; "
                 "<b>XIRR</b> is the money-weighted return of the cash flows and the final balance (runs with "
                 "contributions only). Max drawdown dates are the peak and the trough.</li>")
    if bench_note:
        items.append(f"<li><b>benchmark row</b>: {html.escape(bench_note)}</li>")
    strat = "".join(
        f"<li><b>{html.escape(m.name)}</b>: {html.escape(m.description)}"
        + (f" <span class=\"note\">params {html.escape(json.dumps(m.params, default=str))}</span>" if m.params else "")
        + "</li>"
        for m in strategies
    )
    return f'<ul id="assumptions">{"".join(items)}</ul><h3>Strategies</h3><ul>{strat}</ul>'


def rf_words(members: list[Member]) -> str:
    """The risk-free rate the Sharpe/Sortino columns used, in words."""
    rf = members[0].rf if members else 0.0
    if isinstance(rf, pd.Series):
        return "the daily fed funds rate (DFF)"
    return f"{100 * float(rf):g}% a year"


def render_html(*, title: str, members: list[Member], summary: pd.DataFrame, annual: pd.DataFrame,
                charts: dict[str, str], window: tuple[pd.Timestamp, pd.Timestamp], basis: str,
                warnings: list[str], bench_note: str | None, sections: list[str] = ()) -> str:
    """The self-contained comparison page (no external resources); ``sections`` are optional
    ready-made ``<section>`` blocks (every start date, simulated paths) placed after the charts."""
    start, end = window
    warn_html = ("<ul class=\"warn\">" + "".join(f"<li>{html.escape(w)}</li>" for w in warnings) + "</ul>") if warnings else ""
    links = "".join(
        f"<li>{html.escape(m.name)}: "
        + (f'<a href="{html.escape(m.link)}">tear sheet</a>' if m.link else "no tear sheet (--no-tearsheet)")
        + (f' &middot; <a href="{html.escape(m.folder)}">run folder</a>' if m.folder else "") + "</li>"
        for m in members if not m.is_benchmark)
    created = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    from r2k.reports import chart_interact

    annual_bars = charts.get("annual-bars", "")
    figs = "".join(v for k, v in charts.items() if k != "annual-bars")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}{chart_interact.CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p id="window">Common window: <b>{start:%Y-%m-%d}</b> to <b>{end:%Y-%m-%d}</b>. Every row below covers exactly
this window (no series was trimmed to another's dates). Stats basis: <b>{basis}</b>.</p>
{warn_html}
<h2>Summary</h2>
{_summary_html(summary, members, basis)}
<p class="note">Stdev, Sharpe and Sortino from {BASIS_WORDS[basis]}; risk-free rate {html.escape(rf_words(members))}.</p>
<h2>Annual returns (time-weighted)</h2>
{_annual_html(annual, partial_years(start, end))}
{annual_bars}
<h2>Charts</h2>
<p class="note">Hover a chart for the values on that day; click a legend entry to hide or show it.</p>
{figs}
{"".join(sections)}
<h2>Tear sheets and run folders</h2>
<ul id="tearsheets">{links}</ul>
<h2>Assumptions</h2>
{_assumptions_html(members, basis, bench_note)}
<p class="note">Written by r2k on {created}.</p>
{chart_interact.script_tag()}
</body></html>
"""


def write(folder: Path, members: list[Member], *, title: str, basis: M.Basis, window: tuple[pd.Timestamp, pd.Timestamp],
          warnings: list[str], bench_note: str | None, extra: dict | None = None,
          sections: list[str] = ()) -> pd.DataFrame:
    """Write index.html, summary.csv, summary.json and annual.csv into ``folder``; return the summary."""
    summary = summary_frame(members, basis)
    annual = annual_frame(members)
    charts = {"growth": growth_chart(members), "drawdown": drawdown_chart(members), "rolling": rolling_chart(members),
              "annual-bars": annual_chart(members, annual, partial_years(*window))}
    page = render_html(title=title, members=members, summary=summary, annual=annual, charts=charts, window=window,
                       basis=basis, warnings=warnings, bench_note=bench_note, sections=sections)
    (folder / "index.html").write_text(page, encoding="utf-8")
    summary.to_csv(folder / "summary.csv", index=False)
    annual.to_csv(folder / "annual.csv")
    rows = [{k: _plain(v) for k, v in row.items()} for row in summary.to_dict("records")]
    doc = {"window": {"start": f"{window[0]:%Y-%m-%d}", "end": f"{window[1]:%Y-%m-%d}"}, "stats_basis": basis,
           "warnings": warnings, "benchmark_note": bench_note, **(extra or {}), "rows": rows}
    (folder / "summary.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return summary
