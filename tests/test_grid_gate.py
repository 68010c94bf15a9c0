"""Huge grids ask first (issue 19 point 15): the count and an estimated time, then --yes or y/N;
without a terminal and without --yes, exit 2 before anything starts."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from r2k.data.errors import UsageError
from r2k.runner import cli_gridgate
from r2k.runner.cli import cli
from tests.util import random_walk, write_csv

TWO_PARAMS = '''
from r2k.strategies.base import AllocationRule, Target


class TwoKnobs(AllocationRule):
    """All in IWM whatever the knobs say."""

    name = "two-knobs"
    params = {"a": 1, "b": 1}

    def assets(self):
        return ["IWM"]

    def target(self, view):
        return Target({"IWM": 1.0}, "all in")
'''


@pytest.fixture
def env(tmp_path):
    write_csv(tmp_path / "csv", "IWM", random_walk(400, seed=4, start="2015-01-01"))
    home = tmp_path / "home"
    res = CliRunner().invoke(cli, ["data", "import", str(tmp_path / "csv")], env={"R2K_HOME": str(home)})
    assert res.exit_code == 0, res.output
    (tmp_path / "knobs.py").write_text(TWO_PARAMS)
    return {"R2K_HOME": str(home)}, f"{tmp_path / 'knobs.py'}:TwoKnobs"


def test_a_million_combinations_without_yes_exit_2_before_starting(env, tmp_path):
    envvars, strategy = env
    out = tmp_path / "sweep"
    t0 = time.monotonic()
    res = CliRunner().invoke(cli, ["sweep", strategy, "-g", "a=1:1000", "-g", "b=1:1000", "--workers", "2",
                                   "--offline", "--benchmark", "none", "--out", str(out)], env=envvars)
    took = time.monotonic() - t0
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    # 1e6 backtests x 0.3 s / 2 workers = 150,000 s = 41.7 h, said as an estimate before the refusal
    assert lines[0].startswith("1,000,000 combinations: estimated 41.7 h with 2 workers (an estimate")
    assert lines[-1] == ("error: 1,000,000 combinations is above the limit of 10,000: add --yes to start it anyway, "
                         "or use a coarser grid")
    assert not out.exists() and took < 10  # nothing started, nothing written


def test_with_yes_it_starts_after_saying_the_count(env, tmp_path, monkeypatch):
    envvars, strategy = env
    monkeypatch.setattr(cli_gridgate, "GRID_LIMIT", 3)
    out = tmp_path / "sweep"
    res = CliRunner().invoke(cli, ["sweep", strategy, "-g", "a=1,2", "-g", "b=1,2", "--workers", "1", "--yes",
                                   "--offline", "--benchmark", "none", "--out", str(out)], env=envvars)
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines()[0].startswith("4 combinations: estimated 1 s with 1 worker (an estimate")
    import pandas as pd

    rows = pd.read_csv(out / "results.csv")
    assert (rows["role"] == "trial").sum() == 4  # the four combinations ran (beside their baselines)


def test_small_grids_pass_silently(env, tmp_path):
    envvars, strategy = env
    res = CliRunner().invoke(cli, ["sweep", strategy, "-g", "a=1,2", "--workers", "1", "--offline", "--benchmark",
                                   "none", "--out", str(tmp_path / "s")], env=envvars)
    assert res.exit_code == 0, res.output
    assert "estimated" not in res.stderr


def test_walkforward_counts_combinations_times_windows(env, tmp_path):
    envvars, strategy = env
    res = CliRunner().invoke(cli, ["walkforward", strategy, "-g", "a=1:200", "-g", "b=1:100", "--train", "6m",
                                   "--test", "3m", "--workers", "1", "--offline", "--benchmark", "none", "--out",
                                   str(tmp_path / "wf")], env=envvars)
    assert res.exit_code == 2, res.output
    assert "backtests (20,000 combinations x " in res.stderr and "add --yes" in res.stderr
    assert not (tmp_path / "wf").exists()


@pytest.mark.parametrize("answer", [True, False])
def test_on_a_terminal_it_asks(monkeypatch, answer):
    asked = []
    monkeypatch.setattr(cli_gridgate.click, "confirm", lambda text, **kw: asked.append(text) or answer)
    if answer:
        cli_gridgate.confirm_grid(20_000, engine="vector", workers=2, yes=False, interactive=True)
    else:
        with pytest.raises(UsageError, match="not started"):
            cli_gridgate.confirm_grid(20_000, engine="vector", workers=2, yes=False, interactive=True)
    assert asked == ["start it?"]
