"""Sweeps and walk-forward: grids, executors that agree, resume without recomputing, no leakage."""

import csv

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import r2k.runner.sweeps as sweep_mod
from r2k.data.errors import UsageError
from r2k.data.store import Meta, Store
from r2k.runner.cli import cli
from r2k.runner.grid import combinations, parse_grid
from r2k.runner.spec import RunSpec
from r2k.runner.walkforward import make_windows, parse_duration, walk_forward
from tests.util import assert_group_gone, home_with, needs_real_data, random_walk

DEFAULTS = {"window": 200, "risk_off": "CASH", "symbols": ["IWM", "SPY"], "x": 0.5}


def test_grid_lists_and_inclusive_ranges():
    g = parse_grid(["window=50:250:50", "risk_off=SPY,CASH"], DEFAULTS, "t")
    assert g == {"window": [50, 100, 150, 200, 250], "risk_off": ["SPY", "CASH"]}
    assert len(combinations(g)) == 10
    assert parse_grid(["x=0.1:0.3:0.1"], DEFAULTS, "t")["x"] == pytest.approx([0.1, 0.2, 0.3])
    assert parse_grid(["symbols=IWM,SPY;IWM,QQQ"], DEFAULTS, "t")["symbols"] == [["IWM", "SPY"], ["IWM", "QQQ"]]


@pytest.mark.parametrize("opt,msg", [
    ("windw=1,2", "unknown parameter"),
    ("window=250:50:50", "empty range"),
    ("window=1:2:3:4", "bad range"),
    ("window=a:b", "bad range"),
    ("window=", "no values"),
    ("window=1,,2", "empty value"),
    ("window=1:5:0", "step"),
    ("window=ten", "bad value"),
    ("window", "not key=values"),
])
def test_bad_grids_are_usage_errors(opt, msg):
    with pytest.raises(UsageError, match=msg):
        parse_grid([opt], DEFAULTS, "t")


@pytest.fixture
def synth_home(tmp_path, monkeypatch):
    return home_with(tmp_path, monkeypatch, {name: random_walk(1500, seed=seed, start="2010-01-01")
                                             for name, seed in (("IWM", 11), ("SPY", 12))})


def test_cli_bad_grid_exits_2(synth_home):
    res = CliRunner().invoke(cli, ["sweep", "trend-filter", "-g", "window=9:1", "--offline"])
    assert res.exit_code == 2 and res.stderr.startswith("error: ") and "empty range" in res.stderr


def test_interrupted_sweep_resumes_without_recomputing(synth_home, tmp_path, monkeypatch):
    base = RunSpec("trend-filter", {"risk_off": "SPY"}, benchmark=None, engine="vector")
    grid = {"window": [20, 40, 60, 80, 100]}
    real = sweep_mod.evaluate_batch
    calls = []

    def crashing(tasks, error_rows=False):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.extend((t.key, t.role) for t in tasks)
        return real(tasks, error_rows)

    monkeypatch.setattr(sweep_mod, "BATCH", 1)  # one combination per batch: the crash comes mid-sweep
    monkeypatch.setattr(sweep_mod, "evaluate_batch", crashing)
    folder = tmp_path / "sw"
    with pytest.raises(KeyboardInterrupt):
        sweep_mod.sweep(base, grid, folder, offline=True, workers=1)
    with (folder / "results.csv").open() as fh:
        kept = [r["key"] for r in csv.DictReader(fh)]
    assert sorted(kept) == sorted(k for k, _ in calls)  # every finished combination was on disk at the crash
    assert [r for _, r in calls] == ["baseline", "trial", "trial"]  # the reference row (IWM held) comes first

    counted = []
    monkeypatch.setattr(sweep_mod, "evaluate_batch",
                        lambda tasks, error_rows=False: counted.extend((t.key, t.role) for t in tasks)
                        or real(tasks, error_rows))
    out = sweep_mod.sweep(base, grid, folder, offline=True, workers=1)
    assert len(counted) == 3 and not {k for k, _ in counted} & {k for k, _ in calls}
    assert {r for _, r in counted} == {"trial"}
    assert (out.computed, out.reused) == (3, 2)
    assert [b["label"] for b in out.baselines] == ["IWM held (the strategy's main symbol)"]
    assert sorted(int(r["p.window"]) for r in out.rows) == [20, 40, 60, 80, 100]
    cagrs = [float(r["cagr"]) for r in out.rows]
    assert cagrs == sorted(cagrs, reverse=True)  # ranked by the metric


def test_changed_spec_does_not_reuse_rows(synth_home, tmp_path):
    folder = tmp_path / "sw2"
    grid = {"window": [20, 40]}
    sweep_mod.sweep(RunSpec("trend-filter", {"risk_off": "SPY"}, benchmark=None, engine="vector"), grid, folder, offline=True)
    changed = RunSpec("trend-filter", {"risk_off": "SPY"}, benchmark=None, engine="vector", commission_bps=10)
    with pytest.raises(UsageError, match="commission_bps differ"):  # its rows would answer another question
        sweep_mod.sweep(changed, grid, folder, offline=True)
    assert sweep_mod.combo_key(changed, changed.params, "s") != sweep_mod.combo_key(
        RunSpec("trend-filter", {"risk_off": "SPY"}, benchmark=None, engine="vector"), changed.params, "s")


def _rows_by_params(rows):
    return {(r["p.lookback_months"], r["p.risk_off"]): r for r in rows}


@needs_real_data
def test_executors_give_identical_rows(real_home, tmp_path, monkeypatch):
    monkeypatch.setenv("R2K_HOME", str(real_home))
    base = RunSpec("rate-cut-rotation", {}, start="2000-06-01", end="2025-09-26", engine="vector")
    grid = {"lookback_months": [3, 12], "risk_off": ["SPY", "CASH"]}
    outs = {}
    for label, kw in (("inproc", {"workers": 1}), ("pool", {"workers": 2}), ("dask", {"dask_local": 2})):
        outs[label] = _rows_by_params(sweep_mod.sweep(base, grid, tmp_path / label, offline=True, **kw).rows)
    keys = ["cagr", "sharpe", "max_drawdown", "final_value", "trades"]
    for label in ("pool", "dask"):
        assert outs[label].keys() == outs["inproc"].keys()
        for k, row in outs["inproc"].items():
            assert [row[m] for m in keys] == [outs[label][k][m] for m in keys], (label, k)
    # the ranking row for (12, SPY) equals a single run of the same spec
    from r2k.reports.runfolder import compute_metrics
    from r2k.runner.engine import run

    single = compute_metrics(run(RunSpec("rate-cut-rotation", {"lookback_months": 12, "risk_off": "SPY"},
                                         start="2000-06-01", end="2025-09-26", engine="backtrader"), offline=True))
    assert outs["dask"][(12, "SPY")]["cagr"] == pytest.approx(single["cagr"], rel=1e-9)


# -- walk-forward ---------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n=st.integers(300, 2500), train=st.integers(1, 4), test=st.integers(1, 12), expanding=st.booleans())
def test_windows_never_overlap_their_test_period(n, train, test, expanding):
    cal = pd.bdate_range("2001-01-01", periods=n)
    try:
        ws = make_windows(cal, parse_duration(f"{train}y", "train"), parse_duration(f"{test}m", "test"), expanding)
    except UsageError:
        assert cal[-1] < cal[0] + pd.DateOffset(years=train) + pd.DateOffset(days=3)
        return
    for a, b in zip(ws, ws[1:], strict=False):
        assert b.train_end == a.test_end  # test periods tile the span, each starting the day after the last
    for w in ws:
        assert w.train_start <= w.train_end < w.test_end <= cal[-1]
        if not expanding:
            assert w.train_end < w.train_start + pd.DateOffset(years=train)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 1000), k=st.integers(0, 2))
def test_walkforward_choice_ignores_data_after_training(seed, k, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("wf")
        mp.setenv("R2K_HOME", str(home))
        _check_walkforward_choice(seed, k, home, batched=bool(seed % 2))


def _check_walkforward_choice(seed, k, home, batched=False):
    from r2k.runner.engine import run
    from r2k.runner.sweeps import measure_many, rank_grid, rank_grids

    store = Store(home)
    base_frame = random_walk(1300, seed=seed, start="2010-01-01", vol=0.02)
    meta = Meta(name="IWM", kind="prices", source="csv:t", fetched_at="2025-01-01T00:00:00+00:00", adjustment="",
                start="", end="", rows=0, sha256="")
    spy = random_walk(1300, seed=seed + 1, start="2010-01-01")
    base = RunSpec("trend-filter", {"risk_off": "SPY"}, benchmark=None, engine="vector")
    grid = {"window": [10, 50, 120]}

    def go(frame):
        store.write("prices", "IWM", frame, meta)
        store.write("prices", "SPY", spy, Meta(**{**meta.__dict__, "name": "SPY"}))
        if batched:  # every window in one evaluation, as the CLI runs it
            return walk_forward(base, grid, "1y", "1y", calendar=frame.index,
                                run_grids=lambda ss, g, done: rank_grids(ss, g, metric="cagr", store=store,
                                                                         on_ranked=done),
                                run_tests=lambda ss: measure_many(ss, store=store, basis="daily"),
                                run_one=lambda s: run(s, offline=True))
        return walk_forward(base, grid, "1y", "1y", calendar=frame.index,
                            run_grid=lambda s, g: rank_grid(s, g, metric="cagr"),
                            run_one=lambda s: run(s, offline=True))

    first = go(base_frame)
    cut = pd.Timestamp(first.chosen[k]["train_end"])
    rng = np.random.default_rng(seed)
    changed = base_frame.copy()
    after = changed.index > cut
    factor = np.exp(np.cumsum(rng.normal(0, 0.03, after.sum())))
    for col in ("open", "high", "low", "close", "adj_close"):
        changed.loc[after, col] = changed.loc[after, col] * factor
    second = go(changed)
    for i in range(k + 1):
        assert first.chosen[i]["params"] == second.chosen[i]["params"]
        assert first.chosen[i]["train_metric"] == second.chosen[i]["train_metric"]


@needs_real_data
@pytest.mark.parametrize("workers", [1, 2])
def test_walkforward_of_all_windows_at_once_equals_window_by_window(real_home, workers):
    """The CLI's walk-forward ranks every window's grid in one evaluation (sweeps.rank_grids, one
    pool) and measures every test period in one batch call (sweeps.measure_many); the choices, the
    training metrics and the stitched out-of-sample returns are those of one window at a time."""
    from r2k.runner.engine import run
    from r2k.runner.sweeps import measure, measure_many, rank_grid, rank_grids

    store = Store(real_home)
    base = RunSpec("trend-filter", {}, start="2004-01-01", end="2013-12-31", engine="vector", commission_bps=2.0)
    grid = {"window": [30, 90, 150, 210]}
    calendar = pd.bdate_range("2004-01-02", "2013-12-31")
    steps = []
    one = walk_forward(base, grid, "3y", "1y", calendar=calendar, metric="sharpe",
                       run_grid=lambda s, g: rank_grid(s, g, metric="sharpe", store=store),
                       run_test=lambda s: measure(s, store=store, basis="daily"),
                       run_one=lambda s: run(s, store=store, offline=True))
    many = walk_forward(base, grid, "3y", "1y", calendar=calendar, metric="sharpe",
                        run_grids=lambda ss, g, done: rank_grids(ss, g, metric="sharpe", store=store, workers=workers,
                                                                 on_ranked=done),
                        run_tests=lambda ss: measure_many(ss, store=store, basis="daily"),
                        run_one=lambda s: run(s, store=store, offline=True, compiled=True),
                        on_step=lambda done, total: steps.append((done, total)))
    assert len(one.windows) >= 5 and one.chosen == many.chosen
    assert one.oos_returns.equals(many.oos_returns) and one.insample_params == many.insample_params
    assert one.insample_returns.equals(many.insample_returns)
    assert steps == [(i, len(one.windows) + 1) for i in range(1, len(one.windows) + 2)]


def test_cli_sweep_writes_ranked_results_and_heatmap(synth_home, tmp_path):
    out = tmp_path / "cli_sw"
    args = ["sweep", "trend-filter", "-g", "window=20:60:20", "-g", "risk_off=SPY,IWM", "--offline", "--workers", "1",
            "--benchmark", "none", "--out", str(out), "--metric", "sharpe"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    rows = [r for r in csv.DictReader((out / "results.csv").open()) if r["role"] == "trial"]
    assert len(rows) == 6
    sharpes = [float(r["sharpe"]) for r in rows]
    assert sharpes == sorted(sharpes, reverse=True)
    assert (out / "heatmap.png").stat().st_size > 5_000
    assert "window" in res.stdout.splitlines()[0]
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "6 combinations were already done, 0 computed" in again.stderr


def test_cli_walkforward_lists_windows(synth_home, tmp_path):
    out = tmp_path / "wf"
    res = CliRunner().invoke(cli, ["walkforward", "trend-filter", "-g", "window=20,60", "-p", "risk_off=SPY",
                                   "--train", "2y", "--test", "1y", "--offline", "--workers", "1", "--benchmark", "none",
                                   "--out", str(out), "--no-tearsheet"])
    assert res.exit_code == 0, res.output
    windows = pd.read_csv(out / "windows.csv")
    assert len(windows) >= 2 and set(windows["p.window"]) <= {20, 60}
    oos = pd.read_csv(out / "oos_returns.csv", parse_dates=["date"])
    assert oos["date"].is_unique and oos["date"].is_monotonic_increasing
    assert oos["date"].iloc[0] > pd.Timestamp(windows["train_end"].iloc[0])
    assert "out-of-sample total return" in res.stdout


USER_RULE = '''
from r2k.strategies.base import AllocationRule, Target


class HalfHalf(AllocationRule):
    """Hold `weight` in IWM and the rest in SPY, rebalanced monthly."""

    name = "half-half"
    params = {"weight": 0.5}

    def assets(self):
        return ["IWM", "SPY"]

    def target(self, view):
        return Target({"IWM": self.weight, "SPY": 1.0 - self.weight}, f"{self.weight:.2f}")
'''


@pytest.mark.parametrize("executor", [["--workers", "2"], ["--dask-local", "1"]], ids=["processes", "dask"])
def test_user_strategy_sweeps_in_worker_processes(synth_home, tmp_path, executor):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "half.py").write_text(USER_RULE)
    out = tmp_path / f"sw-{executor[0]}"
    res = CliRunner().invoke(cli, ["sweep", "half-half", "--strategy-path", str(folder), "-g", "weight=0:1:0.5",
                                   "--offline", "--benchmark", "none", "--out", str(out), *executor])
    assert res.exit_code == 0, res.output
    rows = {float(r["p.weight"]): r for r in csv.DictReader((out / "results.csv").open()) if r["role"] == "trial"}
    assert set(rows) == {0.0, 0.5, 1.0}
    # weight 1 is buy-and-hold IWM bought at the second day's open: check against the prices
    iwm = random_walk(1500, seed=11, start="2010-01-01")
    assert float(rows[1.0]["total_return"]) == pytest.approx(iwm["close"].iloc[-1] / iwm["open"].iloc[1] - 1, rel=1e-9)


class _Stream:
    def __init__(self, tty: bool):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_progress_shows_done_total_rate_eta_only_on_a_terminal():
    from r2k.runner.progress import Progress

    tty, pipe = _Stream(True), _Stream(False)
    for stream in (tty, pipe):
        bar = Progress(10, done=4, stream=stream)
        bar.step()
        bar.step()
        bar.close()
    last = tty.text.strip().split("\r")[-1]
    assert last.startswith("6/10") and "/s" in last and "ETA" in last
    assert pipe.text == ""


def test_ctrl_c_stops_the_pool_at_once_and_keeps_finished_rows(synth_home, tmp_path):
    """Deterministic, whatever the machine's load: combinations 1-3 finish, 4 and up wait for a file
    that never comes (tests/samples/blocking_rule.py), so the sweep cannot end before the Ctrl-C."""
    import contextlib
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    folder, gate = tmp_path / "strategies", tmp_path / "gate"
    folder.mkdir()
    gate.mkdir()
    (folder / "blocking_rule.py").write_text((Path(__file__).parent / "samples" / "blocking_rule.py").read_text())
    out = tmp_path / "int"
    cmd = [sys.executable, "-m", "r2k.runner", "sweep", "blocker", "--strategy-path", str(folder), "-g", "n=1:8",
           "-p", "free=3", "-p", f"gate={gate}", "--offline", "--benchmark", "none", "--workers", "2",
           "--out", str(out)]
    log = tmp_path / "stderr.txt"  # a file, not a pipe: a leftover worker would hold a pipe open
    with log.open("wb") as err_file:
        p = subprocess.Popen(cmd, stderr=err_file, stdout=subprocess.DEVNULL, start_new_session=True,
                             env={**os.environ, "R2K_HOME": str(synth_home.root)})
    try:
        def trial_rows():  # the baseline (buy-and-hold IWM) is a row too, finished before or after these
            return [r for r in sweep_mod.read_rows(out / "results.csv") if r.get("p.n")]

        deadline = time.time() + 90
        while time.time() < deadline and not (len(trial_rows()) == 3 and len(list(gate.glob("started-*"))) == 2):
            time.sleep(0.05)
        assert len(list(gate.glob("started-*"))) == 2, "the two workers never reached the waiting combinations"
        os.killpg(p.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        t0 = time.time()
        assert p.wait(timeout=30) == 130 and time.time() - t0 < 10
        err = log.read_text()
        assert "rerun the same command" in err and "Traceback" not in err, err
        assert sorted(r["p.n"] for r in trial_rows()) == ["1", "2", "3"]  # exactly the finished ones
        assert len(list(gate.glob("started-*"))) == 2  # no worker took another combination
        assert_group_gone(p.pid)  # no worker of that session is left
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # only if the test failed: leave nothing running
