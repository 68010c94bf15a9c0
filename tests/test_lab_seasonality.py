"""r2k seasonality and r2k indexes: the permutation test on synthetic data, every number against the raw CSVs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from r2k.reports import seasonality as sea
from tests.util import invoke, needs_real_data, real_data_dir


def _walk(seed: int, years: int = 30, planted: float = 0.0) -> pd.Series:
    """A random walk on business days; ``planted`` is added to every daily return from Dec 15 to Jan 31."""
    idx = pd.bdate_range("1990-01-01", periods=252 * years)
    r = np.random.default_rng(seed).normal(0.0003, 0.01, len(idx))
    if planted:
        in_window = ((idx.month == 12) & (idx.day >= 15)) | (idx.month == 1)
        r = r + planted * in_window
    return pd.Series(100 * np.cumprod(1 + r), index=idx)


def _p(c: pd.Series, name: str, seed: int, n_perm: int = 400) -> float:
    yrs = sea.window_years(c, name)
    return sea.permutation_pvalue(c.to_numpy(), pd.DatetimeIndex(yrs["base"]), yrs["days"].to_numpy(),
                                  float(yrs["return"].mean()), seed, n_perm, index=c.index)


def test_permutation_p_is_about_half_for_a_random_window_and_small_for_a_planted_effect():
    ps = [_p(_walk(s), "May-Oct", seed=s) for s in range(40)]
    assert 0.4 < float(np.mean(ps)) < 0.6
    assert sum(p < 0.05 for p in ps) <= 6
    planted = _walk(7, planted=0.004)
    assert _p(planted, "turn of the year", seed=1) < 0.01
    assert _p(planted, "turn of the year", seed=1) == _p(planted, "turn of the year", seed=1)  # the seed reproduces it


def test_benjamini_hochberg_against_a_loop():
    p = [0.01, 0.04, 0.03, 0.20, float("nan"), 0.5]
    got = sea.benjamini_hochberg(p)
    q = [x for x in p if x == x]
    m = len(q)
    order = sorted(range(m), key=lambda i: q[i])
    want = [0.0] * m
    for rank, i in enumerate(order, start=1):
        want[i] = min(1.0, min(q[order[k - 1]] * m / k for k in range(rank, m + 1)))
    assert [x for x in got if x == x] == pytest.approx(want) and math.isnan(got[4])


def test_reconstitution_day_rule():
    assert sea.recon_day(2014) == pd.Timestamp("2014-06-27")  # last Friday
    assert sea.recon_day(2012) == pd.Timestamp("2012-06-29")  # last Friday (five Fridays, before 2018)
    assert sea.recon_day(2018) == pd.Timestamp("2018-06-22")  # fourth Friday, as FTSE Russell's 2018 calendar
    assert sea.recon_day(2024) == pd.Timestamp("2024-06-28")


def _raw(sym: str) -> pd.Series:
    df = pd.read_csv(real_data_dir() / "prices" / f"{sym.lstrip('^')}.csv", parse_dates=["date"]).set_index("date")
    return df["adj_close"].astype(float).dropna()


@needs_real_data
def test_seasonality_numbers_match_the_raw_csvs(real_home):
    from r2k.data.store import Store
    from r2k.runner.lab import seasonality

    res = seasonality("^RUT", "^GSPC", store=Store(real_home), offline=True, n_perm=200)
    both = pd.concat({"r": _raw("^RUT"), "g": _raw("^GSPC")}, axis=1, join="inner")
    me = both.resample("ME").last()
    ret = me.pct_change().iloc[1:]
    ret = ret[ret.index < "2026-02-01"]  # February 2026 is incomplete (data ends 2026-02-20)
    months = res.tables["months"].set_index("month")
    for m in range(1, 13):
        v = ret[ret.index.month == m]
        row = months.iloc[m - 1]
        assert row["n"] == len(v)
        assert row["mean"] == pytest.approx(v["r"].mean()) and row["median"] == pytest.approx(v["r"].median())
        assert row["hit_rate"] == pytest.approx((v["r"] > 0).mean())
        assert row["rel_mean"] == pytest.approx((v["r"] - v["g"]).mean())
    toy = res.tables["years_turn_of_the_year"].set_index("year")
    for year in (1990, 2001, 2009, 2020, 2026):
        r = both["r"]
        base = r[r.index < f"{year - 1}-12-15"].iloc[-1]
        end = r[r.index <= f"{year}-01-31"].iloc[-1]
        assert toy.loc[year, "return"] == pytest.approx(end / base - 1), year
    rec = res.tables["years_rank_day_to_reconstitution"].set_index("year")
    r = both["r"]
    assert rec.loc[2015, "return"] == pytest.approx(r["2015-06-26"] / r[r.index <= "2015-04-30"].iloc[-1] - 1)
    g = both["g"]
    want = (r["2018-06-22"] / r["2018-04-30"] - 1) - (g["2018-06-22"] / g["2018-04-30"] - 1)
    assert rec.loc[2018, "difference"] == pytest.approx(want)
    may = res.tables["years_May_Oct"].set_index("year")
    assert 2026 not in may.index  # October 2026 is past the end of the data: no partial window
    w = res.tables["windows"]
    assert len(w) == 10 and w["p_bh"].ge(w["p_value"] - 1e-12).all()


@needs_real_data
def test_indexes_numbers_match_the_raw_csvs(real_home):
    from r2k.data.store import Store
    from r2k.runner.lab import indexes

    res = indexes(store=Store(real_home), offline=True)
    df = pd.concat({s: _raw(s) for s in ("IWM", "IJR", "VTWO", "^RUT")}, axis=1, join="inner")
    summ = res.tables["summary"].set_index("symbol")
    years = (df.index[-1] - df.index[0]).days / 365.25
    for s in df.columns:
        c = df[s]
        assert summ.loc[s, "cagr"] == pytest.approx((c.iloc[-1] / c.iloc[0]) ** (1 / years) - 1)
        assert summ.loc[s, "volatility"] == pytest.approx(c.pct_change().std() * math.sqrt(252))
        assert summ.loc[s, "max_drawdown"] == pytest.approx((c / c.cummax() - 1).min())
    rut_cagr = (df["^RUT"].iloc[-1] / df["^RUT"].iloc[0]) ** (1 / years) - 1
    assert summ.loc["VTWO", "cagr_minus_rut"] == pytest.approx(summ.loc["VTWO", "cagr"] - rut_cagr)
    assert math.isnan(summ.loc["IJR", "cagr_minus_rut"]) and summ.loc["^RUT", "basis"] == "price"
    ye = df.resample("YE").last()
    yr = ye.pct_change()
    y = res.tables["yearly"].set_index("year")
    assert list(y.index) == list(range(2011, 2025))
    assert y.loc[2021, "IJR-IWM"] == pytest.approx(yr.loc["2021", "IJR"].iloc[0] - yr.loc["2021", "IWM"].iloc[0])
    tr = res.tables["tracking"].set_index("year")
    assert tr.loc[2016, "VTWO tracking difference"] == pytest.approx(yr.loc["2016", "VTWO"].iloc[0]
                                                                      - yr.loc["2016", "^RUT"].iloc[0])
    assert "IJR tracking difference" not in tr.columns
    gap = res.tables["recon_gap"].set_index("year")
    lg = np.log(ye["IWM"] / ye["IWM"].shift(1)) - np.log(ye["IJR"] / ye["IJR"].shift(1))
    assert gap.loc[2020, "whole_year"] == pytest.approx(lg.loc["2020"].iloc[0])
    i, j = df.index[df.index <= "2020-04-30"][-1], pd.Timestamp("2020-06-26")
    inside = math.log(df.loc[j, "IWM"] / df.loc[i, "IWM"]) - math.log(df.loc[j, "IJR"] / df.loc[i, "IJR"])
    assert gap.loc[2020, "recon_window"] == pytest.approx(inside)
    roll = res.tables["rolling_36m"]
    me = df.resample("ME").last()
    last = me.index[-1]
    want = (me["IJR"].iloc[-1] / me["IJR"].iloc[-37]) ** (1 / 3) - (me["IWM"].iloc[-1] / me["IWM"].iloc[-37]) ** (1 / 3)
    assert roll["IJR-IWM"].iloc[-1] == pytest.approx(want) and roll["month_end"].iloc[-1].to_period("M") == last.to_period("M")


@needs_real_data
def test_cli_commands_write_their_folders(real_home, tmp_path):
    res = invoke("seasonality", "rut", "--vs", "^GSPC", "--permutations", "100", "--offline", "--home", real_home,
                 "--out", tmp_path / "s")
    assert res.exit_code == 0, res.output
    assert "price" in res.stdout and (tmp_path / "s" / "months.png").exists()
    res = invoke("indexes", "--offline", "--home", real_home, "--out", tmp_path / "i", "--json")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "i" / "index.html").exists() and '"r2k": "indexes"' in res.stdout
