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
    """pandas.py / numpy.py / r2k.py / quantstats.py in the cwd are never imported by compare or its workers."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    for name in ("pandas", "numpy", "r2k", "quantstats", "matplotlib"):
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
    assert proc.stderr.strip().splitlines()[-1].startswith("error: 1 of 2 combinations failed")
    import csv

    rows = {r["p.quit"]: r for r in csv.DictReader((out / "results.csv").open())}
    assert "sys.exit(" in rows["1"]["error"] and rows["1"]["cagr"] == ""
    iwm = random_walk(300, seed=1, start="2018-01-01")
    assert rows["0"]["error"] == ""
    assert float(rows["0"]["total_return"]) == pytest.approx(iwm["close"].iloc[-1] / iwm["open"].iloc[1] - 1, rel=1e-9)
