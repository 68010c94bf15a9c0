"""Honest sweeps (issue 16, points 1, 2 and the returns store): one window for every combination,
baseline rows equal to a plain run, daily returns kept so a resumed sweep has the same statistics."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import r2k.runner as r2k
import r2k.runner.sweeps as sweep_mod
from r2k.data.errors import UsageError
from r2k.runner.spec import RunSpec
from r2k.runner.sweep_returns import FILE, ReturnsJournal, read_returns
from tests.util import home_with, invoke, needs_real_data, one_line_error, random_walk

IWM = random_walk(900, seed=21, start="2012-01-02")
SPY = random_walk(900, seed=22, start="2012-01-02")
LATE = random_walk(600, seed=23, start="2013-03-01")  # "QQQ": starts about 14 months later


@pytest.fixture
def home(tmp_path, monkeypatch):
    return home_with(tmp_path, monkeypatch, {"IWM": IWM, "SPY": SPY, "QQQ": LATE})


def rows_of(folder):
    with (folder / "results.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_combination_runs_over_the_common_window(home, tmp_path):
    out = tmp_path / "sw"
    res = invoke("sweep", "buy-and-hold", "-g", "symbol=IWM,QQQ", "--offline", "--workers", "1", "--out", out,
                 env={"R2K_HOME": str(home.root)})
    assert res.exit_code == 0, res.output
    start = max(IWM.index[0], SPY.index[0], LATE.index[0])  # the benchmark SPY counts too
    end = min(IWM.index[-1], SPY.index[-1], LATE.index[-1])
    trials = [r for r in rows_of(out) if r["role"] == "trial"]
    assert len(trials) == 2
    assert {(r["start"], r["end"]) for r in trials} == {(f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}")}
    for r in trials:  # bought at the window's second open, held to its last close (from the prices themselves)
        frame = {"IWM": IWM, "QQQ": LATE}[r["p.symbol"]].loc[start:end]
        assert float(r["total_return"]) == pytest.approx(frame["close"].iloc[-1] / frame["open"].iloc[1] - 1, rel=1e-9)
    about = json.loads((out / "sweep.json").read_text())
    assert (about["window"]["start"], about["window"]["end"]) == (f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}")
    header = first_paragraph(res.stdout)
    assert f"sweep window {start:%Y-%m-%d}..{end:%Y-%m-%d}" in header and "QQQ data starts" in header


def first_paragraph(text: str) -> str:
    """The first printed sentence, its wrapped continuation lines (indented by two) joined back."""
    lines = text.splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        if not line.startswith("  "):
            break
        out.append(line.strip())
    return " ".join(out)


def test_a_combination_that_cannot_cover_the_window_is_a_usage_error(home, tmp_path):
    out = tmp_path / "sw"
    res = invoke("sweep", "buy-and-hold", "-g", "symbol=IWM,QQQ", "--start", "2012-06-01", "--offline",
                 "--workers", "1", "--out", out, env={"R2K_HOME": str(home.root)})
    line = one_line_error(res, 2)
    assert f"QQQ data {LATE.index[0]:%Y-%m-%d}..{LATE.index[-1]:%Y-%m-%d}" in line and "--allow-shorter" in line
    assert not (out / "results.csv").exists()


def test_allow_shorter_reports_it_apart_and_never_ranks_it(home, tmp_path):
    out = tmp_path / "sw"
    res = invoke("sweep", "buy-and-hold", "-g", "symbol=IWM,QQQ", "--start", "2012-06-01", "--offline",
                 "--workers", "1", "--out", out, "--allow-shorter", env={"R2K_HOME": str(home.root)})
    assert res.exit_code == 0, res.output
    rows = rows_of(out)
    by_role = {r["role"]: r for r in rows}
    assert [r["role"] for r in rows] == ["trial", "baseline", "baseline", "shorter"]  # SPY held, IWM held
    assert by_role["trial"]["p.symbol"] == "IWM" and by_role["trial"]["start"] == "2012-06-01"
    assert by_role["shorter"]["p.symbol"] == "QQQ" and by_role["shorter"]["start"] == f"{LATE.index[0]:%Y-%m-%d}"
    ranked, _, rest = res.stdout.partition("shorter windows")
    lines = ranked.split("baselines")[0].splitlines()
    head = 1 + next(i for i, x in enumerate(lines[1:]) if not x.startswith("  "))  # the window sentence's lines
    table = "\n".join(lines[head:])  # the ranked rows
    assert "IWM" in table and "QQQ" not in table and "QQQ" in rest
    stats = json.loads((out / "overfitting.json").read_text()) if (out / "overfitting.json").exists() else None
    assert stats is None  # one trial: nothing to deflate (the shorter run is not a trial)


def test_baseline_rows_equal_plain_runs_of_the_same_settings(home, tmp_path):
    base = RunSpec("trend-filter", {"risk_off": "SPY"}, cash=5000.0, contribute=300.0, every="quarter",
                   commission_bps=5.0, slippage_bps=3.0, engine="vector")
    out = sweep_mod.sweep(base, {"window": [20, 60]}, tmp_path / "sw", offline=True, workers=1)
    start, end = f"{out.window.start:%Y-%m-%d}", f"{out.window.end:%Y-%m-%d}"
    got = {b["label"].split()[0]: b for b in out.baselines}
    assert set(got) == {"SPY", "IWM"}
    money = dict(cash=5000.0, contribute=300.0, every="quarter", commission_bps=5.0, slippage_bps=3.0, offline=True)
    for sym, row in got.items():
        one = r2k.run("buy-and-hold", symbol=sym, start=start, end=end, benchmark="none", **money)
        for m in ("final_value", "cagr", "sharpe", "xirr", "max_drawdown", "contributed"):
            assert row[m] == pytest.approx(one.metrics[m], rel=1e-12), (sym, m)
    # the benchmark row is the benchmark each trial is measured against (bought like the strategy)
    trial = r2k.run("trend-filter", params={"window": 20, "risk_off": "SPY"}, start=start, end=end, engine="vector", **money)
    assert got["SPY"]["final_value"] == pytest.approx(trial.benchmark_metrics["final_value"], rel=1e-12)
    with (tmp_path / "sw" / "results.csv").open(newline="") as fh:
        roles = [r["role"] for r in csv.DictReader(fh)]
    assert roles == ["trial", "trial", "baseline", "baseline"]


def test_returns_are_stored_in_float64_exactly(home, tmp_path):
    base = RunSpec("trend-filter", {"risk_off": "SPY"}, benchmark=None, engine="vector")
    out = sweep_mod.sweep(base, {"window": [20, 40]}, tmp_path / "sw", offline=True, workers=1)
    stored = read_returns(tmp_path / "sw")
    for row in out.rows:
        one = r2k.run("trend-filter", params={"window": int(row["p.window"]), "risk_off": "SPY"}, benchmark="none",
                      engine="vector", start=f"{out.window.start:%Y-%m-%d}", end=f"{out.window.end:%Y-%m-%d}", offline=True)
        s = stored[row["key"]]
        assert s.dtype == np.float64 and s.index.equals(one.returns.index)
        assert np.array_equal(s.to_numpy(), one.returns.to_numpy())  # bit for bit


def test_a_torn_returns_record_is_cut_and_recomputed(home, tmp_path):
    base = RunSpec("trend-filter", {"risk_off": "SPY"}, benchmark=None, engine="vector")
    folder = tmp_path / "sw"
    first = sweep_mod.sweep(base, {"window": [20, 40, 60]}, folder, offline=True, workers=1)
    path = folder / FILE
    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # the last record (a trial: baselines go first) torn by a crash
    assert len(read_returns(folder)) == 3
    again = sweep_mod.sweep(base, {"window": [20, 40, 60]}, folder, offline=True, workers=1)
    assert again.computed == 1  # the row without its returns is not done
    assert path.read_bytes() == whole
    assert again.overfitting == first.overfitting
    ReturnsJournal(folder).close()  # reopening an intact file changes nothing
    assert path.read_bytes() == whole


def test_a_resumed_sweep_gives_the_same_statistics(home, tmp_path, monkeypatch):
    base = RunSpec("trend-filter", {"risk_off": "SPY"}, benchmark="SPY", engine="vector")
    grid = {"window": [10, 20, 40, 60, 90, 120]}
    whole = sweep_mod.sweep(base, grid, tmp_path / "whole", offline=True, workers=1)
    real = sweep_mod.evaluate_batch
    seen = []

    def crashing(tasks, error_rows=False):
        if len(seen) == 4:
            raise KeyboardInterrupt
        seen.extend(t.key for t in tasks)
        return real(tasks, error_rows)

    monkeypatch.setattr(sweep_mod, "BATCH", 1)  # one combination per batch: the crash comes mid-sweep
    monkeypatch.setattr(sweep_mod, "evaluate_batch", crashing)
    with pytest.raises(KeyboardInterrupt):
        sweep_mod.sweep(base, grid, tmp_path / "cut", offline=True, workers=1)
    monkeypatch.setattr(sweep_mod, "evaluate_batch", real)
    resumed = sweep_mod.sweep(base, grid, tmp_path / "cut", offline=True, workers=1)
    assert resumed.reused == 2 and resumed.computed == 4
    assert resumed.overfitting == whole.overfitting and resumed.overfitting["trials"] == 6
    a = json.loads((tmp_path / "whole" / "overfitting.json").read_text())
    b = json.loads((tmp_path / "cut" / "overfitting.json").read_text())
    assert a == b


def test_api_sweep_has_the_window_baselines_and_overfitting(home, tmp_path):
    sw = r2k.sweep("trend-filter", {"window": [20, 40, 60]}, params={"risk_off": "SPY"}, offline=True)
    assert sw.window.start == max(IWM.index[0], SPY.index[0]) and [b["role"] for b in sw.baselines] == ["baseline"] * 2
    on_disk = sweep_mod.sweep(replace(r2k.make_spec("trend-filter", params={"risk_off": "SPY"}), engine="vector"),
                              {"window": [20, 40, 60]}, tmp_path / "sw", offline=True, workers=1)
    assert sw.overfitting == on_disk.overfitting
    saved = sw.save(tmp_path / "api")
    assert read_returns(saved).keys() == read_returns(tmp_path / "sw").keys()


def test_window_errors_are_usage_errors():
    from r2k.runner.sweep_window import sweep_window

    days = {"A": pd.bdate_range("2020-01-01", periods=50), "B": pd.bdate_range("2020-03-02", periods=50)}
    ranges = {k: (v[0], v[-1]) for k, v in days.items()}
    w = sweep_window([{"A"}, {"B"}], ranges, days, start=None, end=None)
    assert (w.start, w.end) == (days["B"][0], days["A"][-1])
    with pytest.raises(UsageError, match="B data 2020-03-02"):
        sweep_window([{"A"}, {"B"}], ranges, days, start="2020-01-01", end=None)
    w = sweep_window([{"A"}, {"B"}], ranges, days, start="2020-01-01", end=None, allow_shorter=True)
    assert list(w.shorter) == [1] and w.shorter[1][0] == days["B"][0]


@needs_real_data
def test_vtwo_example_ranks_all_four_over_one_window(real_home, tmp_path):
    from tests.util import real_data_dir

    vtwo = pd.read_csv(real_data_dir() / "prices" / "VTWO.csv", usecols=["date"])["date"]
    out = tmp_path / "vtwo"
    res = invoke("sweep", "buy-and-hold", "-g", "symbol=IWM,SPY,QQQ,VTWO", "--offline", "--workers", "1",
                 "--out", out, env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    trials = [r for r in rows_of(out) if r["role"] == "trial"]
    assert sorted(r["p.symbol"] for r in trials) == ["IWM", "QQQ", "SPY", "VTWO"]
    assert {r["start"] for r in trials} == {vtwo.iloc[0]}  # VTWO's first day limits everyone
    assert len({r["end"] for r in trials}) == 1
    header = first_paragraph(res.stdout)
    assert f"sweep window {vtwo.iloc[0]}.." in header and "VTWO data starts" in header
    assert "deflated Sharpe probability" in " ".join(res.stdout.split("\n\n")[-1].split())  # the verdict, last


def test_walkforward_reports_in_and_out_of_sample_sharpe_per_fold(home, tmp_path):
    out = tmp_path / "wf"
    res = invoke("walkforward", "trend-filter", "-g", "window=20,60", "-p", "risk_off=SPY", "--train", "1y",
                 "--test", "1y", "--offline", "--workers", "1", "--benchmark", "none", "--out", out, "--no-tearsheet",
                 env={"R2K_HOME": str(home.root)})
    assert res.exit_code == 0, res.output
    windows = pd.read_csv(out / "windows.csv")
    oos = pd.read_csv(out / "oos_returns.csv", parse_dates=["date"]).set_index("date")["return"]
    assert len(windows) >= 2

    def sharpe(r):
        x = np.asarray(r, dtype=float)
        return x.mean() / x.std(ddof=1) * np.sqrt(252)

    for _, w in windows.iterrows():
        test = oos[(oos.index > pd.Timestamp(w["train_end"])) & (oos.index <= pd.Timestamp(w["test_end"]))]
        assert w["test_sharpe"] == pytest.approx(sharpe(test), rel=1e-9)
        train = r2k.run("trend-filter", params={"window": int(w["p.window"]), "risk_off": "SPY"}, benchmark="none",
                        engine="vector", start=w["train_start"], end=w["train_end"], offline=True)
        assert w["train_sharpe"] == pytest.approx(sharpe(train.returns), rel=1e-9)
    decay = windows["train_sharpe"].mean() - windows["test_sharpe"].mean()
    saved = json.loads((out / "metrics.json").read_text())["is_vs_oos_sharpe"]
    assert saved["decay"] == pytest.approx(decay, rel=1e-12) and saved["folds"] == len(windows)
    assert f"decay {decay:.2f}" in " ".join(res.stdout.split())


def test_the_heat_map_title_states_the_common_window(home, tmp_path, monkeypatch):
    import r2k.reports.sweep_report as report

    titles: list[str] = []
    drawn = report.heatmap

    def spy(rows, x, y, metric, path, title):
        titles.append(title)
        return drawn(rows, x, y, metric, path, title)

    monkeypatch.setattr(report, "heatmap", spy)
    out = tmp_path / "hm"
    res = invoke("sweep", "portfolio", "-p", "weights=IWM:50,QQQ:50", "-g", "rebalance=month,year", "-g", "band=2,5",
                 "--offline", "--workers", "1", "--out", out, env={"R2K_HOME": str(home.root)})
    assert res.exit_code == 0, res.output
    start = max(IWM.index[0], SPY.index[0], LATE.index[0])
    end = min(IWM.index[-1], SPY.index[-1], LATE.index[-1])
    assert len(titles) == 1 and f"{start:%Y-%m-%d}..{end:%Y-%m-%d}" in titles[0], titles
    assert (out / "heatmap.png").stat().st_size > 0
