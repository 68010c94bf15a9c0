"""The built-in portfolio (issue 13, point 1) against an independent reimplementation on the real snapshot.

The reference below is written from the rules as the README states them, in plain pandas/numpy
with one Python loop over the days, sharing no code with r2k: Yahoo OHLC scaled by Adj Close /
Close, orders decided at a close and filled at the next open, calendar rebalances on the first
trading day of each period, drift bands checked on the holdings at every close, contributions
bought under-weight first (in proportion to each asset's shortfall), withdrawals paid at the close
of their day by selling what is over-weight first (in proportion to each asset's excess).
"""

import json

import numpy as np
import pandas as pd
import pytest

from r2k.runner.engine import run
from r2k.runner.spec import RunSpec
from tests.util import needs_real_data, real_data_dir


def _adjusted(symbols, start, end):
    """(opens, closes) DataFrames, total-return adjusted, on the dates every symbol traded."""
    opens, closes = {}, {}
    for s in symbols:
        raw = pd.read_csv(real_data_dir() / "prices" / f"{s}.csv", index_col="date", parse_dates=True)
        raw = raw.loc[start:end]
        factor = raw["adj_close"] / raw["close"]
        opens[s], closes[s] = raw["open"] * factor, raw["adj_close"]
    o, c = pd.DataFrame(opens), pd.DataFrame(closes)
    assert not o.isna().any().any() and not c.isna().any().any()  # one calendar: no gaps to carry over
    return o, c


def _period_firsts(dates, freq):
    """First trading day of each period (W/M/Q/Y) in ``dates``, as a boolean mask."""
    key = {"month": dates.year * 100 + dates.month, "quarter": dates.year * 10 + dates.quarter,
           "year": dates.year}[freq]
    key = pd.Series(key, index=dates)
    return (key != key.shift()).to_numpy().copy()


def reference(symbols, targets, start, end, *, rebalance=None, band=None, cash=10_000.0, contribute=0.0,
              withdraw=0.0):
    """The account day by day: (value, cash flows, trades) of the portfolio rules."""
    o, c = _adjusted(symbols, start, end)
    dates = c.index
    opens, closes = o.to_numpy(), c.to_numpy()
    t = np.array([targets[s] for s in symbols])
    deposits, withdrawals = np.zeros(len(dates)), np.zeros(len(dates))
    firsts = _period_firsts(dates, "month")
    firsts[0] = False
    deposits[firsts] = contribute
    withdrawals[firsts] = withdraw
    calendar_day = _period_firsts(dates, rebalance) if rebalance else np.zeros(len(dates), bool)
    calendar_day[0] = True
    shares = np.zeros(len(symbols))
    money = cash
    order = None  # "rebalance" | "invest", waiting for the next open
    values, trades = np.empty(len(dates)), []
    for i in range(len(dates)):
        if order is not None:
            px = opens[i]
            worth = money + shares @ px
            if order == "rebalance":
                want = t * worth / px - shares
            else:  # new money to what is under its target, pro rata to the shortfalls
                short = np.clip(t * worth - shares * px, 0.0, None)
                want = short * min(1.0, money / short.sum()) / px
            want[np.abs(want * px) < 1e-6 * worth] = 0.0
            for j in sorted(range(len(symbols)), key=lambda j: want[j] > 0):  # sells first
                if want[j] != 0:
                    money -= want[j] * px[j]
                    shares[j] += want[j]
                    trades.append((dates[i], symbols[j], "buy" if want[j] > 0 else "sell", abs(want[j]), px[j]))
            order = None
        money += deposits[i]
        if withdrawals[i]:  # paid at this close: sell what is over its target after the sale
            px = closes[i]
            held = shares * px
            assert withdrawals[i] < money + held.sum()  # these cases never deplete
            money -= withdrawals[i]
            if money < 0:
                excess = np.clip(held - t * (held.sum() + money), 0.0, None)
                sell = -money * excess / excess.sum() / px
                for j in np.flatnonzero(sell > 0):
                    shares[j] -= sell[j]
                    money += sell[j] * px[j]
                    trades.append((dates[i], symbols[j], "sell", sell[j], px[j]))
        values[i] = money + shares @ closes[i]
        if calendar_day[i]:
            order = "rebalance"
        elif band is not None and shares.any():
            held = shares * closes[i]
            if (np.abs(held / held.sum() - t) > band / 100).any():
                order = "rebalance"
        if order is None and deposits[i] > 0:
            order = "invest"
    net = pd.Series(deposits - withdrawals, index=dates)
    flows = pd.concat([pd.Series([cash], index=dates[:1]), net[net != 0]])
    trades = pd.DataFrame(trades, columns=["date", "symbol", "side", "size", "price"])
    return pd.Series(values, index=dates), flows, trades


CASES = {
    "iwm-tlt-quarterly": (["IWM", "TLT"], {"IWM": 0.6, "TLT": 0.4}, {"rebalance": "quarter"}, {}),
    "iwm-tlt-band5": (["IWM", "TLT"], {"IWM": 0.6, "TLT": 0.4}, {"band": 5}, {}),
    "three-assets-monthly-contributions": (["SPY", "IWM", "TLT"], {"SPY": 0.6, "IWM": 0.3, "TLT": 0.1},
                                           {"rebalance": "year"}, {"contribute": 500.0}),
    "iwm-tlt-yearly-withdrawals": (["IWM", "TLT"], {"IWM": 0.6, "TLT": 0.4}, {"rebalance": "year"},
                                   {"cash": 100_000.0, "withdraw": 500.0}),
}


def _params(targets, rule):
    text = ",".join(f"{k}:{100 * v:g}" for k, v in targets.items())
    return {"weights": text, **{k: str(v) for k, v in rule.items()}}


@needs_real_data
@pytest.mark.parametrize("engine", ["backtrader", "vector"])
@pytest.mark.parametrize("case", list(CASES))
def test_portfolio_equals_reference(real_home, monkeypatch, case, engine):
    monkeypatch.setenv("R2K_HOME", str(real_home))
    symbols, targets, rule, flows = CASES[case]
    start, end = "2005-01-01", "2024-12-31"
    value, ledger, ref_trades = reference(symbols, targets, start, end, **rule, **flows)
    spec = RunSpec("portfolio", _params(targets, rule), start=start, end=end, engine=engine, benchmark=None,
                   contribute=flows.get("contribute", 0.0), cash=flows.get("cash", 10_000.0),
                   withdraw=flows.get("withdraw", 0.0))
    res = run(spec, offline=True)
    # equity, day by day
    assert res.equity.index.equals(value.index)
    np.testing.assert_allclose(res.equity["value"].to_numpy(), value.to_numpy(), rtol=1e-9, atol=0)
    # cash flows
    assert list(pd.to_datetime(res.cashflows["date"])) == list(ledger.index)
    np.testing.assert_array_equal(res.cashflows["amount"].to_numpy(), ledger.to_numpy())
    # trades: same days, assets, sides, sizes and prices (within a day in a fixed order: the executors
    # log a close's withdrawal sales and the next open's fills in different orders)
    order = ["date", "symbol", "side", "size"]
    got = res.trades.sort_values(order, ignore_index=True)
    ref_trades = ref_trades.assign(date=ref_trades["date"].dt.strftime("%Y-%m-%d")).sort_values(order, ignore_index=True)
    assert len(got) == len(ref_trades) > 2
    assert list(got["date"]) == list(ref_trades["date"])
    assert list(got["symbol"]) == list(ref_trades["symbol"]) and list(got["side"]) == list(ref_trades["side"])
    # 1e-9 relative, or 1e-9 of the account in dollars: a trade that tops up (or sells down) a nearly
    # on-target asset is a small difference of large numbers, and r2k's buys keep a 1e-12 cash margin
    size, want = got["size"].to_numpy(), ref_trades["size"].to_numpy()
    off = np.abs(size - want) - (1e-9 * want + 1e-9 * value.max() / ref_trades["price"].to_numpy())
    assert (off <= 0).all(), ref_trades.assign(got=size)[off > 0]
    np.testing.assert_allclose(got["price"].to_numpy(), ref_trades["price"].to_numpy(), rtol=1e-12)


@needs_real_data
def test_band_rebalances_are_explained_in_decisions(real_home, monkeypatch):
    """decisions.csv: the first allocation, then one row per band rebalance naming the asset outside it."""
    monkeypatch.setenv("R2K_HOME", str(real_home))
    start, end = "2005-01-01", "2024-12-31"
    value, _, ref_trades = reference(["IWM", "TLT"], {"IWM": 0.6, "TLT": 0.4}, start, end, band=5)
    res = run(RunSpec("portfolio", {"weights": "IWM:60,TLT:40", "band": "5"}, start=start, end=end,
                      benchmark=None, engine="vector"), offline=True)
    dec = res.decisions
    assert dec["label"].iloc[0] == "initial allocation"
    bands = dec.iloc[1:]
    assert bands["label"].str.match(r"band: (IWM|TLT) at \d+\.\d\d% vs target (60|40)\.00% \(band 5 points\)").all()
    # each band decision is the close before a rebalancing fill (next open)
    fills = sorted(set(ref_trades["date"]))[1:]
    closes = value.index
    expected = [closes[closes.get_loc(d) - 1].strftime("%Y-%m-%d") for d in fills]
    assert list(bands["date"]) == expected
    assert all(json.loads(w) == {"IWM": 0.6, "TLT": 0.4} for w in dec["weights"])
    # a pair always misses its bands together; the row names the first asset (IWM) for both
    assert set(bands["label"].str.split().str[1]) == {"IWM"}


@needs_real_data
def test_month_end_drawdown_is_portfolio_visualizers(real_home, tmp_path):
    """--stats monthly: max drawdown of month-end balances beside the daily one (issue 13 point 4).

    Set up as a PV backtest: start at the month-end close before the first month, fill at the close.
    Independent: pandas month-end closes of the raw adj_close (the account is shares * close).
    """
    from tests.util import invoke

    out = tmp_path / "run"
    res = invoke("run", "buy-and-hold", "--symbol", "IWM", "--start", "2004-12-31", "--end", "2024-12-31",
                 "--fill", "close", "--stats", "monthly", "--benchmark", "none", "--offline", "--no-tearsheet",
                 "--out", out, env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    adj = pd.read_csv(real_data_dir() / "prices" / "IWM.csv", index_col="date", parse_dates=True)["adj_close"]
    adj = adj.loc["2004-12-31":"2024-12-31"]
    month_end = adj[adj.index.to_series().dt.to_period("M").ne(adj.index.to_series().dt.to_period("M").shift(-1))]
    assert month_end.index[0] == pd.Timestamp("2004-12-31")
    fall = month_end / month_end.cummax() - 1
    assert m["max_drawdown_month_end"] == pytest.approx(fall.min(), rel=1e-12)
    assert m["max_drawdown_month_end_end"] == f"{fall.idxmin():%Y-%m-%d}"
    assert m["max_drawdown_month_end_start"] == f"{month_end.loc[:fall.idxmin()].idxmax():%Y-%m-%d}"
    daily = adj / adj.cummax() - 1
    assert m["max_drawdown"] == pytest.approx(daily.min(), rel=1e-12)  # the daily figure stays the default
    assert m["max_drawdown"] < m["max_drawdown_month_end"] < -0.5  # 2008: deeper intra-month
    assert "Max drawdown (month-end)" in res.stdout
    daily_run = invoke("run", "buy-and-hold", "--symbol", "IWM", "--start", "2004-12-31", "--end", "2024-12-31",
                       "--benchmark", "none", "--offline", "--no-tearsheet", "--out", tmp_path / "daily",
                       env={"R2K_HOME": str(real_home)})
    assert "month-end" not in daily_run.stdout
    assert "max_drawdown_month_end" not in json.loads((tmp_path / "daily" / "metrics.json").read_text())


@needs_real_data
def test_sweep_over_bands(real_home):
    """`-g band=2,5,10`: each combination is the band portfolio the reference trades."""
    import r2k.runner as r2k

    start, end = "2005-01-01", "2024-12-31"
    out = r2k.sweep("portfolio", {"band": [2, 5, 10]}, params={"weights": "IWM:60,TLT:40"}, start=start, end=end,
                    benchmark="none", home=str(real_home), offline=True)
    rows = out.results
    trials = rows[rows["role"] == "trial"] if "role" in rows else rows
    got = {float(b): v for b, v in zip(trials["p.band"], trials["final_value"], strict=True)}
    assert sorted(got) == [2.0, 5.0, 10.0]
    for band, final in got.items():
        value, _, _ = reference(["IWM", "TLT"], {"IWM": 0.6, "TLT": 0.4}, start, end, band=band)
        assert final == pytest.approx(value.iloc[-1], rel=1e-9), band
