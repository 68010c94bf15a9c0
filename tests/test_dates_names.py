"""One date grammar (YYYY, YYYY-MM, YYYY-MM-DD) in every command, the config file and the API;
strategy names that forgive ``_`` for ``-`` and suggest the closest name.

Expected windows are computed from the synthetic calendar itself (the business days inside the
calendar period), never from r2k's output.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from r2k.data.dates import parse_day, parse_range
from r2k.data.errors import UsageError
from tests.util import home_with, invoke, one_line_error, random_walk

START = "2010-01-01"
N = 1500


@pytest.fixture
def home(tmp_path, monkeypatch):
    return home_with(tmp_path, monkeypatch, {name: random_walk(N, seed=seed, start=START)
                                             for name, seed in (("IWM", 1), ("SPY", 2))})


def trading_window(first: str, last: str) -> tuple[str, str]:
    """The first and last business day of the synthetic calendar inside [first, last]."""
    days = pd.bdate_range(START, periods=N)
    inside = days[(days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))]
    return f"{inside[0]:%Y-%m-%d}", f"{inside[-1]:%Y-%m-%d}"


@pytest.mark.parametrize("text,end,want", [
    ("2005", False, "2005-01-01"), ("2005", True, "2005-12-31"),
    ("2024-02", False, "2024-02-01"), ("2024-02", True, "2024-02-29"), ("2023-02", True, "2023-02-28"),
    ("2024-06-15", True, "2024-06-15"), ("2024-06-15", False, "2024-06-15"),
    (2007, True, "2007-12-31"), (dt.date(2001, 3, 4), True, "2001-03-04"), (" 2010-07 ", False, "2010-07-01"),
])
def test_the_grammar_means_the_first_or_last_day_as_fits_start_or_end(text, end, want):
    assert parse_day(text, "end" if end else "start", end=end) == want


def test_an_end_period_that_holds_today_means_today():
    today = dt.date(2026, 12, 3)
    assert parse_day("2026", "end", end=True, today=today) == "2026-12-03"
    assert parse_day("2026-12", "end", end=True, today=today) == "2026-12-03"
    assert parse_day("2026-11", "end", end=True, today=today) == "2026-11-30"
    assert parse_range("2026", "2026", today=today) == ("2026-01-01", "2026-12-03")


@pytest.mark.parametrize("bad", ["2020-13", "2020-02-30", "2024-9", "20201", "20-01-01", "2020/01/01", "soon", "2020-01-01T00"])
def test_anything_else_is_one_usage_error_naming_the_grammar(bad):
    with pytest.raises(UsageError, match=r"bad start date .*: use YYYY, YYYY-MM or YYYY-MM-DD"):
        parse_day(bad, "start", end=False)


def test_run_takes_years_and_months(home, tmp_path):
    res = invoke("run", "buy-and-hold", "--start", "2011", "--end", "2012-06", "--offline", "--no-tearsheet",
                 "--out", tmp_path / "r")
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert (m["start"], m["end"]) == trading_window("2011-01-01", "2012-06-30")


def test_the_same_window_spelled_coarse_or_exact_is_the_same_run_folder(home):
    a = invoke("run", "buy-and-hold", "--start", "2011", "--end", "2012-06", "--offline", "--no-tearsheet")
    b = invoke("run", "buy-and-hold", "--start", "2011-01-01", "--end", "2012-06-30", "--offline", "--no-tearsheet")
    assert a.exit_code == b.exit_code == 0, a.output + b.output
    folder = [line for line in a.stdout.splitlines() if line.startswith("run folder:")]
    assert folder and folder == [line for line in b.stdout.splitlines() if line.startswith("run folder:")]


def test_compare_config_file_and_api_take_the_grammar(home, tmp_path):
    want = trading_window("2011-03-01", "2013-12-31")
    res = invoke("compare", "buy-and-hold", "--symbols", "IWM,SPY", "--start", "2011-03", "--end", "2013",
                 "--offline", "--no-tearsheet", "--benchmark", "none", "--out", tmp_path / "c")
    assert res.exit_code == 0, res.output
    assert f"common window {want[0]}..{want[1]}" in res.stdout
    cfg = tmp_path / "run.toml"
    cfg.write_text('strategy = "buy_and_hold"\nstart = 2011\nend = "2013"\noffline = true\ntearsheet = false\n'
                   f'out = "{tmp_path / "viafile"}"\n')
    res = invoke("run", "--config", cfg)
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "viafile" / "metrics.json").read_text())
    assert (m["start"], m["end"]) == trading_window("2011-01-01", "2013-12-31")
    import r2k.runner as api

    r = api.run("buy-and-hold", start="2011-03", end=2013, offline=True)
    assert (f"{r.start:%Y-%m-%d}", f"{r.end:%Y-%m-%d}") == want


def test_a_bad_config_date_names_the_file_and_key(home, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('strategy = "buy-and-hold"\nend = "2013-13"\n')
    assert "end date '2013-13': use YYYY, YYYY-MM or YYYY-MM-DD" in one_line_error(invoke("run", "--config", cfg), 2)


def test_tables_take_the_grammar(home):
    closes = random_walk(N, seed=1, start=START)["close"]
    annual = invoke("table", "annual", "IWM", "--start", "2011-05", "--end", "2013-02-10", "--offline", "--csv")
    assert annual.exit_code == 0, annual.output
    years = [line.split(",")[0] for line in annual.stdout.splitlines()[1:] if line[:4].isdigit()]
    assert years == ["2011", "2012", "2013"]
    monthly = invoke("table", "monthly", "IWM", "--months", "2", "--end", "2012", "--offline", "--csv")
    assert monthly.exit_code == 0, monthly.output
    # December 2012's return from the two month-end closes, computed here
    me = closes.groupby(closes.index.to_period("M")).last()
    dec = me[pd.Period("2012-12")] / me[pd.Period("2012-11")] - 1
    row = [line for line in monthly.stdout.splitlines() if line.startswith("2012-12")]
    assert row and float(row[0].split(",")[1]) == pytest.approx(100 * dec, abs=0.006)
    track = invoke("tracking", "IWM", "SPY", "--start", "2011", "--end", "2011-12", "--offline")
    assert track.exit_code == 0, track.output
    for bad in (["table", "annual", "IWM", "--start", "2011-13"], ["table", "monthly", "IWM", "--end", "12/2012"]):
        assert "use YYYY, YYYY-MM or YYYY-MM-DD" in one_line_error(invoke(*bad, "--offline"), 2)


def test_underscores_name_the_same_strategy(home, tmp_path):
    a = invoke("run", "buy_and_hold", "--offline", "--no-tearsheet", "--out", tmp_path / "a")
    b = invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", tmp_path / "b")
    assert a.exit_code == b.exit_code == 0, a.output
    assert (tmp_path / "a" / "returns.csv").read_text() == (tmp_path / "b" / "returns.csv").read_text()
    assert invoke("strategies", "show", "Trend_Filter").exit_code == 0


@pytest.mark.parametrize("typed,suggested", [("buy-and-hol", "buy-and-hold"), ("trend", "trend-filter"),
                                             ("dcaa", "dca"), ("relative_momentm", "relative-momentum")])
def test_an_unknown_name_suggests_the_closest(home, typed, suggested):
    msg = one_line_error(invoke("run", typed, "--offline"), 2)
    assert f"unknown strategy '{typed}'; did you mean '{suggested}'?" in msg and "available: buy-and-hold" in msg


def test_strategies_new_with_an_underscore_writes_a_template_that_runs_by_either_spelling(home, tmp_path):
    res = invoke("strategies", "new", "my_rule", "--dir", tmp_path / "mine")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "mine" / "my_rule.py").is_file()
    for name in ("my_rule", "my-rule"):
        run = invoke("run", name, "--strategy-path", tmp_path / "mine", "-p", "risk_off=SPY", "--offline",
                     "--no-tearsheet", "--benchmark", "none", "--out", tmp_path / name)
        assert run.exit_code == 0, run.output
    assert "already exists" in one_line_error(invoke("strategies", "new", "my-rule", "--dir", tmp_path / "mine"), 2)
