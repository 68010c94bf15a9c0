"""r2k compare: one common window, numbers checked against independent pandas/numpy, a self-contained page."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from r2k.reports.metrics import SUMMARY_KEYS
from tests.util import (
    assert_group_gone,
    home_with,
    invoke,
    needs_real_data,
    one_line_error,
    put_prices,
    random_walk,
    real_data_dir,
)

DAYS = 365.25
#: what the two default members hold, as their labels say (and their folders' names)
BH, BH_DIR = "buy-and-hold IWM", "buy-and-hold-IWM"
DCA, DCA_DIR = "dca IWM $500/month", "dca-IWM-500-month"


FRAMES = {
    "IWM": random_walk(600, seed=1, start="2015-01-01"),
    "SPY": random_walk(600, seed=2, start="2015-01-01", vol=0.009),
    "VTWO": random_walk(420, seed=3, start="2015-09-01"),  # starts later and ends earlier than the others
}


@pytest.fixture
def home(tmp_path, monkeypatch):
    return home_with(tmp_path, monkeypatch, FRAMES)


def ok(res):
    assert res.exit_code == 0, res.output
    return res


def rows(folder: Path) -> dict[str, dict]:
    doc = json.loads((folder / "summary.json").read_text())
    return {r["name"]: r for r in doc["rows"]}


def read_returns(folder: Path) -> pd.Series:
    return pd.read_csv(folder / "returns.csv", index_col="date", parse_dates=True)["return"]


def read_equity(folder: Path) -> pd.Series:
    return pd.read_csv(folder / "equity.csv", index_col="date", parse_dates=True)["value"]


def xirr_bisect(dates, amounts) -> float:
    """Money-weighted return by plain bisection on the NPV (365-day years), written independently."""
    t = np.array([(d - dates[0]).days / 365.0 for d in dates])
    a = np.asarray(amounts, dtype=float)

    def npv(rate):
        return float(np.sum(a / (1.0 + rate) ** t))

    lo, hi = -0.99, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if npv(lo) * npv(mid) <= 0:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


# --------------------------------------------------------------------------------------------
# numbers


def test_summary_numbers_match_independent_math(home, tmp_path):
    out = tmp_path / "cmp"
    res = ok(invoke("compare", "buy-and-hold", "dca", "--fill", "close", "--offline", "--no-tearsheet", "--out", out))
    doc = json.loads((out / "summary.json").read_text())
    iwm, spy = FRAMES["IWM"]["adj_close"], FRAMES["SPY"]["adj_close"]
    assert doc["window"] == {"start": f"{iwm.index[0]:%Y-%m-%d}", "end": f"{iwm.index[-1]:%Y-%m-%d}"}
    r = rows(out)
    assert list(r) == [BH, DCA, f"SPY (like {BH})", f"SPY (like {DCA})"]
    years = (iwm.index[-1] - iwm.index[0]).days / DAYS

    # buy-and-hold filled at the first close: the account follows IWM's closes exactly
    bh = r[BH]
    eq = read_equity(out / BH_DIR)
    assert bh["final_value"] == pytest.approx(10_000 * iwm.iloc[-1] / iwm.iloc[0], rel=1e-9)
    assert bh["cagr"] == pytest.approx((eq.iloc[-1] / eq.iloc[0]) ** (1 / years) - 1, rel=1e-9)
    assert bh["max_drawdown"] == pytest.approx((iwm / iwm.cummax() - 1).min(), rel=1e-9)
    rets = read_returns(out / BH_DIR)
    spy_r = spy.pct_change().reindex(rets.index)
    assert bh["correlation"] == pytest.approx(np.corrcoef(rets.to_numpy(), spy_r.to_numpy())[0, 1], rel=1e-9)
    daily_std = float(np.std(iwm.pct_change().dropna().to_numpy(), ddof=1)) * math.sqrt(252)
    assert bh["volatility"] == pytest.approx(daily_std, rel=1e-9) and bh["stats_basis"] == "daily"
    assert "xirr" in bh and bh["xirr"] is None

    # dca: 500 at the first trading day of every month after the first; XIRR from its own cash flows
    dca = r[DCA]
    months = iwm.index.to_period("M").unique()
    assert dca["contributed"] == pytest.approx(500.0 * (len(months) - 1))
    flows = pd.read_csv(out / DCA_DIR / "cashflows.csv", parse_dates=["date"])
    eq_d = read_equity(out / DCA_DIR)
    dates = list(flows["date"]) + [eq_d.index[-1]]
    amounts = list(-flows["amount"]) + [eq_d.iloc[-1]]
    assert dca["xirr"] == pytest.approx(xirr_bisect(dates, amounts), abs=1e-7)
    growth = float(np.prod(1 + read_returns(out / DCA_DIR).to_numpy()))
    assert dca["cagr"] == pytest.approx(growth ** (1 / years) - 1, rel=1e-9)

    # benchmark rows: SPY bought like each member (close fills): the lump sum follows SPY's closes
    b = r[f"SPY (like {BH})"]
    assert b["initial_cash"] == 10_000 and b["contributed"] == 0
    assert b["final_value"] == pytest.approx(10_000 * spy.iloc[-1] / spy.iloc[0], rel=1e-9)
    assert b["cagr"] == pytest.approx((spy.iloc[-1] / spy.iloc[0]) ** (1 / years) - 1, rel=1e-9)
    assert b["correlation"] == 1.0
    # ... and the dca's benchmark gets the same deposits on the same days: shares bought at each day's close
    bd = r[f"SPY (like {DCA})"]
    flow_days = pd.DatetimeIndex(flows["date"])
    shares = float((flows["amount"].to_numpy() / spy.reindex(flow_days).to_numpy()).sum())
    assert bd["contributed"] == pytest.approx(dca["contributed"]) and bd["initial_cash"] == dca["initial_cash"]
    assert bd["final_value"] == pytest.approx(shares * spy.iloc[-1], rel=1e-9)
    assert bd["xirr"] == pytest.approx(xirr_bisect(list(flow_days) + [spy.index[-1]],
                                                   list(-flows["amount"]) + [shares * spy.iloc[-1]]), abs=1e-7)

    # annual table from year-end closes (the first year from the first close)
    annual = pd.read_csv(out / "annual.csv", index_col="year")
    ye = spy.groupby(spy.index.year).last()
    bench = f"SPY (like {BH})"
    assert annual.loc[2016, bench] == pytest.approx(ye[2016] / ye[2015] - 1, rel=1e-9)
    assert annual.loc[2015, bench] == pytest.approx(ye[2015] / spy.iloc[0] - 1, rel=1e-9)
    ye_i = iwm.groupby(iwm.index.year).last()
    assert annual.loc[2016, BH] == pytest.approx(ye_i[2016] / ye_i[2015] - 1, rel=1e-9)

    # the CSV has the same rows and exactly the metrics.json keys plus name and correlation
    csv = pd.read_csv(out / "summary.csv")
    sub = json.loads((out / BH_DIR / "metrics.json").read_text())
    assert list(csv.columns) == ["name", *SUMMARY_KEYS, "correlation"] and set(sub) <= set(csv.columns)
    assert csv.loc[1, "final_value"] == pytest.approx(dca["final_value"], rel=1e-12)
    for name, folder in ((BH, BH_DIR), (DCA, DCA_DIR)):  # each row is exactly its member's own metrics.json
        own = json.loads((out / folder / "metrics.json").read_text())
        assert {k: r[name][k] for k in own} == own, name
    # the page shows the same numbers, in percent, with the drawdown's dates
    page = (out / "index.html").read_text()
    summary_table = page[page.index('<table id="summary">'):page.index("</table>")]
    trough = (iwm / iwm.cummax() - 1).idxmin()
    top = iwm[:trough].idxmax()
    assert f"{top:%Y-%m-%d}</span><br><span class=\"d\">&rarr; {trough:%Y-%m-%d}" in summary_table
    assert f"{100 * (spy.iloc[-1] / spy.iloc[0]) ** (1 / years) - 100:.2f}%" in summary_table
    # what the command prints is the same number, in percent
    assert f"{100 * ((eq.iloc[-1] / eq.iloc[0]) ** (1 / years) - 1):.2f}%" in res.stdout
    assert str(out) in res.stdout


def test_without_benchmark_and_default_folder(home, tmp_path):
    res = ok(invoke("compare", "buy-and-hold", "dca", "--benchmark", "none", "--offline", "--no-tearsheet"))
    folders = list((tmp_path / "runs").glob("compare-*"))
    assert len(folders) == 1 and f"comparison folder: {Path('runs') / folders[0].name}" in res.stdout
    r = rows(folders[0])
    assert list(r) == [BH, DCA] and r[DCA]["correlation"] is None
    assert "benchmark row" not in (folders[0] / "index.html").read_text()


def test_monthly_stats_basis(home, tmp_path):
    out = tmp_path / "m"
    ok(invoke("compare", "buy-and-hold", "--fill", "close", "--stats", "monthly", "--offline", "--no-tearsheet",
              "--out", out))
    iwm = FRAMES["IWM"]["adj_close"]
    ends = iwm.groupby(iwm.index.to_period("M")).last()
    monthly = ends / pd.Series([iwm.iloc[0], *ends.iloc[:-1]], index=ends.index) - 1  # base: the first close
    bh = rows(out)[BH]
    assert bh["stats_basis"] == "monthly"
    assert bh["volatility"] == pytest.approx(monthly.std(ddof=1) * math.sqrt(12), rel=1e-9)
    assert bh["sharpe"] == pytest.approx(monthly.mean() / monthly.std(ddof=1) * math.sqrt(12), rel=1e-9)
    page = (out / "index.html").read_text()
    assert "Stats basis: <b>monthly</b>" in page and "calendar-month returns" in page and "&radic;12" in page


# --------------------------------------------------------------------------------------------
# the common window


def test_later_symbol_sets_the_common_window_and_others_are_rerun(home, tmp_path):
    out = tmp_path / "w"
    res = ok(invoke("compare", "buy-and-hold:bh", "buy-and-hold symbol=VTWO label=late", "dca:dca", "--fill", "close",
                    "--start", "2014-06-01", "--offline", "--no-tearsheet", "--out", out))
    vt = FRAMES["VTWO"]["adj_close"]
    iwm = FRAMES["IWM"]["adj_close"]
    ws, we = vt.index[0], vt.index[-1]
    doc = json.loads((out / "summary.json").read_text())
    assert doc["window"] == {"start": f"{ws:%Y-%m-%d}", "end": f"{we:%Y-%m-%d}"}
    assert any("VTWO data starts" in w and "member late" in w for w in doc["warnings"])
    assert "VTWO data starts" in res.stderr and "re-run over the common window" in res.stderr
    r = rows(out)
    for name in ("bh", "late", "dca", "SPY (like bh)", "SPY (like dca)"):
        assert (r[name]["start"], r[name]["end"]) == (f"{ws:%Y-%m-%d}", f"{we:%Y-%m-%d}"), name
    for name in ("bh", "late", "dca"):
        eq = read_equity(out / name)
        assert (eq.index[0], eq.index[-1]) == (ws, we)
    # re-run, not sliced: buy-and-hold starts with 10,000 on the window's first day
    assert r["bh"]["final_value"] == pytest.approx(10_000 * iwm[we] / iwm[ws], rel=1e-9)
    months = iwm[ws:we].index.to_period("M").unique()
    assert r["dca"]["contributed"] == pytest.approx(500.0 * (len(months) - 1))
    spy = FRAMES["SPY"]["adj_close"]
    assert r["SPY (like bh)"]["final_value"] == pytest.approx(10_000 * spy[we] / spy[ws], rel=1e-9)
    page = (out / "index.html").read_text()
    assert f"<b>{ws:%Y-%m-%d}</b> to <b>{we:%Y-%m-%d}</b>" in page and "VTWO data starts" in page


def test_a_loaded_run_named_like_another_member_adds_its_folder(home, tmp_path):
    run = tmp_path / "bh"
    ok(invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", run))
    out = tmp_path / "f0"
    ok(invoke("compare", run, "buy-and-hold", "--offline", "--no-tearsheet", "--out", out))
    assert list(rows(out))[:2] == ["buy-and-hold IWM (bh)", "buy-and-hold IWM"]


def test_run_folders_are_loaded_and_restricted_explicitly(home, tmp_path):
    run = tmp_path / "bh"
    ok(invoke("run", "buy-and-hold", "--fill", "close", "--offline", "--no-tearsheet", "--out", run))
    out = tmp_path / "f1"
    ok(invoke("compare", run, "dca", "--fill", "close", "--offline", "--no-tearsheet", "--out", out))
    spy = FRAMES["SPY"]["adj_close"]
    own = json.loads((run / "metrics.json").read_text())
    r = rows(out)
    assert list(r)[0] == "buy-and-hold IWM"  # the run's own label (its manifest), not the folder name
    for key in ("final_value", "cagr", "total_return", "max_drawdown", "volatility"):
        assert r["buy-and-hold IWM"][key] == pytest.approx(own[key], rel=1e-8), key  # the CSVs keep 10-12 significant digits
    # a loaded run gets its benchmark bought like it too: SPY from the first close with its 10,000
    assert r["SPY (like buy-and-hold IWM)"]["final_value"] == pytest.approx(10_000 * spy.iloc[-1] / spy.iloc[0],
                                                                                 rel=1e-9)

    # longer than the window: restricted, rebased on its value at the window's first day, and said so
    out2 = tmp_path / "f2"
    res = ok(invoke("compare", f"{run}:mine", "buy-and-hold:late", "-p", "late.symbol=VTWO", "--fill", "close",
                    "--offline", "--no-tearsheet", "--out", out2))
    spy = FRAMES["SPY"]["adj_close"]
    eq = read_equity(run)
    ws, we = FRAMES["VTWO"].index[0], FRAMES["VTWO"].index[-1]
    m = rows(out2)["mine"]
    assert m["initial_cash"] == pytest.approx(eq[ws], rel=1e-9)
    assert m["final_value"] == pytest.approx(eq[we], rel=1e-9)
    assert m["total_return"] == pytest.approx(eq[we] / eq[ws] - 1, rel=1e-9)
    assert "mine (run folder): restricted to" in res.stderr
    assert read_equity(out2 / "mine").index[0] == ws
    # restricted, its benchmark starts from the same rebased balance on the same day
    b = rows(out2)["SPY (like mine)"]
    assert b["initial_cash"] == pytest.approx(eq[ws], rel=1e-9)
    assert b["final_value"] == pytest.approx(eq[ws] * spy[we] / spy[ws], rel=1e-9)


# --------------------------------------------------------------------------------------------
# labels and parameters


def spec_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())["spec"]


def test_members_carry_their_own_settings_and_labels_say_what_they_hold(home, tmp_path):
    out = tmp_path / "lab"
    res = ok(invoke("compare", "buy-and-hold symbol=IWM", "buy-and-hold symbol=SPY",
                    "dca symbol=IWM cash=0 contribute=250 every=quarter", "buy-and-hold:spy", "-p", "spy.symbol=VTWO",
                    "--offline", "--no-tearsheet", "--out", out))
    r = rows(out)
    assert list(r)[:4] == ["buy-and-hold IWM", "buy-and-hold SPY", "dca IWM cash=$0 $250/quarter", "spy"]
    assert spec_of(out / "buy-and-hold-SPY")["params"] == {"symbol": "SPY"}
    d = spec_of(out / "dca-IWM-cash-0-250-quarter")
    assert (d["cash"], d["contribute"], d["every"]) == (0.0, 250.0, "quarter")
    assert spec_of(out / "spy")["params"] == {"symbol": "VTWO"}
    assert "label spy looks like a ticker" not in res.stderr  # lower-case: a name, not a ticker
    spy = FRAMES["SPY"]["adj_close"]
    assert r["buy-and-hold SPY"]["final_value"] != r["buy-and-hold IWM"]["final_value"]
    assert r["buy-and-hold SPY"]["total_return"] == pytest.approx(
        json.loads((out / "buy-and-hold-SPY" / "metrics.json").read_text())["total_return"])
    assert spy is not None
    # an unprefixed -p goes to every strategy that has the parameter
    out2 = tmp_path / "lab2"
    ok(invoke("compare", "buy-and-hold", "dca", "-p", "symbol=SPY", "--offline", "--no-tearsheet", "--out", out2))
    for n in ("buy-and-hold-SPY", "dca-SPY-500-month"):
        assert spec_of(out2 / n)["params"] == {"symbol": "SPY"}


def test_one_strategy_across_symbols_gives_rows_that_each_name_their_symbol(home, tmp_path):
    out = tmp_path / "syms"
    ok(invoke("compare", "buy-and-hold", "--symbols", "IWM,SPY,VTWO", "--benchmark", "none", "--fill", "close",
              "--offline", "--no-tearsheet", "--out", out))
    r = rows(out)
    assert list(r) == ["buy-and-hold IWM", "buy-and-hold SPY", "buy-and-hold VTWO"]
    vt = FRAMES["VTWO"]["adj_close"]
    for sym in ("IWM", "SPY", "VTWO"):
        px = FRAMES[sym]["adj_close"].loc[vt.index[0]:vt.index[-1]]  # the common window is VTWO's
        assert r[f"buy-and-hold {sym}"]["total_return"] == pytest.approx(px.iloc[-1] / px.iloc[0] - 1, rel=1e-9), sym
    assert len({round(v["total_return"], 9) for v in r.values()}) == 3


def test_a_label_that_looks_like_a_ticker_it_does_not_hold_is_warned(home, tmp_path):
    res = ok(invoke("compare", "buy-and-hold:SPY", "buy-and-hold symbol=VTWO label=VTWO", "--offline",
                    "--no-tearsheet", "--out", tmp_path / "t"))
    assert "label SPY looks like a ticker, but that member holds IWM" in res.stderr
    assert "label VTWO" not in res.stderr


def test_two_identical_members_are_an_error(home):
    msg = one_line_error(invoke("compare", "buy-and-hold", "buy-and-hold symbol=IWM", "--offline", "--no-tearsheet"), 2)
    assert "identical" in msg


@pytest.mark.parametrize("args, words", [
    (("buy-and-hold", "-p", "nope.symbol=IWM"), "no member is labelled"),
    (("buy-and-hold:a", "dca:a"), "given twice"),
    (("buy-and-hold cash=lots",), "cash must be a number"),
    (("buy-and-hold window=3",), "unknown parameter window"),
    (("buy-and-hold symbol=SPY", "--symbols", "IWM,SPY"), "sets its own symbol"),
    (("buy-and-hold nonsense",), "use key=value"),
    (("buy-and-hold:a.b",), "bad label"),
    (("buy-and-hold", "-p", "symbl=IWM"), "no strategy here has a parameter"),
    (("buy-and-hold:bh", "-p", "bh.symbl=IWM"), "unknown parameter symbl"),
    (("buy-and-hold", "-p", "buy-and-hold.symbol"), "key=value"),
    (("nope",), "unknown strategy"),
    (("runs/nothing-here",), "not a run folder"),
    (("buy-and-hold", "--start", "2015-13-01"), "YYYY-MM-DD"),
])
def test_usage_errors_are_one_line(home, args, words):
    assert words in one_line_error(invoke("compare", *args, "--offline", "--no-tearsheet"), 2)


def test_params_of_a_run_folder_are_fixed(home, tmp_path):
    run = tmp_path / "bh"
    ok(invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", run))
    assert "parameters are fixed" in one_line_error(invoke("compare", run, "-p", "bh.symbol=SPY", "--offline"), 2)


def test_no_common_window_is_one_line(home, tmp_path):
    put_prices(home, "QQQ", random_walk(50, seed=4, start="2019-01-01"))
    msg = one_line_error(invoke("compare", "buy-and-hold", "buy-and-hold:q", "-p", "q.symbol=QQQ", "--benchmark", "none",
                                "--offline", "--no-tearsheet"), 1)
    assert "no common window" in msg


# --------------------------------------------------------------------------------------------
# tear sheets in parallel processes, the page itself


def _fake_render(returns, path, title, benchmark=None, assumptions=None, strategy_title=None, benchmark_title=None,
                 **numbers):
    """Record the worker's pid, then wait (up to 30 s) until every expected render has started."""
    import time

    meet = Path(os.environ["R2K_TEST_MEET"])
    (meet / str(os.getpid())).touch()
    deadline = time.monotonic() + 30
    while len(list(meet.iterdir())) < int(os.environ["R2K_TEST_WORKERS"]) and time.monotonic() < deadline:
        time.sleep(0.02)
    fill = (assumptions or {}).get("fill")
    Path(path).write_text(f"<html><title>{title}</title>pid={os.getpid()} n={len(returns)} b={benchmark is not None} "
                          f"fill={fill} legend={strategy_title} vs {benchmark_title}</html>")
    return path


HAS_FORK = "fork" in __import__("multiprocessing").get_all_start_methods()


@pytest.mark.skipif(not HAS_FORK, reason="patching reaches workers by fork")
def test_tear_sheets_render_in_worker_processes(home, tmp_path, monkeypatch):
    workers = min(3, 2 * (os.cpu_count() or 1))  # one worker per tear sheet, up to twice the cores
    (tmp_path / "meet").mkdir()
    monkeypatch.setenv("R2K_TEST_MEET", str(tmp_path / "meet"))
    monkeypatch.setenv("R2K_TEST_WORKERS", str(workers))
    monkeypatch.setattr("r2k.runner.comparison.START_METHOD", "fork")  # the fork server would not see the patches
    monkeypatch.setattr("r2k.reports.tearsheet.render", _fake_render)
    monkeypatch.setattr("r2k.runner.comparison._warm_worker", lambda: None)  # skip the renderer import
    out = tmp_path / "ts"
    ok(invoke("compare", "buy-and-hold", "dca", "buy-and-hold symbol=SPY label=again", "--offline", "--out", out))
    pids = set()
    for name, label in ((BH_DIR, BH), (DCA_DIR, DCA), ("again", "again")):
        text = (out / name / "tearsheet.html").read_text()
        pid = int(re.search(r"pid=(\d+)", text).group(1))
        assert pid != os.getpid() and "b=True" in text and f"r2k {label} " in text
        how = "same deposits" if name == DCA_DIR else "buy & hold"
        assert f"legend={label} vs SPY ({how})" in text  # the sheet's legend names what each line holds
        assert "fill=next-open: " in text  # the sheet states how the numbers were made, as a run's does
        assert f"n={len(read_returns(out / name))}" in text
        pids.add(pid)
    assert len(pids) == workers  # even with 2 CPUs, all three tear sheets were being rendered at the same time
    page = (out / "index.html").read_text()
    assert all(f'href="{name}/tearsheet.html"' in page for name in (BH_DIR, DCA_DIR, "again"))
    assert not (out / ".tearsheets").exists()


def _worker_state() -> tuple[int, bool | None]:
    from r2k.runner import comparison

    return os.getpid(), comparison.renderer_inherited


@pytest.mark.skipif("forkserver" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork server")
def test_workers_are_forked_with_the_renderer_already_imported():
    from r2k.runner.comparison import START_METHOD, start_pool

    assert START_METHOD == "forkserver"
    pool = start_pool(3)
    try:
        states = [f.result(timeout=120) for f in [pool.submit(_worker_state) for _ in range(3)]]
    finally:
        pool.shutdown(wait=True)
    assert all(pid != os.getpid() for pid, _ in states)
    assert [inherited for _, inherited in states] == [True, True, True]  # imported once, in the fork server


def _broken_render(returns, path, title, benchmark=None, assumptions=None, strategy_title=None, benchmark_title=None,
                   **numbers):
    raise RuntimeError("renderer crashed")


@pytest.mark.skipif(not HAS_FORK, reason="patching reaches workers by fork")
def test_failed_tear_sheet_leaves_no_folder(home, tmp_path, monkeypatch):
    monkeypatch.setattr("r2k.runner.comparison.START_METHOD", "fork")
    monkeypatch.setattr("r2k.reports.tearsheet.render", _broken_render)
    monkeypatch.setattr("r2k.runner.comparison._warm_worker", lambda: None)
    out = tmp_path / "bad"
    assert "renderer crashed" in one_line_error(invoke("compare", "buy-and-hold", "--offline", "--out", out), 1)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".bad.")]


def _page(home, tmp_path) -> Path:
    out = tmp_path / "page"
    ok(invoke("compare", "buy-and-hold", "dca", "buy-and-hold:late", "-p", "late.symbol=VTWO", "--offline",
              "--no-tearsheet", "--out", out))
    return out / "index.html"


def test_page_is_self_contained(home, tmp_path):
    page = _page(home, tmp_path).read_text()
    assert len(re.findall(r"<svg\b", page)) >= 4
    for fig in ("growth", "drawdown", "rolling", "annual-bars"):
        assert re.search(rf'<figure class="chart" id="{fig}"[^>]*><figcaption>.*?<svg\b', page), fig
    # one inline script (hover, legend, log scale); every other script block is JSON data, never run
    scripts = re.findall(r"<script([^>]*)>", page)
    assert [a for a in scripts if a.strip() != 'type="application/json" class="chart-data"'] == [""]
    assert not re.search(r"https?://|<link\b|@import|<iframe|<object|<embed|fetch\(|XMLHttpRequest", page, flags=re.I)
    assert not re.search(r"\ssrc=", page)
    assert set(re.findall(r"url\((.)", page)) <= {"#"}  # only references inside the page (SVG clip paths)
    # links: inside the page (#glyph ids in the SVGs) or relative ones to the member folders
    assert set(re.findall(r'href="([^"#][^"]*)"', page)) == {f"{BH_DIR}/", f"{DCA_DIR}/", "late/"}
    for words in ("Common window", "fill", "prices", "costs", "cash", "stats basis", "benchmark row",
                  "bought like the strategies"):
        assert words in page, words


def _chromium() -> str:
    path = "/usr/bin/chromium"
    if os.path.exists(path):
        return path
    if os.environ.get("CI"):
        pytest.fail("CI is set but /usr/bin/chromium is missing (.ci/run installs Debian's chromium)")
    pytest.skip("chromium not installed")


def _blend(hex_color: str, alpha: float) -> np.ndarray:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return rgb * alpha + 255 * (1 - alpha)


def test_headless_chromium_draws_the_charts(home, tmp_path):
    import matplotlib.image as mpimg

    from r2k.reports.compare import PALETTE

    exe = _chromium()
    page = _page(home, tmp_path)
    text = page.read_text()
    assert len(re.findall(r"<svg\b", text)) >= 3 and not re.search(r"https?://|<link\b|\ssrc=", text)
    png = tmp_path / "shot.png"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1280,4000",
           page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert png.is_file() and png.stat().st_size > 10_000, proc.stderr[-2000:]
    img = (mpimg.imread(png)[:, :, :3] * 255).astype(int)
    assert img.shape[:2] == (4000, 1280)
    # each strategy's line colour (drawn at alpha 0.85 over white) shows up, over three charts' height
    found = []
    for color in PALETTE[:3]:
        near = np.abs(img - _blend(color, 0.85)).max(axis=2) <= 24
        assert near.sum() > 300, f"{color}: {near.sum()} pixels"
        found.append(np.nonzero(near.any(axis=1))[0])
    ys = np.concatenate(found)
    top, bottom = ys.min(), ys.max()
    assert bottom - top > 900  # growth, drawdown and rolling charts stacked, not one
    region = img[top:bottom + 1]
    non_white = (region < 245).any(axis=2).mean()
    assert non_white > 0.03, non_white
    colours = len(np.unique(region.reshape(-1, 3) // 8, axis=0))
    assert colours > 40, colours


# --------------------------------------------------------------------------------------------
# real data


def _raw(name: str) -> pd.Series:
    return pd.read_csv(real_data_dir() / "prices" / f"{name}.csv", index_col="date", parse_dates=True)["adj_close"]


def _raw_frame(name: str) -> pd.DataFrame:
    return pd.read_csv(real_data_dir() / "prices" / f"{name}.csv", index_col="date", parse_dates=True)


@needs_real_data
def test_real_compare_of_three_strategies(real_home, tmp_path):
    out = tmp_path / "real"
    res = ok(invoke("compare", "buy-and-hold:bh", "dca:dca", "rate-cut-rotation:rot", "rate-cut-rotation:cash",
                    "-p", "cash.risk_off=CASH", "--start", "2005-01-01", "--end", "2024-12-31", "--benchmark", "SPY",
                    "--offline", "--no-tearsheet", "--out", out, env={"R2K_HOME": str(real_home)}))
    doc = json.loads((out / "summary.json").read_text())
    assert doc["window"] == {"start": "2005-01-03", "end": "2024-12-31"}
    assert "common window" not in res.stderr  # nothing limited it beyond --start/--end
    r = {row["name"]: row for row in doc["rows"]}
    lump, dep = "SPY (like bh)", "SPY (like dca)"
    assert list(r) == ["bh", "dca", "rot", "cash", lump, dep]
    spy = _raw("SPY").loc["2005-01-03":"2024-12-31"]
    iwm = _raw("IWM").loc["2005-01-03":"2024-12-31"]
    annual = pd.read_csv(out / "annual.csv", index_col="year")
    ye_s, ye_i = spy.groupby(spy.index.year).last(), iwm.groupby(iwm.index.year).last()
    for year in range(2006, 2025):
        assert annual.loc[year, lump] == pytest.approx(ye_s[year] / ye_s[year - 1] - 1, rel=1e-9), year
        # fully invested in IWM from the second day, fractional shares: the year is IWM's adj_close year
        assert annual.loc[year, "bh"] == pytest.approx(ye_i[year] / ye_i[year - 1] - 1, rel=1e-9), year
    assert annual.loc[2008, lump] == pytest.approx(-0.3681, abs=5e-4)  # SPY's 2008 total return
    # the lump-sum benchmark is bought like bh: 10,000 at the second day's (total-return adjusted) open
    raw = _raw_frame("SPY").loc["2005-01-03":"2024-12-31"]
    adj_open = raw["open"] * raw["adj_close"] / raw["close"]
    assert r[lump]["final_value"] == pytest.approx(10_000 / adj_open.iloc[1] * raw["adj_close"].iloc[-1], rel=1e-9)
    years = (spy.index[-1] - spy.index[0]).days / DAYS
    eq = read_equity(out / "bh")
    assert r["bh"]["cagr"] == pytest.approx((eq.iloc[-1] / eq.iloc[0]) ** (1 / years) - 1, rel=1e-9)
    rets = read_returns(out / "rot")
    assert r["dca"]["contributed"] == pytest.approx(500.0 * (len(iwm.index.to_period("M").unique()) - 1))
    assert r[dep]["contributed"] == r["dca"]["contributed"]
    man = json.loads((out / "cash" / "manifest.json").read_text())
    assert man["spec"]["params"]["risk_off"] == "CASH"
    assert r["cash"]["final_value"] != pytest.approx(r["rot"]["final_value"], rel=1e-3)
    assert rets.index[0] == pd.Timestamp("2005-01-04")


@needs_real_data
@pytest.mark.parametrize("deposits", [(), ("--contribute", "500")])
def test_real_benchmark_row_equals_a_run_of_the_benchmark_bought_the_same_way(real_home, tmp_path, deposits):
    """One benchmark definition: the compare row of SPY is `r2k run buy-and-hold --symbol SPY` with the same
    cash, deposits, fill and costs, and each member row is exactly that member's metrics.json."""
    env = {"R2K_HOME": str(real_home)}
    common = ("--start", "2010-01-01", "--end", "2019-12-31", "--commission-bps", "5", "--slippage-bps", "3",
              *deposits, "--offline", "--no-tearsheet")
    out = tmp_path / "cmp"
    ok(invoke("compare", "trend-filter:tf", "buy-and-hold symbol=QQQ label=qqq", *common, "--out", out, env=env))
    ok(invoke("run", "buy-and-hold", "--symbol", "SPY", "--benchmark", "none", *common, "--out", tmp_path / "spy",
              env=env))
    alone = json.loads((tmp_path / "spy" / "metrics.json").read_text())
    r = rows(out)
    assert list(r) == ["tf", "qqq", "SPY (benchmark)"]
    bench = r["SPY (benchmark)"]
    for key, value in alone.items():
        assert bench[key] == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value), key
    for name in ("tf", "qqq"):
        own = json.loads((out / name / "metrics.json").read_text())
        assert {k: r[name][k] for k in own} == own, name


@needs_real_data
def test_real_window_limited_by_vtwo(real_home, tmp_path):
    out = tmp_path / "vt"
    res = ok(invoke("compare", "buy-and-hold", "buy-and-hold:vtwo", "-p", "vtwo.symbol=VTWO", "--start", "2005-01-01",
                    "--offline", "--no-tearsheet", "--out", out, env={"R2K_HOME": str(real_home)}))
    vt = _raw("VTWO")
    doc = json.loads((out / "summary.json").read_text())
    assert doc["window"]["start"] == f"{vt.index[0]:%Y-%m-%d}" == "2010-09-22"
    assert "VTWO data starts (member vtwo)" in res.stderr
    assert read_equity(out / "buy-and-hold-IWM").index[0] == vt.index[0]


@needs_real_data
def test_real_tear_sheets_are_written_and_linked(real_home, tmp_path):
    out = tmp_path / "ts"
    ok(invoke("compare", "buy-and-hold", "rate-cut-rotation", "--start", "2022-01-01", "--end", "2024-12-31", "--offline",
              "--out", out, env={"R2K_HOME": str(real_home)}))
    page = (out / "index.html").read_text()
    for name, label in (("buy-and-hold-IWM", "buy-and-hold IWM"), ("rate-cut-rotation-IWM", "rate-cut-rotation IWM")):
        sheet = (out / name / "tearsheet.html").read_text()
        assert f"<title>r2k {label} 2022-01-03..2024-12-31</title>" in sheet
        assert sheet.count("<script>") == 1 and "<script src" not in sheet  # its one inline script, nothing fetched
        assert f'href="{name}/tearsheet.html"' in page
        assert label in sheet and "SPY (buy &amp; hold)" in sheet  # the legend names both lines, not "Strategy"


USER_RULE = """
from r2k.strategies.base import AllocationRule, Target


class HalfHalf(AllocationRule):
    \"\"\"Hold `weight` in IWM and the rest in SPY, rebalanced monthly.\"\"\"

    name = "half-half"
    params = {"weight": 0.5}

    def assets(self):
        return ["IWM", "SPY"]

    def target(self, view):
        return Target({"IWM": self.weight, "SPY": 1.0 - self.weight}, "mix")
"""


def test_user_strategy_compared_from_a_config_file(home, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "half.py").write_text(USER_RULE)
    cfg = tmp_path / "compare.toml"
    cfg.write_text(
        'strategy_path = ["mine"]\nbenchmark = "none"\nfill = "close"\ntearsheet = false\nout = "cmp"\n'
        '[[strategies]]\nstrategy = "half-half"\nparams = { weight = 1.0 }\nlabel = "all-iwm"\n'
        '[[strategies]]\nstrategy = "buy-and-hold"\nsymbol = "SPY"\n'
    )
    res = ok(invoke("compare", "--config", cfg, "--offline"))
    got = rows(tmp_path / "cmp")
    assert set(got) == {"all-iwm", "buy-and-hold SPY"}
    iwm, spy = FRAMES["IWM"]["close"], FRAMES["SPY"]["close"]
    # weight 1.0 in IWM bought at the first close; buy-and-hold of SPY, likewise (close fills from the file)
    assert float(got["all-iwm"]["total_return"]) == pytest.approx(iwm.iloc[-1] / iwm.iloc[0] - 1, rel=1e-9)
    assert float(got["buy-and-hold SPY"]["total_return"]) == pytest.approx(spy.iloc[-1] / spy.iloc[0] - 1, rel=1e-9)
    assert "all-iwm" in res.stdout
    # a flag beats the file: next-open fills instead of the file's close
    ok(invoke("compare", "--config", cfg, "--offline", "--fill", "next-open", "--out", tmp_path / "cmp2"))
    got2 = rows(tmp_path / "cmp2")
    opens = FRAMES["IWM"]["open"]
    assert float(got2["all-iwm"]["total_return"]) == pytest.approx(iwm.iloc[-1] / opens.iloc[1] - 1, rel=1e-9)


def test_sigterm_during_tear_sheets_leaves_no_folder_and_no_process(home, tmp_path):
    """SIGTERM (to the main process only) stops like Ctrl-C: temp folder removed, every worker ended."""
    import contextlib
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "term"
    cmd = [sys.executable, "-m", "r2k.runner", "compare", "buy-and-hold", "dca", "buy-and-hold symbol=SPY label=again",
           "--offline", "--out", str(out)]
    log = tmp_path / "stderr.txt"  # a file, not a pipe: a leftover worker would hold a pipe open forever
    with log.open("wb") as err_file:
        p = subprocess.Popen(cmd, stderr=err_file, stdout=subprocess.DEVNULL, start_new_session=True,
                             env={**os.environ, "R2K_HOME": str(home.root)})
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list(tmp_path.glob(".term.*.tmp/.tearsheets")):
            time.sleep(0.05)
        assert list(tmp_path.glob(".term.*.tmp/.tearsheets")), "the tear sheets never started"
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        assert_group_gone(p.pid)  # no worker of that session is left
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # only if the test failed: leave nothing running
    err = log.read_text()
    assert p.returncode != 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.strip().startswith("error: "), err
    assert not out.exists() and not list(tmp_path.glob(".term*")), "a half-written folder was left"


def test_lump_sum_vs_dca_prints_each_members_initial_balance(real_home, tmp_path):
    """The README's lump sum vs DCA: the lump sum's $120,000 is its initial balance, so without an
    'Initial balance' row it read 'Contributed 0.00' beside DCA's 120,000.00. Initial + contributed
    must be the money each member's cashflows.csv puts in: $120,000 for both."""
    out = tmp_path / "cmp"
    res = invoke("compare", "buy-and-hold symbol=IWM cash=120000", "dca symbol=IWM cash=0 contribute=500",
                 "--start", "2005-01-01", "--end", "2024-12-31", "--offline", "--no-tearsheet", "--out", out,
                 env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output

    def row(name):
        line = next(ln for ln in res.stdout.splitlines() if ln.startswith(name))
        return [float(v.replace(",", "")) for v in line[len(name):].split()]

    initial, contributed = row("Initial balance"), row("Contributed")
    flows = [pd.read_csv(f)["amount"].sum() for f in sorted(out.glob("*/cashflows.csv"))]
    assert sorted(flows) == pytest.approx([120_000.0, 120_000.0])
    assert [i + c for i, c in zip(initial, contributed, strict=True)] == pytest.approx([120_000.0, 120_000.0])
    assert initial == [120_000.0, 0.0]
