"""The compare page's charts, read back from headless Chromium, against numbers computed here.

The synthetic prices make every expected value a line of numpy: buy-and-hold buys at the second
day's open (value = cash / open[1] * close[t]), DCA puts $500 in on each month's first trading
day. The page's hover box, legend and log switch are driven by dispatching real DOM events from a
probe script appended to a copy of the page; what the box says is compared with those numbers.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from r2k.reports import chart_rules as rules
from tests.util import home_with, invoke, random_walk

N = 900
FRAMES = {"IWM": random_walk(N, seed=1, start="2015-01-01"), "SPY": random_walk(N, seed=2, start="2015-01-01", vol=0.009)}
MEMBERS = ["buy-and-hold symbol=IWM", "buy-and-hold symbol=SPY", "dca symbol=IWM cash=0 contribute=500"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    return home_with(tmp_path, monkeypatch, FRAMES)


def held(symbol: str, cash: float = 10_000.0) -> pd.Series:
    """Buy-and-hold value: cash on day 0, then cash / open[1] shares valued at each close."""
    f = FRAMES[symbol]
    v = np.r_[cash, cash / f["open"].iloc[1] * f["close"].iloc[1:].to_numpy()]
    return pd.Series(v, index=f.index)


def money(text: str) -> float:
    return float(text.replace("$", "").replace(",", ""))


def pct(text: str) -> float:
    return float(text.rstrip("%")) / 100


# --------------------------------------------------------------------------------------------
# rules


def test_log_scale_opens_when_balances_span_more_than_ten_times():
    assert rules.default_log([np.array([500.0, 2000.0]), np.array([4000.0, 5001.0])])  # 10.002x
    assert not rules.default_log([np.array([500.0, 2000.0]), np.array([4000.0, 5000.0])])  # exactly 10x
    assert not rules.default_log([np.array([0.0, -1.0, 3.0])])  # only positive values count


def test_a_line_equal_to_an_earlier_one_is_dashed_offset_and_named():
    a = np.linspace(1, 2, 50)
    b = a * (1 + 1e-12)
    c = a + 0.3
    d = a + 0.001
    o = rules.overlaps([a, b, c, d], pixel_tol=0.01)
    assert o[0].same_as is None and o[0].dash is None and o[2].same_as is None
    assert (o[1].same_as, o[1].exact) == (0, True) and o[1].dash and o[1].offset > 0
    assert (o[3].same_as, o[3].exact) == (0, False) and o[3].dash != o[1].dash and o[3].offset > o[1].offset


def test_ticks_cover_the_range_on_round_values():
    t = rules.linear_ticks(-0.37, 0.52)
    assert t[0] <= -0.37 and t[-1] >= 0.52 and 0.0 in t and len(set(np.round(np.diff(t), 9))) == 1
    assert rules.log_ticks(500, 850_000)[:3] == [500.0, 1000.0, 2000.0] and rules.log_ticks(500, 850_000)[-1] == 500_000
    assert rules.year_ticks(1990, 2024) == [1990, 1995, 2000, 2005, 2010, 2015, 2020]


# --------------------------------------------------------------------------------------------
# the terminal summary


def test_terminal_summaries_fit_100_columns_and_keep_every_value(home, tmp_path):
    long = ["buy-and-hold symbol=IWM cash=120000 label=a-very-long-label-for-the-lump-sum-member",
            "dca symbol=IWM cash=0 contribute=500 label=a-very-long-label-for-the-monthly-member", *MEMBERS[:2]]
    res = invoke("compare", *long, "--offline", "--no-tearsheet", "--out", tmp_path / "wide")
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.stdout.splitlines()) <= 100, res.stdout
    doc = json.loads((tmp_path / "wide" / "summary.json").read_text())
    for row in doc["rows"]:  # every final balance and CAGR is still printed
        assert f"{row['final_value']:,.2f}" in res.stdout and f"{100 * row['cagr']:.2f}%" in res.stdout
    for name in ("a-very-long-label-for-the-lump-sum-member", "SPY (like a-very-long-label-for-the-monthly-member)"):
        assert all(part in res.stdout for part in re.split(r"(?<=-)|\s", name) if part), name  # wrapped, not cut
    run = invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", tmp_path / "r")
    assert run.exit_code == 0, run.output
    assert max(len(line) for line in run.stdout.splitlines()) <= 100, run.stdout


# --------------------------------------------------------------------------------------------
# the page in headless Chromium


def _chromium() -> str:
    path = "/usr/bin/chromium"
    if os.path.exists(path):
        return path
    if os.environ.get("CI"):
        pytest.fail("CI is set but /usr/bin/chromium is missing")
    pytest.skip("chromium not installed")


PROBE = """<script>(function(){
var out={};
function fig(id){return document.getElementById(id);}
function tip(f){var t=f.querySelector(".tip");return {hidden:t.hidden,date:t.hidden?null:t.querySelector("b").textContent,
rows:Array.prototype.map.call(t.querySelectorAll("div"),function(e){return e.textContent;})};}
function hover(id,date){var f=fig(id),svg=f.querySelector(".plot svg"),r=svg.getBoundingClientRect(),
d=JSON.parse(f.querySelector("script.chart-data").textContent),i=d.x.indexOf(date);
svg.dispatchEvent(new MouseEvent("mousemove",{clientX:r.left+d.px[i]*r.width/svg.viewBox.baseVal.width,
clientY:r.top+30,bubbles:true}));return tip(f);}
function shown(id,k){return Array.prototype.map.call(fig(id).querySelectorAll('svg .s[data-s="'+k+'"]'),
function(m){return getComputedStyle(m).display!=="none"&&getComputedStyle(m.parentNode).display!=="none";});}
var plan=PLAN;
out.hover=plan.map(function(p){return hover(p[0],p[1]);});
var g=fig("growth");out.scale0=g.getAttribute("data-scale");
out.logShown0=getComputedStyle(g.querySelector(".scale-log")).display;
g.querySelector("input.logscale").click();
out.scale1=g.getAttribute("data-scale");out.logShown1=getComputedStyle(g.querySelector(".scale-log")).display;
out.linShown1=getComputedStyle(g.querySelector(".scale-lin")).display;
var b=g.querySelector('ul.legend button[data-s="0"]');b.click();
out.afterHide={pressed:b.getAttribute("aria-pressed"),s0:shown("growth",0),s1:shown("growth",1),
tip:hover("growth",plan[0][1])};
b.click();out.afterShow={s0:shown("growth",0),tip:hover("growth",plan[0][1])};
var pre=document.createElement("pre");pre.id="probe";pre.textContent=JSON.stringify(out);document.body.appendChild(pre);
})();</script>"""


def _dump(exe: str, page: Path, tmp_path: Path) -> str:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,3000", "--dump-dom", page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _rows(t: dict) -> dict[str, str]:
    return dict(r.rsplit(": ", 1) for r in t["rows"])


def test_chromium_hover_legend_and_log_scale_show_the_numbers(home, tmp_path):
    exe = _chromium()
    res = invoke("compare", *MEMBERS, "--offline", "--no-tearsheet", "--out", tmp_path / "c")
    assert res.exit_code == 0, res.output
    text = (tmp_path / "c" / "index.html").read_text()
    idx = FRAMES["IWM"].index
    day, dd_day = idx[400], idx[650]
    plan = [["growth", f"{day:%Y-%m-%d}"], ["drawdown", f"{dd_day:%Y-%m-%d}"], ["annual-bars", "2016"]]
    probe = tmp_path / "c" / "probe.html"
    probe.write_text(text.replace("</body>", PROBE.replace("PLAN", json.dumps(plan)) + "</body>"))
    dom = _dump(exe, probe, tmp_path)
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
    assert m, dom[-3000:]
    out = json.loads(html.unescape(m.group(1)))

    growth, drawdown, bars = out["hover"]
    assert growth["date"] == f"{day:%Y-%m-%d}" and not growth["hidden"]
    g = _rows(growth)
    assert money(g["buy-and-hold IWM"]) == pytest.approx(held("IWM")[day], abs=0.006)
    assert money(g["buy-and-hold SPY"]) == pytest.approx(held("SPY")[day], abs=0.006)
    assert money(g["SPY (like buy-and-hold IWM)"]) == pytest.approx(held("SPY")[day], abs=0.006)
    months = len(set(idx[: idx.get_loc(day) + 1].to_period("M")))
    assert money(g["money put in (dca IWM cash=$0 $500/month, SPY (like dca IWM cash=$0 $500/month))"]) == 500 * months
    assert money(g["money put in (buy-and-hold IWM, buy-and-hold SPY, SPY (like buy-and-hold IWM))"]) == 10_000

    v = held("IWM")
    dd = v / v.cummax() - 1
    assert drawdown["date"] == f"{dd_day:%Y-%m-%d}"
    assert pct(_rows(drawdown)["buy-and-hold IWM"]) == pytest.approx(dd[dd_day], abs=0.00006)

    ye = v.groupby(v.index.year).last()
    assert bars["date"] == "2016"
    assert pct(_rows(bars)["buy-and-hold IWM"]) == pytest.approx(ye[2016] / ye[2015] - 1, abs=0.00006)
    spy = held("SPY").groupby(idx.year).last()
    assert pct(_rows(bars)["buy-and-hold SPY"]) == pytest.approx(spy[2016] / spy[2015] - 1, abs=0.00006)

    # DCA's balances run from $500 to many thousands (> 10x): growth opens on the log axis; the box switches it
    assert out["scale0"] == "log" and out["logShown0"] != "none"
    assert out["scale1"] == "lin" and out["logShown1"] == "none" and out["linShown1"] != "none"
    # the legend hides a series (in both scales) and the box leaves it out; a second click brings it back
    assert out["afterHide"]["pressed"] == "false" and not any(out["afterHide"]["s0"]) and any(out["afterHide"]["s1"])
    assert "buy-and-hold IWM" not in _rows(out["afterHide"]["tip"]) and "buy-and-hold SPY" in _rows(out["afterHide"]["tip"])
    assert any(out["afterShow"]["s0"]) and "buy-and-hold IWM" in _rows(out["afterShow"]["tip"])

    # the benchmark equals buy-and-hold SPY: its legend says so and its line is dashed and offset, not hidden
    assert "(same as buy-and-hold SPY)" in text
    lin = re.search(r'<figure class="chart" id="growth".*?<g class="scale-lin">(.*?)</g>', text, flags=re.S).group(1)
    paths = dict(re.findall(r'<path class="s" data-s="(\d+)" d="([^"]*)"', lin))
    tags = dict(re.findall(r'<path class="s" data-s="(\d+)"([^>]*)>', lin))
    assert paths["3"] != paths["1"] and "stroke-dasharray" in tags["3"]


def test_growth_opens_linear_when_balances_span_less_than_ten_times(home, tmp_path):
    res = invoke("compare", *MEMBERS[:2], "--offline", "--no-tearsheet", "--out", tmp_path / "c")
    assert res.exit_code == 0, res.output
    text = (tmp_path / "c" / "index.html").read_text()
    values = [held("IWM"), held("SPY")]
    assert max(x.max() for x in values) / min(x.min() for x in values) < 10
    assert re.search(r'<figure class="chart" id="growth" data-scale="lin">', text)
    assert re.search(r'<input type="checkbox" class="logscale">', text)  # unchecked
