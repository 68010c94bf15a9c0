"""Nothing the user has is lost (issue 19, points 1 and 3): an --out never deletes a folder r2k
did not write, and a sweep journal survives torn rows and a change of grid."""

from __future__ import annotations

import csv

import pytest

import r2k.runner.sweeps as sweep_mod
from r2k.reports.runfolder import MARKER, atomic_folder
from r2k.runner.spec import RunSpec
from tests.util import home_with, invoke, one_line_error, random_walk


@pytest.fixture
def home(tmp_path, monkeypatch):
    return home_with(tmp_path, monkeypatch, {name: random_walk(700, seed=seed, start="2015-01-01")
                                             for name, seed in (("IWM", 11), ("SPY", 12))})


def users_folder(path):
    (path / "ch").mkdir(parents=True)
    (path / "ch" / "1.txt").write_text("my thesis")
    return path


@pytest.mark.parametrize("command", [
    ["run", "buy-and-hold", "--no-tearsheet"],
    ["compare", "buy-and-hold", "trend-filter", "--no-tearsheet"],
    ["walkforward", "trend-filter", "-g", "window=20,40", "--train", "1y", "--test", "6m", "--no-tearsheet"],
    ["sweep", "trend-filter", "-g", "window=20,40", "--workers", "1"],
])
def test_out_naming_a_users_folder_is_refused_and_left_intact(home, tmp_path, command):
    thesis = users_folder(tmp_path / "thesis")
    res = invoke(*command, "--offline", "--out", thesis, env={"R2K_HOME": str(home.root)})
    line = one_line_error(res, 2)
    assert "thesis" in line and "did not write" in line
    assert (thesis / "ch" / "1.txt").read_text() == "my thesis"
    assert sorted(p.name for p in thesis.iterdir()) == ["ch"]


def test_out_in_a_config_file_is_refused_too(home, tmp_path):
    thesis = users_folder(tmp_path / "thesis")
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'strategy = "buy-and-hold"\nout = "{thesis}"\ntearsheet = false\n')
    res = invoke("run", "--config", cfg, "--offline", env={"R2K_HOME": str(home.root)})
    one_line_error(res, 2)
    assert (thesis / "ch" / "1.txt").read_text() == "my thesis"


def test_a_folder_r2k_wrote_is_replaced_and_an_empty_one_used(home, tmp_path):
    out = tmp_path / "mine"
    for _ in range(2):  # the second run replaces the first one's folder
        res = invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", out, env={"R2K_HOME": str(home.root)})
        assert res.exit_code == 0, res.output
        assert (out / MARKER).is_file() and (out / "metrics.json").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    res = invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", empty, env={"R2K_HOME": str(home.root)})
    assert res.exit_code == 0 and (empty / "metrics.json").is_file()


def test_atomic_folder_checks_again_just_before_the_rename(tmp_path):
    """A user's folder that appears while the run computes is not replaced either."""
    target = tmp_path / "late"

    def fill(tmp):
        (tmp / "x.txt").write_text("r2k")
        users_folder(target)

    with pytest.raises(Exception, match="did not write"):
        atomic_folder(target, fill)
    assert (target / "ch" / "1.txt").read_text() == "my thesis"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late"]  # no temp folder left


def test_an_earlier_versions_run_folder_is_still_replaceable(home, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "manifest.json").write_text('{"run_key": "abc", "spec": {}}')
    res = invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", old, env={"R2K_HOME": str(home.root)})
    assert res.exit_code == 0, res.output
    # a manifest.json of someone else's (no run key) does not make a folder ours
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text('{"name": "my web app"}')
    res = invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", other, env={"R2K_HOME": str(home.root)})
    one_line_error(res, 2)
    assert (other / "manifest.json").read_text() == '{"name": "my web app"}'


BASE = RunSpec("trend-filter", {"risk_off": "SPY"}, benchmark=None, engine="vector")


def keys(path):
    with path.open(newline="") as fh:
        return [r["key"] for r in csv.DictReader(fh)]


def test_a_torn_last_row_is_recomputed_not_counted_as_done(home, tmp_path):
    folder = tmp_path / "sw"
    sweep_mod.sweep(BASE, {"window": [20, 40, 60]}, folder, offline=True, workers=1)
    results = folder / "results.csv"
    complete = results.read_text()
    lines = complete.splitlines(keepends=True)
    lines = lines[:1] + sorted(lines[1:], key=lambda line: ",trial," in line)  # a trial row last
    torn_key = lines[-1].split(",")[0]
    # the crash cut the last row in the middle of a number: it still has its key and every column
    results.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) - 6])
    assert len(sweep_mod.read_rows(results)) == 3  # two trials and the baseline (IWM held)
    out = sweep_mod.sweep(BASE, {"window": [20, 40, 60]}, folder, offline=True, workers=1)
    assert out.computed == 1 and out.reused == 2
    assert torn_key in {r["key"] for r in out.rows}
    with results.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and all(None not in r.values() for r in rows)
    assert sorted(results.read_text().splitlines()) == sorted(complete.splitlines())


def test_a_row_with_missing_fields_is_not_a_result(home, tmp_path):
    folder = tmp_path / "sw"
    sweep_mod.sweep(BASE, {"window": [20, 40]}, folder, offline=True, workers=1)
    results = folder / "results.csv"
    lines = results.read_text().splitlines(keepends=True)
    first = lines[1].split(",")
    results.write_text("".join(lines[:2]) + ",".join(first[:3]) + "\r\n")  # a short row that ends its line
    assert len(sweep_mod.read_rows(results)) == 1


def test_reusing_a_sweep_folder_with_another_grid_keeps_every_row_and_column(home, tmp_path):
    folder = tmp_path / "sw"
    first = sweep_mod.sweep(BASE, {"window": [20, 40]}, folder, offline=True, workers=1)
    second = sweep_mod.sweep(BASE, {"window": [60], "risk_off": ["SPY", "IWM"]}, folder, offline=True, workers=1)
    assert len(second.rows) == 2  # what this grid asked for
    with (folder / "results.csv").open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = reader.fieldnames
    assert {"p.window", "p.risk_off"} <= set(header)
    trials = [r for r in rows if r["role"] == "trial"]
    assert {r["key"] for r in first.rows} | {r["key"] for r in second.rows} == {r["key"] for r in trials}
    assert len(trials) == 4
    earlier = {r["key"]: r for r in rows}[first.rows[0]["key"]]
    assert earlier["p.window"] in ("20", "40") and earlier["p.risk_off"] == "SPY"


def test_a_sweep_folder_of_other_settings_is_refused(home, tmp_path):
    folder = tmp_path / "sw"
    sweep_mod.sweep(BASE, {"window": [20]}, folder, offline=True, workers=1)
    before = (folder / "results.csv").read_text()
    from dataclasses import replace

    from r2k.data.errors import UsageError

    with pytest.raises(UsageError, match="other settings.*cash"):
        sweep_mod.sweep(replace(BASE, cash=5000.0), {"window": [20]}, folder, offline=True, workers=1)
    assert (folder / "results.csv").read_text() == before
