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
