"""A run's HTML tear sheet, drawn by r2k itself: every number from r2k's metrics, every chart inline SVG.

It has every section quantstats 0.0.86's tear sheet had (listed in SECTIONS; the page keeps their
element ids): the key performance metrics, end-of-year returns against the benchmark, the ten worst
drawdowns, and fourteen charts (cumulative returns, the same on a log axis and volatility-matched,
yearly returns, the distribution of monthly returns, daily returns, rolling beta, volatility,
Sharpe and Sortino, the five worst drawdown periods, the underwater curve, the monthly returns
heatmap, return quantiles).

Why not quantstats any more: it recomputed what reports.metrics already knows with other
conventions (252-day years, summed months, a drawdown that starts the day after the peak), and
its import (1.5 s), metrics table (~3 s) and matplotlib figures (~4 s, the heatmap alone 2 s)
were most of a run's time. Here the metrics are reports.metrics and reports.metrics_more, the
charts reports.chart_svg (the compare page's drawing, with its hover values and legend toggles),
and the monthly heatmap a plain HTML table with coloured cells: the same months, the same
numbers, and nothing imported that the page does not use (no matplotlib, no scipy).
"""

from __future__ import annotations

import html
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from r2k.reports import metrics as M
from r2k.reports import metrics_more as X
from r2k.reports.tearsheet_charts import SECTIONS
from r2k.reports.tearsheet_charts import charts as draw

#: Rows r2k's summary also shows: ``own`` (metrics.json's text) replaces the page's own computation
#: for these, so that a ``--stats monthly`` run says on its tear sheet what its summary says.
OWN_ROWS = ("Risk-Free Rate", "Time in Market", "Cumulative Return", "CAGR%", "Sharpe", "Sortino",
            "Volatility (ann.)", "Max Drawdown", "Max DD Date", "Max DD Period Start", "Max DD Period End")

#: The metrics table: (row label, kind) in order; None draws a separator. Kinds format the value.
ROWS: tuple = (
    ("Risk-Free Rate", "text"), ("Time in Market", "pct"), None,
    ("Cumulative Return", "pct"), ("CAGR%", "pct"), None,
    ("Sharpe", "num"), ("Prob. Sharpe Ratio", "pct"), ("Smart Sharpe", "num"), ("Sortino", "num"),
    ("Smart Sortino", "num"), ("Sortino/√2", "num"), ("Smart Sortino/√2", "num"), ("Omega", "num"), None,
    ("Max Drawdown", "pct"), ("Max DD Date", "text"), ("Max DD Period Start", "text"), ("Max DD Period End", "text"),
    ("Longest DD Days", "int"), ("Volatility (ann.)", "pct"), ("R^2", "num"), ("Information Ratio", "num"),
    ("Calmar", "num"), ("Skew", "num"), ("Kurtosis", "num"), ("Ulcer Performance Index", "num"),
    ("Risk-Adjusted Return", "pct"), ("Risk-Return Ratio", "num"), None,
    ("Avg. Return", "pct"), ("Avg. Win", "pct"), ("Avg. Loss", "pct"), ("Win/Loss Ratio", "num"),
    ("Profit Ratio", "num"), None,
    ("Expected Daily", "pct"), ("Expected Monthly", "pct"), ("Expected Yearly", "pct"), ("Kelly Criterion", "pct"),
    ("Risk of Ruin", "pct"), ("Daily Value-at-Risk", "pct"), ("Expected Shortfall (cVaR)", "pct"), None,
    ("Max Consecutive Wins", "int"), ("Max Consecutive Losses", "int"), ("Gain/Pain Ratio", "num"),
    ("Gain/Pain (1M)", "num"), None,
    ("Payoff Ratio", "num"), ("Profit Factor", "num"), ("Common Sense Ratio", "num"), ("CPC Index", "num"),
    ("Tail Ratio", "num"), ("Outlier Win Ratio", "num"), ("Outlier Loss Ratio", "num"), None,
    ("MTD", "pct"), ("3M", "pct"), ("6M", "pct"), ("YTD", "pct"), ("1Y", "pct"), ("3Y (ann.)", "pct"),
    ("5Y (ann.)", "pct"), ("10Y (ann.)", "pct"), ("All-time (ann.)", "pct"), None,
    ("Best Day", "pct"), ("Worst Day", "pct"), ("Best Month", "pct"), ("Worst Month", "pct"), ("Best Year", "pct"),
    ("Worst Year", "pct"), None,
    ("Avg. Drawdown", "pct"), ("Avg. Drawdown Days", "int"), ("Recovery Factor", "num"), ("Ulcer Index", "num"),
    ("Serenity Index", "num"), None,
    ("Avg. Up Month", "pct"), ("Avg. Down Month", "pct"), ("Win Days", "pct"), ("Win Month", "pct"),
    ("Win Quarter", "pct"), ("Win Year", "pct"), None,
    ("Beta", "num"), ("Alpha", "num"), ("Correlation", "pct"), ("Treynor Ratio", "num"),
)


def _fmt(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if kind == "pct":
        return f"{100 * value:.2f}%"
    if kind == "num":
        return f"{value:.2f}"
    if kind == "int":
        return f"{int(round(value))}"
    if isinstance(value, pd.Timestamp):
        return "-" if pd.isna(value) else f"{value:%Y-%m-%d}"
    return str(value)


def _pct(x) -> str:
    return _fmt(x, "pct")


def _num(x) -> str:
    return _fmt(x, "num")


def metric_values(returns: pd.Series, start: Any, rf: float | pd.Series = 0.0, benchmark: pd.Series | None = None,
                  exposure: float | None = None) -> dict[str, Any]:
    """Row label -> value (fractions, floats, dates) of one column of the metrics table."""
    r = M._clean(returns)
    dd = M.max_drawdown(r, start)
    periods = X.drawdown_periods(r, start)
    sortino, smart_sortino = M.sortino(r, rf), X.smart_sortino(r, rf)
    months, years = X.period_returns(r, "month"), X.period_returns(r, "year")
    t = X.trailing(r, start)
    out = {
        "Risk-Free Rate": "DFF (daily)" if isinstance(rf, pd.Series) else f"{100 * float(rf):g}%",
        "Time in Market": exposure, "Cumulative Return": M.total_return(r), "CAGR%": M.cagr(r, start),
        "Sharpe": M.sharpe(r, rf), "Prob. Sharpe Ratio": X.prob_sharpe(r, rf), "Smart Sharpe": X.smart_sharpe(r, rf),
        "Sortino": sortino, "Smart Sortino": smart_sortino, "Sortino/√2": sortino / math.sqrt(2),
        "Smart Sortino/√2": smart_sortino / math.sqrt(2), "Omega": X.omega(r, rf),
        "Max Drawdown": dd[0], "Max DD Date": dd[2], "Max DD Period Start": dd[1], "Max DD Period End": dd[3],
        "Longest DD Days": float(periods["days"].max()) if len(periods) else None,
        "Volatility (ann.)": M.volatility(r), "Calmar": X.calmar(r, start), "Skew": X.skew(r),
        "Kurtosis": X.kurtosis(r), "Ulcer Performance Index": X.ulcer_performance(r, start, rf),
        "Risk-Adjusted Return": X.risk_adjusted_return(r, start, exposure), "Risk-Return Ratio": X.risk_return_ratio(r),
        "Avg. Return": X.avg_return(r), "Avg. Win": X.avg_win(r), "Avg. Loss": X.avg_loss(r),
        "Win/Loss Ratio": X.payoff_ratio(r), "Profit Ratio": X.profit_ratio(r),
        "Expected Daily": X.expected_return(r, "day"), "Expected Monthly": X.expected_return(r, "month"),
        "Expected Yearly": X.expected_return(r, "year"), "Kelly Criterion": X.kelly(r),
        "Risk of Ruin": X.risk_of_ruin(r), "Daily Value-at-Risk": X.value_at_risk(r),
        "Expected Shortfall (cVaR)": X.expected_shortfall(r),
        "Max Consecutive Wins": X.longest_streak(r, True), "Max Consecutive Losses": X.longest_streak(r, False),
        "Gain/Pain Ratio": X.gain_to_pain(r, "day"), "Gain/Pain (1M)": X.gain_to_pain(r, "month"),
        "Payoff Ratio": X.payoff_ratio(r), "Profit Factor": X.profit_factor(r),
        "Common Sense Ratio": X.common_sense_ratio(r), "CPC Index": X.cpc_index(r), "Tail Ratio": X.tail_ratio(r),
        "Outlier Win Ratio": X.outlier_win_ratio(r), "Outlier Loss Ratio": X.outlier_loss_ratio(r),
        "MTD": t.get("MTD"), "3M": t.get("3M"), "6M": t.get("6M"), "YTD": t.get("YTD"), "1Y": t.get("1Y"),
        "3Y (ann.)": t.get("3Y"), "5Y (ann.)": t.get("5Y"), "10Y (ann.)": t.get("10Y"),
        "All-time (ann.)": t.get("All"),
        "Best Day": float(r.max()) if len(r) else None, "Worst Day": float(r.min()) if len(r) else None,
        "Best Month": float(months.max()) if len(months) else None,
        "Worst Month": float(months.min()) if len(months) else None,
        "Best Year": float(years.max()) if len(years) else None, "Worst Year": float(years.min()) if len(years) else None,
        "Avg. Drawdown": float(periods["depth"].mean()) if len(periods) else None,
        "Avg. Drawdown Days": float(periods["days"].mean()) if len(periods) else None,
        "Recovery Factor": X.recovery_factor(r, start), "Ulcer Index": X.ulcer_index(r, start),
        "Serenity Index": X.serenity_index(r, start, rf),
        "Avg. Up Month": X.avg_win(r, "month"), "Avg. Down Month": X.avg_loss(r, "month"),
        "Win Days": X.win_rate(r, "day"), "Win Month": X.win_rate(r, "month"), "Win Quarter": X.win_rate(r, "quarter"),
        "Win Year": X.win_rate(r, "year"),
    }
    if benchmark is not None:
        out.update({"R^2": X.r_squared(r, benchmark), "Information Ratio": X.information_ratio(r, benchmark),
                    "Beta": X.beta(r, benchmark), "Alpha": X.alpha(r, benchmark),
                    "Correlation": X.correlation(r, benchmark), "Treynor Ratio": X.treynor(r, benchmark, start, rf)})
    return out


def own_cells(metrics: dict, returns: pd.Series, rf_text: str) -> dict[str, str]:
    """Row label -> the summary's text for the rows it shares with the page (``metrics``: metrics.json)."""
    recovery = M.max_drawdown(returns, metrics["start"])[3] if len(returns) else None
    return {
        "Risk-Free Rate": rf_text,
        "Time in Market": _pct(metrics.get("exposure")),
        "Cumulative Return": _pct(metrics.get("total_return")),
        "CAGR%": _pct(metrics.get("cagr")),
        "Sharpe": _num(metrics.get("sharpe")),
        "Sortino": _num(metrics.get("sortino")),
        "Volatility (ann.)": _pct(metrics.get("volatility")),
        "Max Drawdown": _pct(metrics.get("max_drawdown")),
        "Max DD Date": metrics.get("max_drawdown_end") or "-",
        "Max DD Period Start": metrics.get("max_drawdown_start") or "-",
        "Max DD Period End": f"{recovery:%Y-%m-%d}" if recovery is not None else "-",
    }


def own_numbers(result) -> dict:
    """``render``'s keyword arguments for a finished Result (duck-typed): the run's risk-free rate,
    base date and time in market, the summary's own texts, and the note saying how numbers are made."""
    rf = getattr(result, "rf", 0.0)
    rf_text = "DFF (daily)" if isinstance(rf, pd.Series) else f"{100 * float(rf):g}%"
    name = result.label or result.spec.strategy
    own = {name: own_cells(result.metrics, result.returns, rf_text)}
    exposure = {name: result.metrics.get("exposure")}
    bench_title = result.benchmark_label() if hasattr(result, "benchmark_label") else None
    if result.benchmark is not None and result.benchmark_metrics and bench_title:
        own[bench_title] = own_cells(result.benchmark_metrics, result.benchmark, rf_text)
        exposure[bench_title] = result.benchmark_metrics.get("exposure")
    basis = result.metrics.get("stats_basis", "daily")
    return {"own": own, "rf": rf, "start": result.start, "exposure": exposure, "numbers_note": numbers_note(basis)}


def numbers_note(basis: str = "daily", extra: str = "") -> str:
    """What the page's numbers are (the "numbers" line under the title)."""
    return ("every number on this page is r2k's own (reports.metrics and reports.metrics_more, formulas in their "
            f"docstrings); the rows the summary also shows are metrics.json's ({basis} returns), the others use the "
            "daily returns: CAGR over calendar days / 365.25, months, quarters and years compounded from the days, "
            "Sharpe, Sortino and their variants with the run's risk-free rate, drawdowns from the peak (their dates "
            "peak, trough and recovery), time in market from the positions (days holding anything but cash), rolling "
            "charts over 126 and 252 trading days" + (f"; {extra}" if extra else ""))


# --------------------------------------------------------------------------------------------
# tables


def _metrics_table(cols: list[tuple[str, dict[str, Any]]], own: dict[str, dict[str, str]]) -> str:
    head = "".join(f"<th>{html.escape(t)}</th>" for t, _ in cols)
    body = []
    for row in ROWS:
        if row is None:
            body.append(f'<tr><td colspan="{len(cols) + 1}"><hr></td></tr>')
            continue
        label, kind = row
        cells = []
        for title, values in cols:
            text = own.get(title, {}).get(label) if label in OWN_ROWS else None
            cells.append(text if text is not None else _fmt(values.get(label), kind))
        body.append(f"<tr><td>{html.escape(label)}</td>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
                    + "</tr>")
    return f"<table><thead><tr><th>Metric</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _eoy_table(r: pd.Series, b: pd.Series | None, names: tuple[str, str | None]) -> str:
    ys = M.calendar_year_returns(r)
    if b is None:
        cum = (1.0 + ys).cumprod() - 1.0
        rows = "".join(f"<tr><td>{y}</td><td>{_pct(v)}</td><td>{_pct(cum[y])}</td></tr>" for y, v in ys.items())
        return ("<h3>EOY Returns</h3><table><thead><tr><th>Year</th><th>Return</th><th>Cumulative</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")
    yb = M.calendar_year_returns(b).reindex(ys.index)
    rows = []
    for y, v in ys.items():
        bv = yb[y]
        mult = v / bv if bv else math.nan
        rows.append(f"<tr><td>{y}</td><td>{_pct(bv)}</td><td>{_pct(v)}</td><td>{_num(mult)}</td>"
                    f"<td>{'+' if v > bv else '-'}</td></tr>")
    return (f"<h3>{SECTIONS['eoy']}</h3><table><thead><tr><th>Year</th><th>{html.escape(names[1] or '')}</th>"
            f"<th>{html.escape(names[0])}</th><th>Multiplier</th><th>Won</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _dd_table(periods: pd.DataFrame) -> str:
    rows = "".join(f"<tr><td>{p.start:%Y-%m-%d}</td><td>{_fmt(p.end, 'text') if not pd.isna(p.end) else 'not yet'}"
                   f"</td><td>{_pct(p.depth)}</td><td>{p.days}</td></tr>" for p in periods.head(10).itertuples())
    return (f"<h3>{SECTIONS['ddinfo']}</h3><table><thead><tr><th>Started (peak)</th><th>Recovered</th>"
            f"<th>Drawdown</th><th>Days</th></tr></thead><tbody>{rows}</tbody></table>")


CSS = """
body{font:13px/1.4 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:30px;color:#000;background:#fff}
.container{max-width:1200px;margin:auto}h1{font-size:22px;font-weight:400;margin:0}h1 dt{display:inline;
margin-left:10px;font-size:14px}h3{margin:0 0 10px;font-weight:700}h4{color:grey;font-weight:400;margin:4px 0}
hr{margin:25px 0;height:0;border:0;border-top:1px solid #ccc}#left{width:64%;float:left;margin-right:2%}
#right{width:34%;float:right}table{margin:0 0 30px;border:0;border-spacing:0;width:100%}
table td,table th{text-align:right;padding:3px 5px}table td:first-of-type,table th:first-of-type{text-align:left}
table thead th{font-weight:700;background:#eee}td hr{margin:4px 0}.r2k-assumptions{margin:0 0 20px}
table.heatmap{font-size:11px;table-layout:fixed}table.heatmap td,table.heatmap th{text-align:center;padding:3px 1px}
table.heatmap td.yr{font-weight:700}figure.heat{margin:14px 0}figure.heat figcaption{font-weight:600;font-size:14px;
margin-bottom:4px}.clear{clear:both}
"""


def render(returns: pd.Series, path: Path, title: str, benchmark: pd.Series | None = None,
           assumptions: dict[str, str] | None = None, strategy_title: str | None = None,
           benchmark_title: str | None = None, own: dict[str, dict[str, str]] | None = None,
           rf: float | pd.Series = 0.0, numbers_note: str | None = None, start: Any = None,
           exposure: dict[str, float | None] | None = None) -> Path:
    """Write a tear sheet for daily ``returns`` (optionally against ``benchmark``) to ``path``.

    ``start`` is the run's base date (the close before the first return; default: the first
    return's date minus one day). ``strategy_title`` / ``benchmark_title`` name the two columns and
    lines. ``assumptions`` (fill timing, price basis, costs, ...) are listed under the title with
    ``numbers_note``. ``own`` (column title -> row label -> text, see ``own_numbers``) gives the
    summary's text for the rows it shares (OWN_ROWS); ``rf`` is the run's risk-free rate (annual
    float or daily Series); ``exposure`` each column's time in market (None: not known).
    """
    r = M._clean(returns.astype("float64"))
    r.index = pd.DatetimeIndex(r.index).tz_localize(None)
    if r.empty:
        raise ValueError("a tear sheet needs at least one return")
    start = M._ts(start) if start is not None else r.index[0] - pd.Timedelta(days=1)
    sname = strategy_title or (returns.name if isinstance(returns.name, str) else None) or "Strategy"
    b = None
    bname = None
    if benchmark is not None:
        b = benchmark.reindex(r.index).fillna(0.0).astype("float64")
        bname = benchmark_title or (benchmark.name if isinstance(benchmark.name, str) else None) or "Benchmark"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a short or flat run: "-" cells, not warnings
        page = _page(r, b, start, title, (sname, bname), assumptions, own or {}, rf, numbers_note, exposure or {})
    Path(path).write_text(page, encoding="utf-8")
    return Path(path)


def _page(r: pd.Series, b: pd.Series | None, start: pd.Timestamp, title: str, names: tuple[str, str | None],
          assumptions: dict[str, str] | None, own: dict, rf, numbers_note: str | None, exposure: dict) -> str:
    from r2k.reports import chart_interact

    sname, bname = names
    cols = []
    if b is not None:
        cols.append((bname, metric_values(b, start, rf, None, exposure.get(bname))))
    cols.append((sname, metric_values(r, start, rf, b, exposure.get(sname))))
    periods = X.drawdown_periods(r, start)
    charts = draw(r, b, start, (sname, bname), periods)
    left = "".join(f'<div id="{k}">{charts[k]}</div>' for k in SECTIONS if k in charts)
    eoy = _eoy_table(r, b, (sname, bname))
    rf_words = "DFF (daily)" if isinstance(rf, pd.Series) else f"{100 * float(rf):g}%"
    params = " &bull; ".join(p for p in (f"Benchmark: {html.escape(bname)}" if bname else "",
                                         "Periods/Year: 252 (rolling windows, annualised volatility)",
                                         f"RF: {html.escape(rf_words)}") if p)
    notes = {**(assumptions or {}), **({"numbers": numbers_note} if numbers_note else {})}
    items = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in notes.items())
    block = f'<div class="r2k-assumptions"><b>How these numbers were made</b><ul>{items}</ul></div>' if items else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}{chart_interact.CSS}</style></head>
<body><div class="container">
<h1>{html.escape(title)} <dt>{r.index[0]:%d %b, %Y} - {r.index[-1]:%d %b, %Y}</dt></h1>
<h4>{params} | Generated by r2k (hover a chart for its values, click a legend entry to hide a line)</h4>
<hr>{block}
<div id="left">{left}</div>
<div id="right"><div id="metrics"><h3>{SECTIONS["metrics"]}</h3>{_metrics_table(cols, own)}</div>
<div id="eoy">{eoy}</div>
<div id="ddinfo">{_dd_table(periods)}</div></div>
<div class="clear"></div></div>
{charts["axes"]}
{chart_interact.script_tag()}
</body></html>
"""
