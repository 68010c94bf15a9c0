"""Environment failures say what to do (issue 19 point 13): read-only store, full disk, a held lock,
long names, dates after 2262, a strategy's __init__, Ctrl-C exits 130 in every command."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from r2k.data import loader
from r2k.data import store as store_mod
from r2k.data.store import Store
from r2k.runner.cli import cli
from tests.util import FakeProvider, random_walk, write_csv

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path):
    """A store holding a synthetic IWM (600 days) imported from CSV."""
    write_csv(tmp_path / "csv", "IWM", random_walk(600, seed=4, start="2015-01-01"))
    h = tmp_path / "home"
    res = CliRunner().invoke(cli, ["data", "import", str(tmp_path / "csv")], env={"R2K_HOME": str(h)})
    assert res.exit_code == 0, res.output
    return h


def _one_clear_line(res, *needles):
    assert res.exit_code == 1, res.output
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "internal error" not in err and "Traceback" not in res.output, err
    for n in needles:
        assert n in err, err


def _raiser(code):
    def raise_(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return raise_


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.name.endswith(".tmp") or ".old-" in p.name]


def test_disk_full_while_writing_the_store_says_so_and_keeps_the_old_file(home, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    before = Store(home).read("prices", "IWM").meta.sha256
    write_csv(tmp_path / "csv2", "IWM", random_walk(300, seed=9))
    monkeypatch.setattr(pq, "write_table", _raiser(errno.ENOSPC))
    res = CliRunner().invoke(cli, ["data", "import", str(tmp_path / "csv2")], env={"R2K_HOME": str(home)})
    _one_clear_line(res, f"cannot write the store at {home}", "the disk is full (ENOSPC)", "free some space",
                    "nothing half-written was kept")
    assert Store(home).read("prices", "IWM").meta.sha256 == before and _leftovers(home) == []


def test_read_only_store_says_where_to_point_home(home, tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod.tempfile, "mkstemp", _raiser(errno.EROFS))
    res = CliRunner().invoke(cli, ["data", "import", str(tmp_path / "csv")], env={"R2K_HOME": str(home)})
    _one_clear_line(res, "the file system is read-only (EROFS)", "--home (or R2K_HOME)")


def test_a_store_without_write_permission_says_where_to_point_home(home, tmp_path, monkeypatch):
    """What chmod 0500 gives a non-root user (CI runs as root, where chmod does not stop writes)."""
    monkeypatch.setattr(store_mod.tempfile, "mkstemp", _raiser(errno.EACCES))
    res = CliRunner().invoke(cli, ["data", "import", str(tmp_path / "csv")], env={"R2K_HOME": str(home)})
    _one_clear_line(res, "permission denied (EACCES)", "--home (or R2K_HOME)")


def test_a_refresh_into_a_read_only_store_still_runs_on_the_cached_data(tmp_path, monkeypatch):
    store = Store(tmp_path)
    prov = FakeProvider("yahoo", {"IWM": random_walk(60)})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    monkeypatch.setattr(loader, "_stale", lambda meta, today=None: True)
    monkeypatch.setattr(store_mod.tempfile, "mkstemp", _raiser(errno.EROFS))
    said: list[str] = []
    got = loader.get("IWM", series=False, store=store, offline=False, warn=said.append, providers={"prices": prov})
    assert len(got.data) == 60
    assert len(said) == 1 and "using cached data" in said[0] and "read-only" in said[0]


HOLDER = """
import sys, time
from r2k.data.store import Store
lock = Store(sys.argv[1]).lock("prices", "IWM")
lock.__enter__()
print("held", flush=True)
time.sleep(60)
"""


def test_a_lock_held_by_another_process_is_named_and_the_wait_is_bounded(tmp_path, monkeypatch):
    from r2k.data.errors import StoreBusy

    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                             cwd=ROOT)
    try:
        assert child.stdout.readline().strip() == "held"
        monkeypatch.setattr(store_mod, "LOCK_NOTICE", 0.3)
        monkeypatch.setattr(store_mod, "LOCK_TIMEOUT", 1.2)
        said: list[str] = []
        prov = FakeProvider("yahoo", {"IWM": random_walk(60)})
        t0 = time.monotonic()
        with pytest.raises(StoreBusy) as err:
            loader.fetch("IWM", series=False, store=Store(tmp_path), providers={"prices": prov}, warn=said.append)
        took = time.monotonic() - t0
        assert 1.1 < took < 5
        assert len(said) == 1 and said[0].startswith("waiting for the store lock for prices IWM (held by pid "
                                                     f"{child.pid}")
        assert f"pid {child.pid}" in str(err.value) and "gave up after 1 s" in str(err.value)
        assert prov.calls == []  # nothing was asked while another process owned the name
    finally:
        child.kill()
        child.wait()
    # once the holder is gone (even killed), the lock is free at once
    got, _ = loader.fetch("IWM", series=False, store=Store(tmp_path), providers={"prices": prov})
    assert len(got.data) == 60


def test_a_name_too_long_for_the_file_system(home, tmp_path):
    out = tmp_path / ("x" * 300)
    res = CliRunner().invoke(cli, ["run", "buy-and-hold", "--offline", "--benchmark", "none", "--no-tearsheet",
                                   "--out", str(out)], env={"R2K_HOME": str(home)})
    _one_clear_line(res, "too long for the file system (ENAMETOOLONG)", "shorter")


def test_disk_full_while_writing_a_run_folder_leaves_nothing(home, tmp_path, monkeypatch):
    monkeypatch.setattr(pd.DataFrame, "to_csv", _raiser(errno.ENOSPC))
    out = tmp_path / "runs" / "bh"
    res = CliRunner().invoke(cli, ["run", "buy-and-hold", "--offline", "--benchmark", "none", "--no-tearsheet",
                                   "--out", str(out)], env={"R2K_HOME": str(home)})
    _one_clear_line(res, f"cannot write the run folder {out}", "the disk is full (ENOSPC)", "nothing half-written was kept")
    assert not out.exists() and list((tmp_path / "runs").iterdir()) == []


def test_dates_after_2262(home, tmp_path):
    folder = tmp_path / "late"
    folder.mkdir()
    (folder / "ZZZ.csv").write_text("date,close\n2020-01-02,10\n2300-01-03,11\n")
    res = CliRunner().invoke(cli, ["data", "import", str(folder)], env={"R2K_HOME": str(home)})
    assert res.exit_code == 1 and "ZZZ.csv: 2300-01-03 is outside 1677-09-22..2262-04-11" in res.stderr
    assert "internal error" not in res.stderr
    dates = tmp_path / "dates.csv"
    dates.write_text("date\n2300-01-03\n")
    res = CliRunner().invoke(cli, ["events", "--dates", str(dates), "--offline"], env={"R2K_HOME": str(home)})
    assert res.exit_code != 0 and "internal error" not in res.stderr and "Traceback" not in res.output


def test_a_full_disk_anywhere_else_is_described_without_promising_anything():
    from r2k.data.envfail import describe

    msg = describe(OSError(errno.ENOSPC, "No space left on device", "/x/results.csv"))
    assert msg == "cannot use /x/results.csv: the disk is full (ENOSPC); free some space and run it again"


def test_out_of_bounds_dates_are_described_anywhere():
    from r2k.data.envfail import describe

    with pytest.raises(Exception) as err:
        pd.Timestamp("2300-01-01").as_unit("ns")
    assert "2262-04-11" in describe(err.value)


BAD_INIT = '''
from r2k.strategies.base import AllocationRule, Target


class BadInit(AllocationRule):
    """Fails while it is built."""

    name = "bad-init"
    params = {}

    def __init__(self, **kw):
        super().__init__(**kw)
        raise ValueError("boom in init")

    def assets(self):
        return ["IWM"]

    def target(self, view):
        return Target({"IWM": 1.0}, "all in")
'''


def test_an_error_in_a_strategy_init_names_its_file_and_line(home, tmp_path):
    path = tmp_path / "bad_init.py"
    path.write_text(BAD_INIT)
    res = CliRunner().invoke(cli, ["run", f"{path}:BadInit", "--offline", "--benchmark", "none", "--no-tearsheet",
                                   "--out", str(tmp_path / "o")], env={"R2K_HOME": str(home)})
    _one_clear_line(res, f"{path.resolve()}:13: ValueError: boom in init (in strategy bad-init)")


SLOW = '''
import time
from pathlib import Path

from r2k.strategies.base import AllocationRule, Target


class Slow(AllocationRule):
    """Says it started, then takes far longer than any test waits."""

    name = "slow"
    params = {"n": 1}

    def assets(self):
        return ["IWM"]

    def target(self, view):
        Path(__file__).with_suffix(".started").touch()
        time.sleep(120)
        return Target({"IWM": 1.0}, "all in")
'''

COMMANDS = {
    "run": ["run", "{s}", "--no-tearsheet"],
    "compare": ["compare", "{s}", "buy-and-hold", "--no-tearsheet"],
    "sweep": ["sweep", "{s}", "-g", "n=1,2", "--workers", "1"],
    "walkforward": ["walkforward", "{s}", "-g", "n=1,2", "--train", "1y", "--test", "6m", "--workers", "1",
                    "--no-tearsheet"],
    "windows": ["windows", "{s}"],
    "simulate": ["simulate", "{s}", "--paths", "10"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_ctrl_c_exits_130_in_every_command(home, tmp_path, command):
    path = tmp_path / "slow.py"
    path.write_text(SLOW)
    started = path.with_suffix(".started")
    args = [a.format(s=f"{path}:Slow") for a in COMMANDS[command]]
    out = tmp_path / "out"
    env = {**os.environ, "R2K_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "r2k.runner", *args, "--offline", "--benchmark", "none",
                             "--out", str(out)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the strategy never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not out.exists() or command == "sweep"  # a sweep keeps the rows it finished (none here)
