"""Fault scripts for processes: what child processes import, how they stop, and that none stays behind.

Every command runs as a real subprocess on synthetic data in a temporary store (no network).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from r2k.data.store import Store
from tests.util import put_prices, random_walk

R2K = str(Path(sys.executable).parent / "r2k")  # the console script: its sys.path does not start with the cwd


@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path / "home")
    put_prices(st, "IWM", random_walk(300, seed=1, start="2018-01-01"))
    put_prices(st, "SPY", random_walk(300, seed=2, start="2018-01-01", vol=0.009))
    return st


def _env(store: Store) -> dict[str, str]:
    return {**os.environ, "R2K_HOME": str(store.root)}


TRAP = "open({marker!r}, 'w').write('ran')\nraise ImportError('a planted module in the current folder')\n"


@pytest.mark.skipif(not Path(R2K).exists(), reason="the r2k console script is not installed next to python")
def test_compare_runs_nothing_from_the_current_folder(store, tmp_path):
    """pandas.py, numpy.py, r2k.py, multiprocessing.py ... in the cwd are never imported by compare, its fork
    server, resource tracker or workers."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    for name in ("pandas", "numpy", "r2k", "quantstats", "matplotlib", "multiprocessing"):
        (cwd / f"{name}.py").write_text(TRAP.format(marker=str(tmp_path / f"ran-{name}")))
    proc = subprocess.run([R2K, "compare", "buy-and-hold", "dca", "--offline", "--out", "cmp"], cwd=cwd,
                          env=_env(store), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.glob("ran-*")) == []
    assert (cwd / "cmp" / "index.html").exists()
    assert any((cwd / "cmp").glob("*/tearsheet.html"))  # the tear-sheet workers did run



# --------------------------------------------------------------------------------------------
# point 6: sys.exit() in a strategy is a strategy error


EXITING_RULE = '''
import sys

from r2k.strategies.base import AllocationRule, Target


class Quitter(AllocationRule):
    """Hold IWM; with quit=1 the rule calls sys.exit(), as a script would."""

    name = "quitter"
    params = {"quit": 1, "code": 0}

    def assets(self):
        return ["IWM"]

    def target(self, view):
        if self.quit:
            sys.exit(self.code or None)
        return Target({"IWM": 1.0}, "iwm")
'''


def _user_strategy(tmp_path: Path, source: str, name: str = "mine.py") -> Path:
    folder = tmp_path / "strategies"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(source)
    return folder


@pytest.mark.parametrize("code", [0, 3])
def test_sys_exit_in_a_strategy_fails_run_with_one_line_and_no_folder(store, tmp_path, monkeypatch, code):
    from tests.util import invoke, one_line_error

    folder = _user_strategy(tmp_path, EXITING_RULE)
    monkeypatch.chdir(tmp_path)
    res = invoke("run", "quitter", "--strategy-path", folder, "-p", f"code={code}", "--offline", "--no-tearsheet",
                 "--benchmark", "none", "--out", tmp_path / "out", env={"R2K_HOME": str(store.root)})
    line = one_line_error(res, 1)
    assert "mine.py:" in line and "sys.exit(" in line and "quitter" in line
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_sys_exit_in_sweep_workers_is_an_error_row(store, tmp_path):
    """Two worker processes; the quit=1 combination exits: its row says why, the other is computed."""
    folder = _user_strategy(tmp_path, EXITING_RULE)
    out = tmp_path / "sw"
    proc = subprocess.run([R2K, "sweep", "quitter", "--strategy-path", str(folder), "-g", "quit=0,1", "--workers", "2",
                           "--offline", "--benchmark", "none", "--out", str(out)], cwd=tmp_path, env=_env(store),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 2, proc.stderr  # count + error
    assert proc.stderr.strip().splitlines()[-1].startswith("error: 1 of ")
    import csv

    rows = {r["p.quit"]: r for r in csv.DictReader((out / "results.csv").open())}
    assert "sys.exit(" in rows["1"]["error"] and rows["1"]["cagr"] == ""
    iwm = random_walk(300, seed=1, start="2018-01-01")
    assert rows["0"]["error"] == ""
    assert float(rows["0"]["total_return"]) == pytest.approx(iwm["close"].iloc[-1] / iwm["open"].iloc[1] - 1, rel=1e-9)


# --------------------------------------------------------------------------------------------
# point 5: sweeps and compares stop, and leave no process behind

BLOCKER = Path(__file__).parent / "samples" / "blocking_rule.py"


def blocker_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A strategy folder holding only the blocking rule, and its gate folder."""
    return _user_strategy(tmp_path, BLOCKER.read_text(), "blocking_rule.py"), _gate(tmp_path)


def _gate(tmp_path: Path) -> Path:
    gate = tmp_path / "gate"
    gate.mkdir(exist_ok=True)
    return gate


def start(cmd: list[str], store: Store, cwd: Path, log: Path) -> subprocess.Popen:
    """The command in a session of its own; stderr to a file (a leftover worker would hold a pipe open)."""
    with log.open("wb") as err:
        return subprocess.Popen(cmd, cwd=cwd, env=_env(store), stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)


def wait_for(cond, seconds: float = 90, what: str = "") -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def session_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def kill_session(pgid: int) -> None:
    import contextlib
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def started(gate: Path) -> list[Path]:
    return list(gate.glob("started-*"))


def sweep_cmd(folder: Path, gate: Path, out: Path, grid: str, *extra: str) -> list[str]:
    return [R2K, "sweep", "blocker", "--strategy-path", str(folder), "-g", grid, "-p", f"gate={gate}",
            "--offline", "--benchmark", "none", "--out", str(out), *extra]


@pytest.mark.parametrize("how", ["sigterm", "kill-9"])
def test_sweep_workers_in_a_loop_end_with_their_parent(store, tmp_path, how):
    """SIGTERM to the parent alone: it stops at once (130); kill -9 of the parent: its workers end too."""
    import signal

    folder, gate = blocker_folder(tmp_path)
    log = tmp_path / "stderr.txt"
    p = start(sweep_cmd(folder, gate, tmp_path / "sw", "n=1:6", "-p", "spin=1", "--workers", "2"), store,
              tmp_path, log)
    try:
        wait_for(lambda: len(started(gate)) == 2, what="both workers looping")
        if how == "sigterm":
            p.send_signal(signal.SIGTERM)
            assert p.wait(timeout=15) == 130, log.read_text()
            err = log.read_text()
            assert "Traceback" not in err and "rerun the same command" in err, err
        else:
            p.kill()
            p.wait(timeout=15)
        wait_for(lambda: session_gone(p.pid), 15, "the workers to end")
        assert len(started(gate)) == 2  # no worker took another combination
    finally:
        kill_session(p.pid)


def test_a_second_ctrl_c_stops_at_once(store, tmp_path):
    """A strategy that swallows KeyboardInterrupt outlives the first Ctrl-C; the second one ends the command."""
    import signal
    import time

    folder, gate = blocker_folder(tmp_path)
    log = tmp_path / "stderr.txt"
    p = start(sweep_cmd(folder, gate, tmp_path / "sw", "n=1:3", "-p", "stubborn=1", "--workers", "1"), store,
              tmp_path, log)
    try:
        wait_for(lambda: started(gate), what="the combination to start waiting")
        os.killpg(p.pid, signal.SIGINT)
        time.sleep(0.5)
        assert p.poll() is None  # swallowed by the strategy: still running
        os.killpg(p.pid, signal.SIGINT)
        assert p.wait(timeout=10) == 130
        err = log.read_text()
        assert "stopped at once" in err and "Traceback" not in err, err
        wait_for(lambda: session_gone(p.pid), 10, "the session to end")
    finally:
        kill_session(p.pid)


def test_task_timeout_records_the_combination_as_an_error(store, tmp_path):
    """n=2 waits (for 60 s at most); n=1 and the baseline take well under a second each. 15 s leaves room
    for a loaded machine (worker start-up counts against the limit)."""
    folder, gate = blocker_folder(tmp_path)
    out = tmp_path / "sw"
    cmd = sweep_cmd(folder, gate, out, "n=1,2", "-p", "free=1", "--workers", "2", "--task-timeout", "15")
    proc = subprocess.run(cmd, cwd=tmp_path, env=_env(store), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "error: 1 of " in proc.stderr, proc.stderr
    import csv

    rows = {r["p.n"]: r for r in csv.DictReader((out / "results.csv").open()) if r.get("p.n")}
    assert rows["2"]["error"] == "timed out after 15 s" and rows["2"]["cagr"] == ""
    assert rows["1"]["error"] == "" and rows["1"]["cagr"] != ""
    assert len(started(gate)) == 1


def test_bad_task_timeout_is_a_usage_error(store, tmp_path):
    proc = subprocess.run([R2K, "sweep", "buy-and-hold", "-g", "symbol=IWM,SPY", "--task-timeout", "0", "--offline"],
                          cwd=tmp_path, env=_env(store), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "--task-timeout" in proc.stderr
    assert "range" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_kill_9_of_compare_leaves_no_tear_sheet_worker(store, tmp_path):
    """kill -9 while the tear sheets render: the workers and the fork server end too."""
    import time

    log = tmp_path / "stderr.txt"
    p = start([R2K, "compare", "buy-and-hold", "dca", "buy-and-hold symbol=SPY label=again", "--offline",
               "--out", str(tmp_path / "cmp")], store, tmp_path, log)
    try:
        wait_for(lambda: list(tmp_path.glob(".cmp.*.tmp/.tearsheets")), what="the tear sheets to start")
        time.sleep(0.3)
        p.kill()
        p.wait(timeout=15)
        wait_for(lambda: session_gone(p.pid), 20, "the tear-sheet workers to end")
    finally:
        kill_session(p.pid)
