"""The CLI: one-line errors with the right exit codes, help that lists parameters, a real run."""

import json

import pytest

from tests.util import home_with, invoke, one_line_error, random_walk


@pytest.fixture
def home(tmp_path, monkeypatch):
    return home_with(tmp_path, monkeypatch, {name: random_walk(600, seed=seed) for name, seed in (("IWM", 1), ("SPY", 2))})




def test_version():
    res = invoke("--version")
    assert res.exit_code == 0 and res.stdout.startswith("r2k ")


def test_unknown_strategy_is_a_usage_error(home):
    assert "unknown strategy" in one_line_error(invoke("run", "nope", "--offline"), 2)


def test_bad_date_is_a_usage_error(home):
    assert "YYYY-MM-DD" in one_line_error(invoke("run", "buy-and-hold", "--start", "2020-13-01", "--offline"), 2)


def test_start_after_end_is_a_usage_error(home):
    one_line_error(invoke("run", "buy-and-hold", "--start", "2020-01-01", "--end", "2019-01-01", "--offline"), 2)


def test_unknown_parameter_lists_valid_ones(home):
    msg = one_line_error(invoke("run", "buy-and-hold", "-p", "symbl=IWM", "--offline"), 2)
    assert "symbol" in msg


def test_malformed_parameter_is_a_usage_error(home):
    one_line_error(invoke("run", "buy-and-hold", "-p", "symbol", "--offline"), 2)


def test_missing_symbol_offline_is_a_runtime_error(home):
    msg = one_line_error(invoke("run", "buy-and-hold", "--symbol", "QQQ", "--offline", "--no-tearsheet"), 1)
    assert "QQQ" in msg and "r2k data fetch" in msg


def test_invalid_symbol_text(home):
    one_line_error(invoke("run", "buy-and-hold", "--symbol", "I W M", "--offline"), 2)


def test_strategy_help_lists_parameters():
    res = invoke("run", "buy-and-hold", "--help")
    assert res.exit_code == 0
    assert "symbol" in res.stdout and "default: 'IWM'" in res.stdout


def test_run_writes_the_run_folder(home, tmp_path):
    out = tmp_path / "out"
    res = invoke("run", "buy-and-hold", "--offline", "--out", str(out), "--no-tearsheet", "--fill", "close")
    assert res.exit_code == 0, res.output
    for name in ("metrics.json", "returns.csv", "equity.csv", "trades.csv", "manifest.json", "cashflows.csv"):
        assert (out / name).is_file(), name
    m = json.loads((out / "metrics.json").read_text())
    iwm = random_walk(600, seed=1)
    assert m["total_return"] == pytest.approx(iwm["close"].iloc[-1] / iwm["close"].iloc[0] - 1, rel=1e-9)
    assert str(out) in res.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no temp folder left


def test_unwritable_output_is_one_line(home, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_line_error(invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", str(blocker / "sub")), 1)


def test_failed_run_leaves_no_folder(home, tmp_path, monkeypatch):
    import r2k.reports.runfolder as rf

    def boom(*a, **k):
        raise RuntimeError("results crashed")

    monkeypatch.setattr(rf, "manifest", boom)
    out = tmp_path / "out2"
    res = invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", str(out))
    one_line_error(res, 1)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out2.")]


def test_a_failed_tear_sheet_keeps_the_finished_results_and_says_so(home, tmp_path, monkeypatch):
    """The summary and the run folder come first; a render that fails leaves no half page behind."""
    def boom(*a, **k):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("r2k.reports.tearsheet.render", boom)
    out = tmp_path / "out3"
    res = invoke("run", "buy-and-hold", "--offline", "--out", str(out))
    line = one_line_error(res, 1)
    assert "tear sheet failed" in line and "--no-tearsheet" in line
    assert "CAGR" in res.stdout  # the summary was printed before the render
    assert (out / "metrics.json").is_file() and not (out / "tearsheet.html").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_debug_shows_the_traceback_of_an_internal_error(home, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("r2k.reports.runfolder.manifest", boom)
    plain = invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", str(tmp_path / "a"))
    assert "rerun with --debug" in one_line_error(plain, 1)
    res = invoke("--debug", "run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", str(tmp_path / "b"))
    assert res.exit_code == 1
    assert "Traceback (most recent call last)" in res.stderr and "in boom" in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("error: internal error: RuntimeError: renderer crashed")


def test_data_list_on_empty_store(tmp_path, monkeypatch):
    monkeypatch.setenv("R2K_HOME", str(tmp_path / "empty"))
    res = invoke("data", "list")
    assert res.exit_code == 0 and "empty" in res.stdout


def test_import_of_missing_folder_is_one_line(tmp_path):
    one_line_error(invoke("data", "import", str(tmp_path / "nope")), 1)


def test_lazy_command_table_matches_the_commands():
    """The one-line help shown by `r2k --help` (kept in COMMANDS so no module loads) is each command's own."""
    import importlib

    from r2k.runner.cli import COMMANDS

    for name, (module, attr, short) in COMMANDS.items():
        cmd = getattr(importlib.import_module(module), attr)
        assert cmd.name == name or attr.endswith("_cmd"), name
        assert cmd.get_short_help_str(limit=300) == short, name
    res = invoke("--help")
    assert res.exit_code == 0 and all(name in res.stdout for name in COMMANDS)


def test_offline_env_forbids_fetch(monkeypatch):
    monkeypatch.setenv("R2K_OFFLINE", "1")
    assert "needs the network" in one_line_error(invoke("data", "fetch", "IWM"), 1)


def test_bad_risk_free_rate_is_a_usage_error(home):
    assert "--rf" in one_line_error(invoke("run", "buy-and-hold", "--rf", "five", "--offline"), 2)
    assert "0.02" in one_line_error(invoke("run", "buy-and-hold", "--rf", "5", "--offline"), 2)


HEAVY = ("pandas", "numpy", "numba", "backtrader", "quantstats", "yfinance", "matplotlib", "pyarrow")


@pytest.mark.parametrize("args", [["--help"], ["strategies", "list"], ["run", "--help"]])
def test_startup_commands_import_nothing_heavy(args, tmp_path):
    """Issue 8, target 1: help and the strategy list stay instant because they import none of these."""
    import subprocess
    import sys

    probe = ("import sys\nfrom r2k.runner.cli import cli\n"
             "try:\n    cli.main(sys.argv[1:], prog_name='r2k')\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
             f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    env = {**__import__("os").environ, "R2K_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout or "buy-and-hold" in out.stdout, out.stdout
    assert out.stderr.splitlines()[-1] == "HEAVY=", f"r2k {' '.join(args)} imported {out.stderr}"
