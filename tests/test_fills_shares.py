"""Whole shares are real shares (issue 17 point 4); with --fill close the records hold that day's
fill and a last-day fill is in the final value (point 7). Both executors."""

import json

import numpy as np
import pandas as pd
import pytest

from r2k.data.store import Store
from r2k.runner.engine import run
from r2k.runner.spec import RunSpec
from tests.util import invoke, needs_real_data, price_frame, put_prices, random_walk, real_data_dir

ENGINES = ["vector", "backtrader"]


@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path)
    walk = random_walk(120, seed=7, start="2020-01-01")
    put_prices(st, "IWM", walk)
    # a raw price of 100 whose total-return adjusted price is 50: one real share is two account units
    raw = np.full(60, 100.0)
    put_prices(st, "HALF", price_frame(raw, start="2020-01-01", adj=raw / 2))
    return st


@pytest.mark.parametrize("engine", ENGINES)
def test_whole_shares_are_counted_at_the_raw_price(store, engine):
    r = run(RunSpec("buy-and-hold", {"symbol": "HALF"}, benchmark=None, whole_shares=True, engine=engine,
                    cash=10_050.0), store=store, offline=True)
    t = r.trades.iloc[0]
    assert t["shares"] == 100 and t["share_price"] == pytest.approx(100.0)  # floor(10,050 / 100), not / 50
    assert t["size"] == pytest.approx(200.0) and t["price"] == pytest.approx(50.0)
    assert t["value"] == pytest.approx(10_000.0)
    assert r.equity["cash"].iloc[-1] == pytest.approx(50.0)
    assert r.assumptions["shares"].startswith("whole shares at the traded")


@pytest.mark.parametrize("engine", ENGINES)
def test_close_fill_records_the_state_after_that_days_fill(store, engine):
    r = run(RunSpec("buy-and-hold", {"symbol": "IWM"}, benchmark=None, fill="close", engine=engine, commission_bps=10),
            store=store, offline=True)
    close0 = store.read("prices", "IWM").data["close"].iloc[0]
    shares0 = 10_000 / close0 / (1 + 0.001) * (1 - 1e-12)
    assert r.positions["IWM"].iloc[0] == pytest.approx(shares0, rel=1e-9)  # bought at day 0's close, shown on day 0
    assert r.equity["cash"].iloc[0] == pytest.approx(0.0, abs=1e-6)
    assert r.equity["value"].iloc[0] == pytest.approx(shares0 * close0, rel=1e-9)
    # the first day's return still includes the first close's commission (base = the initial cash)
    close1 = store.read("prices", "IWM").data["close"].iloc[1]
    assert r.returns.iloc[0] == pytest.approx(shares0 * close1 / 10_000 - 1, rel=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_close_fill_on_the_last_day_is_in_the_final_value(store, engine):
    # 2020-06-01 is the first trading day of June: its deposit is invested at that (last) close
    r = run(RunSpec("dca", {"symbol": "IWM"}, benchmark=None, fill="close", engine=engine, contribute=500.0,
                    end="2020-06-01"), store=store, offline=True)
    closes = store.read("prices", "IWM").data["close"]
    flows = r.cashflows.assign(date=pd.to_datetime(r.cashflows["date"]))
    assert flows["date"].iloc[-1] == pd.Timestamp("2020-06-01") == r.end
    expected = (flows["amount"].to_numpy() / closes.reindex(flows["date"]).to_numpy()).sum()
    assert r.positions["IWM"].iloc[-1] == pytest.approx(expected, rel=1e-9)
    assert r.trades["date"].iloc[-1] == "2020-06-01"
    assert r.equity["cash"].iloc[-1] == pytest.approx(0.0, abs=1e-6)
    assert r.equity["value"].iloc[-1] == pytest.approx(expected * closes.loc["2020-06-01"], rel=1e-9)


def test_executors_agree_on_close_fill_records_and_trade_dates(store):
    out = {e: run(RunSpec("dca", {"symbol": "IWM"}, benchmark=None, fill="close", engine=e, contribute=500.0,
                          end="2020-06-01", commission_bps=5), store=store, offline=True) for e in ENGINES}
    a, b = out["backtrader"], out["vector"]
    np.testing.assert_allclose(a.equity.to_numpy(), b.equity.to_numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.positions.to_numpy(), b.positions.to_numpy(), rtol=1e-9, atol=1e-12)
    assert list(a.trades["date"]) == list(b.trades["date"])


@needs_real_data
def test_real_spy_first_whole_share_fill_is_83_shares_at_120_46(real_home, tmp_path):
    out = tmp_path / "spy"
    res = invoke("run", "buy-and-hold", "--symbol", "SPY", "--whole-shares", "--start", "2005-01-01", "--end",
                 "2024-12-31", "--benchmark", "none", "--offline", "--no-tearsheet", "--out", out,
                 env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    raw = pd.read_csv(real_data_dir() / "prices" / "SPY.csv", index_col="date", parse_dates=True)
    raw = raw.loc["2005-01-01":"2024-12-31"]
    fill_day = raw.index[1]
    open_raw = raw["open"].iloc[1]
    n = int(10_000 // open_raw)
    t = pd.read_csv(out / "trades.csv").iloc[0]
    assert (t["date"], t["shares"], t["share_price"]) == (f"{fill_day:%Y-%m-%d}", n, open_raw) == ("2005-01-04", 83, 120.46)
    # independent account: n shares bought at the raw open, dividends reinvested (adjusted growth), cash left over
    adj_open = open_raw * raw["adj_close"].iloc[1] / raw["close"].iloc[1]
    final = n * open_raw * raw["adj_close"].iloc[-1] / adj_open + (10_000 - n * open_raw)
    m = json.loads((out / "metrics.json").read_text())
    assert m["final_value"] == pytest.approx(final, rel=1e-9)


@pytest.fixture
def bt_store(store, monkeypatch):
    from r2k.strategies import registry

    for name, cls in (("buy-once-bt", "BuyOnceBT"), ("sma-warmup-bt", "SmaWarmupBT"), ("buy-last-bt", "BuyOnLastBarBT")):
        monkeypatch.setitem(registry.BUILTINS, name, f"tests.samples.bt_strategies:{cls}")
    return store


def test_backtrader_close_fill_records_that_days_fill(bt_store):
    r = run(RunSpec("buy-once-bt", {"size": "10"}, benchmark=None, fill="close"), store=bt_store, offline=True)
    close0 = bt_store.read("prices", "IWM").data["close"].iloc[0]
    assert r.trades["date"].iloc[0] == f"{r.start:%Y-%m-%d}"
    assert r.positions["IWM"].iloc[0] == 10
    assert r.equity["cash"].iloc[0] == pytest.approx(10_000 - 10 * close0, rel=1e-12)


def test_backtrader_close_fill_on_the_last_bar_is_in_the_final_value(bt_store):
    r = run(RunSpec("buy-last-bt", {}, benchmark=None, fill="close", commission_bps=10), store=bt_store, offline=True)
    last = bt_store.read("prices", "IWM").data["close"].iloc[-1]
    assert list(r.trades["date"]) == [f"{r.end:%Y-%m-%d}"]
    assert r.positions["IWM"].iloc[-1] == 5
    assert r.equity["value"].iloc[-1] == pytest.approx(10_000 - 5 * last * 0.001, rel=1e-12)
    assert r.equity["cash"].iloc[-1] == pytest.approx(10_000 - 5 * last * 1.001, rel=1e-12)


def test_backtrader_strategies_say_how_they_size_and_what_history_they_see(bt_store):
    whole = run(RunSpec("buy-once-bt", {"size": "7"}, benchmark=None), store=bt_store, offline=True)
    assert whole.assumptions["shares"].startswith("whole units of the total-return adjusted price")
    assert "fractional" not in whole.assumptions["shares"]
    frac = run(RunSpec("sma-warmup-bt", {}, benchmark=None, whole_shares=True), store=bt_store, offline=True)
    assert frac.assumptions["shares"].startswith("as the strategy sized its orders: fractional")
    assert frac.assumptions["shares"].endswith("--whole-shares does not apply to a backtrader strategy")
    cal = frac.equity.index
    assert f"first acted on {cal[19]:%Y-%m-%d} (bar 20)" in frac.assumptions["history"]
    rule = run(RunSpec("buy-and-hold", {"symbol": "IWM"}, benchmark=None), store=bt_store, offline=True)
    assert "history" not in rule.assumptions and rule.assumptions["shares"] == "fractional shares"
