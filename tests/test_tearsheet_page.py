"""The tear sheet r2k draws itself keeps every section and row quantstats' page had, and its tables
and charts hold the run's numbers: checked against returns.csv with plain Python, not our output."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from r2k.reports import tearsheet
from tests.util import invoke, put_prices, random_walk

#: The metrics rows of quantstats 0.0.86's tear sheet for one strategy against a benchmark (the page
#: before issue 18; "CAGR﹪" written "CAGR%"), in its order.
QUANTSTATS_ROWS = [
    "Risk-Free Rate", "Time in Market", "Cumulative Return", "CAGR%", "Sharpe", "Prob. Sharpe Ratio", "Smart Sharpe",
    "Sortino", "Smart Sortino", "Sortino/√2", "Smart Sortino/√2", "Omega", "Max Drawdown", "Max DD Date",
    "Max DD Period Start", "Max DD Period End", "Longest DD Days", "Volatility (ann.)", "R^2", "Information Ratio",
    "Calmar", "Skew", "Kurtosis", "Ulcer Performance Index", "Risk-Adjusted Return", "Risk-Return Ratio",
    "Avg. Return", "Avg. Win", "Avg. Loss", "Win/Loss Ratio", "Profit Ratio", "Expected Daily", "Expected Monthly",
    "Expected Yearly", "Kelly Criterion", "Risk of Ruin", "Daily Value-at-Risk", "Expected Shortfall (cVaR)",
    "Max Consecutive Wins", "Max Consecutive Losses", "Gain/Pain Ratio", "Gain/Pain (1M)", "Payoff Ratio",
    "Profit Factor", "Common Sense Ratio", "CPC Index", "Tail Ratio", "Outlier Win Ratio", "Outlier Loss Ratio",
    "MTD", "3M", "6M", "YTD", "1Y", "3Y (ann.)", "5Y (ann.)", "10Y (ann.)", "All-time (ann.)", "Best Day",
    "Worst Day", "Best Month", "Worst Month", "Best Year", "Worst Year", "Avg. Drawdown", "Avg. Drawdown Days",
    "Recovery Factor", "Ulcer Index", "Serenity Index", "Avg. Up Month", "Avg. Down Month", "Win Days", "Win Month",
    "Win Quarter", "Win Year", "Beta", "Alpha", "Correlation", "Treynor Ratio",
]
#: quantstats' page: its fourteen charts and three tables, by the ids its template gave them.
QUANTSTATS_SECTIONS = ["returns", "log_returns", "vol_returns", "eoy_returns", "monthly_dist", "daily_returns",
                       "rolling_beta", "rolling_vol", "rolling_sharpe", "rolling_sortino", "dd_periods", "dd_plot",
                       "monthly_heatmap", "returns_dist", "eoy", "ddinfo"]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    from r2k.data.store import Meta, Store

    tmp = tmp_path_factory.mktemp("ts")
    st = Store(tmp / "home")
    put_prices(st, "IWM", random_walk(900, seed=5, start="2018-03-01", vol=0.018))
    put_prices(st, "SPY", random_walk(900, seed=6, start="2018-03-01"))
    days = pd.date_range("2018-01-01", "2022-12-31", freq="D", name="date").astype("datetime64[ns]")
    meta = Meta(name="DFF", kind="series", source="csv:test", fetched_at="2025-01-01T00:00:00+00:00", adjustment="",
                start="", end="", rows=0, sha256="")
    st.write("series", "DFF", pd.Series(1.5, index=days, name="DFF"), meta)  # what CASH earns
    out = tmp / "run"
    res = invoke("run", "trend-filter", "--symbol", "IWM", "-p", "window=40", "--offline", "--out", out,
                 env={"R2K_HOME": str(st.root)})
    assert res.exit_code == 0, res.output
    return out


def _page(folder) -> str:
    return (folder / "tearsheet.html").read_text(encoding="utf-8")


def _returns(folder) -> pd.Series:
    return pd.read_csv(folder / "returns.csv", index_col="date", parse_dates=True).iloc[:, 0]


def test_every_section_and_metrics_row_is_there(run_folder):
    page = _page(run_folder)
    for sid in QUANTSTATS_SECTIONS + ["metrics"]:
        assert f'<div id="{sid}">' in page, sid
    for heading in tearsheet.SECTIONS.values():
        assert html.escape(heading) in page, heading
    table = page[page.find('<div id="metrics">'):]
    table = table[: table.find("</table>")]
    labels = [html.unescape(c) for c in re.findall(r"<tr><td>(.*?)</td>", table)]
    assert labels == QUANTSTATS_ROWS
    rows = {html.unescape(m.group(1)): m.group(0) for m in re.finditer(r"<tr><td>(.*?)</td>.*?</tr>", table)}
    empty = {k for k, v in rows.items() if re.findall(r"<td>(.*?)</td>", v)[-1] == "-"}
    assert empty == {"5Y (ann.)", "10Y (ann.)"}  # the strategy's column has a value wherever 3.5 years allow one
    assert page.count("<svg viewBox") >= 13 and "quantstats" not in page.lower()
    assert "http://" not in page and "https://" not in page  # nothing fetched from the network
    assert page.count("<script>") == 1


def test_heatmap_cells_are_the_month_returns_of_returns_csv(run_folder):
    page = _page(run_folder)
    heat = page[page.find('<table class="heatmap">'):]
    heat = heat[: heat.find("</table>")]
    got = {}
    for year, cells in re.findall(r"<tr><th>(\d{4})</th>(.*?)</tr>", heat, flags=re.S):
        values = re.findall(r"<td[^>]*>(.*?)</td>", cells)
        assert len(values) == 13
        for month, v in enumerate(values[:12], start=1):
            if v:
                got[(int(year), month)] = float(v)
        got[(int(year), "year")] = float(values[12])
    expected: dict = {}
    for day, r in _returns(run_folder).items():  # compounded by hand, month by month and year by year
        for key in ((day.year, day.month), (day.year, "year")):
            expected[key] = expected.get(key, 1.0) * (1.0 + r)
    assert set(got) == set(expected)
    for key, growth in expected.items():
        assert got[key] == pytest.approx(round(100 * (growth - 1.0), 2), abs=1e-9), key


def _chart_data(page: str, chart_id: str) -> dict:
    fig = page[page.find(f'<figure class="chart" id="{chart_id}"'):]
    blob = re.search(r'<script type="application/json" class="chart-data">(.*?)</script>', fig, flags=re.S).group(1)
    return json.loads(blob)


def test_charts_hold_the_runs_numbers(run_folder):
    page = _page(run_folder)
    r = _returns(run_folder)
    yearly: dict = {}
    for day, v in r.items():
        yearly[day.year] = yearly.get(day.year, 1.0) * (1.0 + v)
    eoy = _chart_data(page, "eoy_returns")
    assert eoy["x"] == [str(y) for y in yearly]
    assert np.allclose(eoy["series"][0]["y"], [g - 1 for g in yearly.values()], atol=1e-6)
    # each year's bars are drawn at that year's label
    fig = page[page.find('<figure class="chart" id="eoy_returns"'):]
    fig = fig[: fig.find("</figure>")]
    labels = {t: float(x) for x, t in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">(\d{4})\*?</text>', fig)}
    rects = re.findall(r'<rect class="s" data-s="0" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', fig)
    assert len(rects) == len(yearly)
    slot = (eoy["px"][1] - eoy["px"][0]) if len(eoy["px"]) > 1 else 1000
    for (x, w), year in zip(rects, yearly, strict=True):
        assert abs(float(x) + float(w) / 2 - labels[str(year)]) < slot / 2
    # cumulative returns and the underwater curve, from the base day on
    cum = _chart_data(page, "returns")
    wealth, peak, under = [1.0], 1.0, [0.0]
    for v in r:
        wealth.append(wealth[-1] * (1 + v))
        peak = max(peak, wealth[-1])
        under.append(wealth[-1] / peak - 1)
    assert np.allclose(cum["series"][0]["y"], [w - 1 for w in wealth], atol=1e-6)
    assert np.allclose(_chart_data(page, "dd_plot")["series"][0]["y"], under, atol=1e-6)
    assert [s["name"] for s in cum["series"]] == ["trend-filter IWM window=40", "SPY (buy & hold)"]
    q = _chart_data(page, "returns_dist")
    assert q["x"] == ["Daily", "Weekly", "Monthly", "Quarterly", "Yearly"]
    assert q["series"][0]["y"][0] == pytest.approx(r.min(), abs=1e-6)  # daily lowest
    assert q["series"][2]["y"][0] == pytest.approx(float(np.median(r)), abs=1e-6)


def test_the_render_imports_neither_quantstats_nor_matplotlib(tmp_path):
    code = ("import sys, numpy as np, pandas as pd\n"
            "from r2k.reports import tearsheet\n"
            "i = pd.bdate_range('2015-01-01', '2020-12-31')\n"
            "r = pd.Series(np.random.default_rng(1).normal(0.0003, 0.01, len(i)), index=i)\n"
            f"tearsheet.render(r, {str(tmp_path / 't.html')!r}, 'x', r.rename('b') * 0.5)\n"
            "print(sorted(m for m in ('quantstats', 'matplotlib', 'seaborn', 'scipy', 'yfinance') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "t.html").stat().st_size > 100_000


@pytest.mark.parametrize("days", [1, 2, 5, 300])
def test_short_and_flat_runs_render_quietly(tmp_path, days):
    """A run of a few days (rolling windows longer than it) or one that never moved gets "-" cells and
    empty axes, not an exception or a warning (this failed on a one-day and a one-month run)."""
    import warnings

    idx = pd.bdate_range("2020-01-02", periods=days)
    for r in (pd.Series(0.0, index=idx), pd.Series(0.001, index=idx), pd.Series(np.linspace(-0.01, 0.01, days), index=idx)):
        for bench in (r * 0.5, None):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                page = tearsheet.render(r, tmp_path / "t.html", "short", bench).read_text(encoding="utf-8")
            assert page.count('<div id="') >= 15 and "NaN" not in page and "Infinity" not in page


PROBE = """<script>(function(){
function hover(id,date){var f=document.getElementById(id),svg=f.querySelector(".plot svg"),r=svg.getBoundingClientRect(),
d=JSON.parse(f.querySelector("script.chart-data").textContent);
if(d.xref){d=JSON.parse(document.getElementById(d.xref).textContent);}
var i=d.x.indexOf(date);
svg.dispatchEvent(new MouseEvent("mousemove",{clientX:r.left+d.px[i]*r.width/svg.viewBox.baseVal.width,
clientY:r.top+30,bubbles:true}));var t=f.querySelector(".tip");
return {date:t.hidden?null:t.querySelector("b").textContent,
rows:Array.prototype.map.call(t.querySelectorAll("div"),function(e){return e.textContent;})};}
var out=PLAN.map(function(p){return hover(p[0],p[1]);});
var pre=document.createElement("pre");pre.id="probe";pre.textContent=JSON.stringify(out);document.body.appendChild(pre);
})();</script>"""


def test_chromium_hover_reads_the_days_numbers(run_folder, tmp_path):
    """In a real browser: the hover box of charts that share one date axis shows that day's value,
    formatted as the chart's kind (percent, multiple, ratio), equal to plain Python from returns.csv."""
    from tests.test_compare_page import _chromium, _dump

    exe = _chromium()
    r = _returns(run_folder)
    day = r.index[400]
    plan = [["returns", f"{day:%Y-%m-%d}"], ["log_returns", f"{day:%Y-%m-%d}"], ["rolling_sharpe", f"{day:%Y-%m-%d}"],
            ["daily_returns", f"{day:%Y-%m-%d}"]]
    probe = tmp_path / "probe.html"
    probe.write_text(_page(run_folder).replace("</body>", PROBE.replace("PLAN", json.dumps(plan)) + "</body>"))
    dom = _dump(exe, probe, tmp_path)
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
    assert m, dom[-3000:]
    cum, grow, sharpe, daily = json.loads(html.unescape(m.group(1)))
    name = "trend-filter IWM window=40"
    # a day is narrower than a screen pixel here: check the day the box shows (within a few of the one aimed at)
    for tip in (cum, grow, sharpe, daily):
        assert abs(r.index.get_loc(pd.Timestamp(tip["date"])) - 400) <= 6
    growth = 1.0
    for v in r.loc[: cum["date"]]:
        growth *= 1 + v
    assert f"{name}: {100 * (growth - 1):.2f}%" in cum["rows"]
    growth = 1.0
    for v in r.loc[: grow["date"]]:
        growth *= 1 + v
    assert f"{name}: {growth:.2f}x" in grow["rows"]
    i = r.index.get_loc(pd.Timestamp(sharpe["date"]))
    window = r.iloc[i - 125: i + 1].to_numpy()
    assert f"{name}: {window.mean() / window.std(ddof=1) * 252 ** 0.5:.2f}" in sharpe["rows"]
    assert f"{name}: {100 * r[daily['date']]:.2f}%" in daily["rows"]
