"""Sharing (issue 19 point 14): what the store and a run write gets the modes the umask gives any
file or folder (mkstemp's 0600 and mkdtemp's 0700 ignored it); a strict umask keeps them private."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from r2k.runner.cli import cli
from tests.util import random_walk, write_csv


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077], ids=["022", "027", "077"])
def test_store_and_run_folder_modes_follow_the_umask(tmp_path, umask):
    write_csv(tmp_path / "csv", "IWM", random_walk(300, seed=2))
    home, out = tmp_path / "home", tmp_path / "runs" / "bh"
    old = os.umask(umask)
    try:
        probe_file, probe_dir = tmp_path / "probe.txt", tmp_path / "probe"
        probe_file.write_text("x")  # what any program's plain open() and mkdir() get under this umask
        probe_dir.mkdir()
        res = CliRunner().invoke(cli, ["data", "import", str(tmp_path / "csv")], env={"R2K_HOME": str(home)})
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(cli, ["run", "buy-and-hold", "--offline", "--benchmark", "none", "--no-tearsheet",
                                       "--out", str(out)], env={"R2K_HOME": str(home)})
        assert res.exit_code == 0, res.output
    finally:
        os.umask(old)
    want_file, want_dir = _mode(probe_file), _mode(probe_dir)
    assert want_file == 0o666 & ~umask and want_dir == 0o777 & ~umask
    stored = [home / "prices" / "IWM.parquet", *sorted((home / "locks").glob("*.lock"))]
    assert len(stored) == 2
    assert {p.name: _mode(p) for p in stored} == {p.name: want_file for p in stored}
    assert {p.name: _mode(p) for p in (home / "prices", home / "locks")} == {"prices": want_dir, "locks": want_dir}
    assert _mode(out) == want_dir
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and {p.name: _mode(p) for p in files} == {p.name: want_file for p in files}
    if umask == 0o077:  # a strict umask: nobody else can read anything r2k wrote
        assert all(_mode(p) & 0o077 == 0 for p in [*stored, out, *files])
