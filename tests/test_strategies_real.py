"""Built-in strategies on the real snapshot, against independent pandas computations."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.optimize import brentq

from r2k.runner.cli import cli
from tests.util import needs_real_data, real_data_dir

pytestmark = needs_real_data


def _raw(name, sub="prices"):
    return pd.read_csv(real_data_dir() / sub / f"{name}.csv", index_col="date", parse_dates=True)


def _run(home, tmp_path, *args):
    out = tmp_path / "run"
    res = CliRunner().invoke(cli, ["run", *args, "--offline", "--no-tearsheet", "--out", str(out)],
                             env={"R2K_HOME": str(home)})
    assert res.exit_code == 0, res.output
    return out, json.loads((out / "metrics.json").read_text())


def test_dca_close_fill_twr_and_xirr(real_home, tmp_path):
    out, m = _run(real_home, tmp_path, "dca", "--symbol", "IWM", "--start", "2005-01-01", "--end", "2024-12-31",
                  "--fill", "close", "--contribute", "500", "--benchmark", "none")
    adj = _raw("IWM").loc["2005-01-01":"2024-12-31", "adj_close"]
    assert m["total_return"] == pytest.approx(adj.iloc[-1] / adj.iloc[0] - 1, rel=1e-6)
    ledger = pd.read_csv(out / "cashflows.csv", parse_dates=["date"])
    # the ledger: 10,000 on the first day, then 500 on the first trading day of every later month
    firsts = adj.index[~adj.index.to_period("M").duplicated()]
    assert list(ledger["date"]) == list(firsts)
    assert list(ledger["amount"]) == [10_000.0] + [500.0] * (len(firsts) - 1)
    assert m["contributed"] == pytest.approx(500.0 * (len(firsts) - 1))
    # independent: shares bought at each deposit's close, valued at the last close
    shares = (ledger.set_index("date")["amount"] / adj.reindex(ledger["date"]).to_numpy()).sum()
    final = shares * adj.iloc[-1]
    assert m["final_value"] == pytest.approx(final, rel=1e-9)
    t = ((ledger["date"] - ledger["date"].iloc[0]).dt.days / 365.0).to_numpy()
    t_end = (adj.index[-1] - ledger["date"].iloc[0]).days / 365.0

    def npv(r):
        return -(ledger["amount"].to_numpy() / (1 + r) ** t).sum() + final / (1 + r) ** t_end

    assert m["xirr"] == pytest.approx(brentq(npv, -0.99, 10.0, xtol=1e-14), abs=1e-9)


def _policy_regimes(dates, lookback=6, min_change=0.05):
    """The rotation's regime, recomputed with merge_asof on publication dates."""
    old = _raw("DFEDTAR", "fred")["value"].loc[:"2008-12-15"]
    new = _raw("DFEDTARU", "fred")["value"].loc["2008-12-16":]
    rate = pd.concat([old, new])
    d = rate.diff()
    events = pd.DataFrame({"obs": rate.index, "move": d.to_numpy()})
    events["published"] = events["obs"] + pd.offsets.BDay(1)
    left = pd.DataFrame({"date": pd.DatetimeIndex(dates)}).sort_values("date")
    out = left.copy()
    for kind, mask in (("cut", events["move"] <= -min_change), ("hike", events["move"] >= min_change)):
        ev = events.loc[mask, ["published", "obs"]].rename(columns={"obs": kind}).sort_values("published")
        out = pd.merge_asof(out, ev, left_on="date", right_on="published").drop(columns="published")
    horizon = out["date"] - pd.DateOffset(months=lookback)
    easing = out["cut"].notna() & (out["cut"] > horizon) & (out["hike"].isna() | (out["hike"] < out["cut"]))
    tight = out["hike"].notna() & (out["hike"] > horizon) & (out["cut"].isna() | (out["cut"] < out["hike"]))
    return pd.Series(np.select([easing, tight], ["easing", "tightening"], "hold"), index=out["date"])


def test_rate_cut_rotation_decisions_match_pandas(real_home, tmp_path):
    out, m = _run(real_home, tmp_path, "rate-cut-rotation", "--start", "2000-06-01", "--end", "2025-09-26",
                  "--commission-bps", "5", "--slippage-bps", "5")
    dec = pd.read_csv(out / "decisions.csv", parse_dates=["date"])
    expected = _policy_regimes(dec["date"])
    assert (dec.set_index("date")["label"] == expected).all()
    assert set(expected) == {"easing", "tightening", "hold"}
    # decided on the first trading day of each month
    assert dec["date"].dt.to_period("M").is_unique and len(dec) > 290
    held = [next(iter(json.loads(w))) for w in dec["weights"]]
    assert all((h == "IWM") == (lab == "easing") for h, lab in zip(held, dec["label"], strict=True))
    assert m["trades"] > 10  # it really rotated, and every order filled (a rejection fails the run)


def test_relative_momentum_decisions_match_pandas(real_home, tmp_path):
    out, _ = _run(real_home, tmp_path, "relative-momentum", "--start", "2001-01-01", "--end", "2025-09-26")
    dec = pd.read_csv(out / "decisions.csv", parse_dates=["date"])
    closes = pd.DataFrame({s: _raw(s)["adj_close"] for s in ("IWM", "SPY", "QQQ")})
    for date, label in zip(dec["date"], dec["label"], strict=True):
        known = closes.loc[:date]
        anchor = date - pd.DateOffset(months=12)
        base = pd.Series({s: known[s].dropna().asof(anchor) for s in known})
        trailing = known.iloc[-1] / base - 1
        assert label == trailing.idxmax(), date


def test_dual_momentum_goes_to_cash_when_cash_wins(real_home, tmp_path):
    out, _ = _run(real_home, tmp_path, "relative-momentum", "-p", "absolute=true", "--start", "2007-01-01",
                  "--end", "2010-12-31")
    dec = pd.read_csv(out / "decisions.csv", parse_dates=["date"]).set_index("date")
    # early 2009: every fund was far below its level of a year before, so cash must win
    assert json.loads(dec.loc["2009-02-02", "weights"]) == {"CASH": 1.0}
    assert "below cash" in dec.loc["2009-02-02", "label"]


def test_trend_filter_decisions_match_pandas(real_home, tmp_path):
    out, _ = _run(real_home, tmp_path, "trend-filter", "-p", "window=150", "--start", "2003-01-01",
                  "--end", "2012-12-31")
    dec = pd.read_csv(out / "decisions.csv", parse_dates=["date"]).set_index("date")
    adj = _raw("IWM")["adj_close"]
    sma = adj.rolling(150).mean()
    expected = np.where(adj > sma, "above", "below").astype(object)
    expected = pd.Series(expected, index=adj.index).reindex(dec.index)
    assert (dec["label"] == expected).all()
    trades = pd.read_csv(out / "trades.csv")
    flips = (dec["label"] != dec["label"].shift()).iloc[1:].sum()
    assert len(trades) >= 2 * flips - 2  # every flip sells one asset and buys the other


def test_cash_earns_the_fed_funds_rate(real_home, tmp_path):
    out, m = _run(real_home, tmp_path, "buy-and-hold", "--symbol", "CASH", "--start", "2006-01-01",
                  "--end", "2006-12-31", "--fill", "close", "--benchmark", "IWM")
    dff = _raw("DFF", "fred")["value"]
    days = pd.date_range("2006-01-03", "2006-12-28", freq="D")  # first close .. day before the last close
    expected = float(np.prod(1 + dff.reindex(days) / 36000)) - 1
    assert m["total_return"] == pytest.approx(expected, rel=1e-9)
    assert 0.045 < m["total_return"] < 0.055  # 2006: fed funds around 5 %


def test_sharpe_with_fed_funds_as_risk_free_rate(real_home, tmp_path):
    out, m = _run(real_home, tmp_path, "buy-and-hold", "--symbol", "IWM", "--start", "2005-01-01", "--end", "2019-12-31",
                  "--fill", "close", "--rf", "DFF", "--benchmark", "none")
    rets = pd.read_csv(out / "returns.csv", index_col="date", parse_dates=True)["return"]
    dff = _raw("DFF", "fred")["value"]
    # what a dollar in cash earned from each close to the next: every calendar day's DFF / 360
    days = pd.date_range(rets.index[0] - pd.Timedelta(days=10), rets.index[-1], freq="D")
    daily = dff.reindex(dff.index.union(days)).ffill().reindex(days) / 36000
    growth = (1 + daily).cumprod()
    level = growth.shift(1).reindex(pd.DatetimeIndex([pd.Timestamp("2005-01-03"), *rets.index]))
    rf = level.pct_change().iloc[1:].to_numpy()
    ex = rets.to_numpy() - rf
    assert m["sharpe"] == pytest.approx(ex.mean() / ex.std(ddof=1) * np.sqrt(252), rel=1e-9)
    m0 = json.loads(_run(real_home, tmp_path / "b", "buy-and-hold", "--symbol", "IWM", "--start", "2005-01-01",
                         "--end", "2019-12-31", "--fill", "close", "--benchmark", "none")[0].joinpath("metrics.json").read_text())
    assert m["sharpe"] < m0["sharpe"]  # cash earned something, so the excess return is smaller
    assert m["cagr"] == m0["cagr"]
