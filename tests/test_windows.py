"""r2k windows: every start month x holding length, checked against independent computations."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from r2k.data.errors import UsageError
from r2k.runner.windows_study import windows
from tests.util import bdays, invoke, one_line_error


def fake_result(n: int = 1300, seed: int = 3, start: str = "2010-01-29", flows: dict | None = None,
                bench: bool = True):
    """A finished-run stand-in: daily returns on business days, a benchmark, a ledger."""
    rng = np.random.default_rng(seed)
    cal = bdays(start, n)
    strat = pd.Series(rng.normal(0.0004, 0.012, n - 1), index=cal[1:])
    bm = pd.Series(rng.normal(0.0003, 0.010, n - 1), index=cal[1:]) if bench else None
    ledger = {cal[0]: 10_000.0, **(flows or {})}
    cashflows = pd.DataFrame({"date": [d.strftime("%Y-%m-%d") for d in ledger], "amount": list(ledger.values())})
    spec = SimpleNamespace(strategy="fake", benchmark="BM" if bench else None)
    equity = pd.DataFrame({"value": np.nan, "cash": 0.0}, index=cal)
    return SimpleNamespace(returns=strat, benchmark=bm, equity=equity, cashflows=cashflows, spec=spec, label="fake",
                           start=cal[0], end=cal[-1])


def _month_end_levels(returns: pd.Series, start: pd.Timestamp) -> pd.Series:
    """Independent: the wealth level on each month's last bar, via resample (not groupby/period)."""
    level = pd.concat([pd.Series([1.0], index=[start]), (1 + returns).cumprod()])
    return level.resample("ME").last()


def test_every_cell_equals_two_month_end_values():
    res = fake_result()
    w = windows(res)
    for side, rets in (("strategy", res.returns), ("benchmark", res.benchmark)):
        me = _month_end_levels(rets, res.start)
        me = me.iloc[:-1] if res.end.day < 25 else me  # the last month is complete only if data reaches its end
        expected = {}
        for i in range(len(me)):
            for j in range(i + 12, len(me), 12):
                y = (j - i) // 12
                start = (me.index[i] + pd.offsets.MonthBegin(1)).strftime("%Y-%m")
                expected[(start, y)] = (me.iloc[j] / me.iloc[i]) ** (1 / y) - 1
        got = {(r.start, r.years): getattr(r, side) for r in w.cells.itertuples()}
        assert set(got) == set(expected)
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, rel=1e-11, abs=1e-13), key
    assert np.allclose(w.cells["difference"], w.cells["strategy"] - w.cells["benchmark"])


def test_uncovered_windows_are_blank_not_extrapolated():
    res = fake_result(n=800)  # 2010-01-29 .. ~2013-02: three whole years at most
    w = windows(res)
    assert w.cells["years"].max() == 3
    grid = w.cells.pivot(index="start", columns="years", values="difference")
    assert grid.loc["2010-02", 3] == grid.loc["2010-02", 3]  # covered
    assert grid.loc["2011-06", 1] == grid.loc["2011-06", 1]
    assert math.isnan(grid.loc["2011-06", 2])  # would end after the data: blank
    assert not w.cells.isna().any().any()


def test_summary_counts_wins_and_names_best_and_worst():
    w = windows(fake_result())
    for row in w.summary.itertuples():
        g = w.cells[w.cells["years"] == row.years]
        assert row.windows == len(g)
        assert row.won == pytest.approx(float(np.mean(g["strategy"].to_numpy() > g["benchmark"].to_numpy())))
        best = g.loc[g["strategy"].idxmax()]
        assert (row.best, row.best_start) == (best["strategy"], best["start"])
        assert row.worst == g["strategy"].min()
        assert row.median == pytest.approx(float(np.median(g["strategy"])))


def _xirr_brentq(dates, amounts) -> float:
    t = np.array([(d - dates[0]).days / 365.0 for d in dates])
    a = np.asarray(amounts)
    return brentq(lambda r: float(np.sum(a / (1 + r) ** t)), -0.99, 10.0, xtol=1e-14)


def test_window_xirr_replays_the_ledger_and_matches_a_root_finder():
    cal = bdays("2010-01-29", 1300)
    firsts = pd.Series(cal, index=cal).groupby(cal.to_period("M")).min().iloc[1:]
    res = fake_result(flows={d: 500.0 for d in firsts})
    w = windows(res)
    assert "strategy_xirr" in w.cells and "benchmark_xirr" in w.cells
    cf = res.cashflows.assign(date=pd.to_datetime(res.cashflows["date"])).set_index("date")["amount"]
    for row in w.cells.sample(15, random_state=0).itertuples():
        days = res.returns[(res.returns.index > row.base) & (res.returns.index <= row.end)]
        value, dates, amounts = 10_000.0, [row.base], [-10_000.0]  # a loop, day by day
        for d, r in days.items():
            value = value * (1 + r) + cf.get(d, 0.0)
            if d in cf.index:
                dates.append(d)
                amounts.append(-cf[d])
        dates.append(row.end)
        amounts.append(value)
        assert row.strategy_xirr == pytest.approx(_xirr_brentq(dates, amounts), abs=1e-9)


def test_no_complete_window_is_a_usage_error():
    with pytest.raises(UsageError, match="no complete 1-year window"):
        windows(fake_result(n=200))


# -- on the real snapshot -----------------------------------------------------------------
@pytest.fixture(scope="module")
def iwm_run(real_home):
    import r2k.runner as r2k

    return r2k.run("buy-and-hold", symbol="IWM", start="2004-12-31", end="2024-12-31", fill="close",
                   engine="vector", home=str(real_home), offline=True)


def test_real_single_year_cells_equal_table_annual(iwm_run, real_home):
    """January-start one-year windows are calendar years: the same numbers as `r2k table annual`."""
    res = invoke("table", "annual", "IWM", "SPY", "--start", "2005", "--end", "2024", "--csv", "--offline",
                 env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    from io import StringIO

    annual = pd.read_csv(StringIO(res.stdout), index_col=0)
    years = [str(y) for y in range(2005, 2025)]
    w = windows(iwm_run)
    jan = w.cells[(w.cells["years"] == 1) & w.cells["start"].str.endswith("-01")].set_index("start")
    for y in years:
        assert 100 * jan.at[f"{y}-01", "strategy"] == pytest.approx(float(annual.at[y, "IWM"]), abs=1e-6), y
        assert 100 * jan.at[f"{y}-01", "benchmark"] == pytest.approx(float(annual.at[y, "SPY"]), abs=1e-6), y


def test_real_full_history_cell_equals_the_runs_cagr(iwm_run):
    w = windows(iwm_run)
    full = w.cells[w.cells["years"] == w.cells["years"].max()]
    assert len(full) == 1 and full["years"].iloc[0] == 20 and full["start"].iloc[0] == "2005-01"
    assert full["strategy"].iloc[0] == pytest.approx(iwm_run.metrics["cagr"], rel=1e-10)
    assert full["benchmark"].iloc[0] == pytest.approx(iwm_run.benchmark_metrics["cagr"], rel=1e-10)


def test_cli_windows_writes_the_folder_and_prints_the_table(real_home, tmp_path):
    out = tmp_path / "w"
    res = invoke("windows", "dca", "--symbol", "IWM", "--start", "2004-12-31", "--end", "2024-12-31", "--offline",
                 "--out", out, env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} >= {"windows.csv", "summary.csv", "heatmap.png", "index.html"}
    cells = pd.read_csv(out / "windows.csv")
    assert {"start", "years", "strategy", "benchmark", "difference", "strategy_xirr", "benchmark_xirr"} <= set(cells)
    assert "won" in res.stdout and "2008" in res.stdout
    assert "One cell:" in (out / "index.html").read_text()


def test_cli_windows_too_short_history_is_one_line_exit_2(real_home):
    res = invoke("windows", "buy-and-hold", "--start", "2024-01-01", "--end", "2024-06-28", "--offline",
                 env={"R2K_HOME": str(real_home)})
    assert "no complete 1-year window" in one_line_error(res, 2)


@pytest.mark.parametrize("max_years", [0, -3])
def test_max_years_below_one_is_a_usage_error(max_years):
    """``r2k windows --max-years 0`` was 'internal error: ValueError: No objects to concatenate'."""
    with pytest.raises(UsageError, match="--max-years"):
        windows(fake_result(n=1300), max_years=max_years)
