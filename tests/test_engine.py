"""The engine against independent numpy computations on synthetic prices."""

import numpy as np
import pandas as pd
import pytest

from r2k.data.errors import DataError, UsageError
from r2k.data.store import Store
from r2k.runner.engine import run
from r2k.runner.spec import RunSpec
from tests.util import price_frame, put_prices, random_walk


def _put(store, name, frame):
    put_prices(store, name, frame)


@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path)
    _put(st, "IWM", random_walk(800, seed=1))
    _put(st, "SPY", random_walk(800, seed=2))
    _put(st, "FLAT", price_frame([50.0] * 400, start="2015-01-01"))
    return st


def _run(store, **kw):
    params = kw.pop("params", {"symbol": "IWM"})
    strategy = kw.pop("strategy", "buy-and-hold")
    kw.setdefault("benchmark", None)
    return run(RunSpec(strategy, params, **kw), store=store, offline=True)


def test_buy_and_hold_next_open_equals_price_ratio(store):
    df = store.read("prices", "IWM").data
    r = _run(store)
    expected = df["close"].iloc[-1] / df["open"].iloc[1]  # bought at the 2nd day's open
    assert r.equity["value"].iloc[-1] / 10_000 == pytest.approx(expected, rel=1e-9)
    assert (1 + r.returns).prod() == pytest.approx(expected, rel=1e-9)
    assert len(r.trades) == 1 and r.trades["date"].iloc[0] == df.index[1].strftime("%Y-%m-%d")


def test_buy_and_hold_close_fill_equals_close_ratio(store):
    df = store.read("prices", "IWM").data
    r = _run(store, fill="close")
    assert r.equity["value"].iloc[-1] / 10_000 == pytest.approx(df["close"].iloc[-1] / df["close"].iloc[0], rel=1e-9)
    # the first day's return is the first close-to-close move: the buy happened at the first close
    assert r.returns.iloc[0] == pytest.approx(df["close"].iloc[1] / df["close"].iloc[0] - 1, rel=1e-9)


def test_window_dates_are_honoured(store):
    df = store.read("prices", "IWM").data
    r = _run(store, start="2016-01-01", end="2017-06-30", fill="close")
    inside = df.loc["2016-01-01":"2017-06-30"]
    assert r.start == inside.index[0] and r.end == inside.index[-1]
    assert r.equity["value"].iloc[-1] / 10_000 == pytest.approx(inside["close"].iloc[-1] / inside["close"].iloc[0], rel=1e-9)


def test_dca_on_flat_prices_has_zero_time_weighted_return(store):
    r = _run(store, strategy="dca", params={"symbol": "FLAT"}, contribute=1000.0, cash=0.0)
    assert (r.returns.abs() < 1e-12).all()
    deposits = r.cashflows["amount"].sum()
    assert r.equity["value"].iloc[-1] == pytest.approx(deposits, rel=1e-9)
    months = pd.Series(r.equity.index).dt.to_period("M").nunique()
    assert len(r.cashflows) == months  # first bar plus the first trading day of every later month


def test_dca_close_fill_twr_equals_the_asset_return(store):
    df = store.read("prices", "IWM").data
    r = _run(store, strategy="dca", contribute=500.0, fill="close")
    assert (1 + r.returns).prod() == pytest.approx(df["close"].iloc[-1] / df["close"].iloc[0], rel=1e-9)
    # deposits are the first trading day of each month after the first bar
    dates = pd.to_datetime(r.cashflows["date"].iloc[1:])
    months = df.index.to_period("M")
    firsts = df.index[~months.duplicated()][1:]
    assert list(dates) == list(firsts)


def test_dca_next_open_matches_an_independent_simulation(store):
    df = store.read("prices", "IWM").data
    r = _run(store, strategy="dca", contribute=500.0)
    opens, closes = df["open"].to_numpy(), df["close"].to_numpy()
    flows = np.zeros(len(df))
    flows[0] = 10_000
    months = df.index.to_period("M")
    flows[np.flatnonzero(~months.duplicated())[1:]] += 500
    # plain loop: cash arriving at a close buys at the next open
    shares, cash, values = 0.0, 0.0, []
    for t in range(len(df)):
        if cash > 0:
            shares += cash / opens[t]
            cash = 0.0
        cash += flows[t]
        values.append(shares * closes[t] + cash)
    values = np.array(values)
    np.testing.assert_allclose(r.equity["value"].to_numpy(), values, rtol=1e-9)
    twr = np.prod((values[1:] - flows[1:]) / values[:-1])
    assert (1 + r.returns).prod() == pytest.approx(twr, rel=1e-9)


def test_costs_are_charged_on_traded_value(store):
    df = store.read("prices", "IWM").data
    r = _run(store, fill="close", commission_bps=10, slippage_bps=5)
    c = 0.0015
    expected = 10_000 / (1 + c) * df["close"].iloc[-1] / df["close"].iloc[0]
    assert r.equity["value"].iloc[-1] == pytest.approx(expected, rel=1e-9)
    t = r.trades.iloc[0]
    assert t["commission"] == pytest.approx(t["value"] * 0.0010) and t["slippage"] == pytest.approx(t["value"] * 0.0005)


def test_whole_shares_leave_the_remainder_in_cash(store):
    df = store.read("prices", "IWM").data
    r = _run(store, fill="close", whole_shares=True)
    n = np.floor(10_000 / df["close"].iloc[0])
    assert r.positions["IWM"].iloc[-1] == n
    assert r.equity["cash"].iloc[-1] == pytest.approx(10_000 - n * df["close"].iloc[0], rel=1e-9)


def test_window_outside_data_is_an_error(store):
    with pytest.raises(DataError, match="no overlap"):
        _run(store, start="1990-01-01", end="1990-12-31")


def test_start_before_data_is_clipped_with_a_note(store):
    df = store.read("prices", "IWM").data
    r = _run(store, start="2010-01-01")
    assert r.start == df.index[0]
    assert any("starts" in n for n in r.notes)


def test_bad_inputs_are_usage_errors(store):
    with pytest.raises(UsageError):
        _run(store, start="2020-13-01")
    with pytest.raises(UsageError):
        _run(store, start="2020-01-01", end="2019-01-01")
    with pytest.raises(UsageError, match="unknown parameter"):
        _run(store, params={"symbl": "IWM"})
    with pytest.raises(UsageError, match="unknown strategy"):
        _run(store, strategy="nope")


def test_benchmark_returns_share_the_strategy_dates(store):
    r = _run(store, benchmark="SPY")
    spy = store.read("prices", "SPY").data
    assert r.benchmark.index.equals(r.returns.index)
    # bought like the strategy: decided at the first close, filled at the second day's open
    assert (1 + r.benchmark).prod() == pytest.approx(spy["close"].iloc[-1] / spy["open"].iloc[1], rel=1e-12)

def test_benchmark_gets_the_same_deposits_fills_and_costs(store):
    from r2k.reports.summary import benchmark_metrics

    r = _run(store, strategy="dca", contribute=250.0, benchmark="SPY", commission_bps=10)
    spy = store.read("prices", "SPY").data
    ledger = r.cashflows.assign(date=pd.to_datetime(r.cashflows["date"]))
    pos = spy.index.get_indexer(ledger["date"])
    # each deposit arrives at a close and buys at the next open, paying 10 bp
    buys = pos + 1 < len(spy)
    shares = (ledger["amount"].to_numpy()[buys] / (spy["open"].to_numpy()[pos[buys] + 1] * 1.001)).sum()
    cash_left = ledger["amount"].to_numpy()[~buys].sum()
    assert r.benchmark_value.iloc[-1] == pytest.approx(shares * spy["close"].iloc[-1] + cash_left, rel=1e-9)
    m = benchmark_metrics(r)
    assert m["contributed"] == pytest.approx(ledger["amount"].iloc[1:].sum())
    assert m["final_value"] == pytest.approx(r.benchmark_value.iloc[-1])
    assert m["xirr"] is not None


@pytest.mark.parametrize("fill", ["next-open", "close"])
def test_same_asset_as_benchmark_gives_the_same_account(store, fill):
    r = _run(store, benchmark="IWM", fill=fill, contribute=100.0)
    assert r.benchmark_value.iloc[-1] == pytest.approx(r.equity["value"].iloc[-1], rel=1e-12)
    np.testing.assert_allclose(r.benchmark.to_numpy(), r.returns.to_numpy(), atol=1e-12)


def test_cash_zero_reports_every_deposit_as_contributed(store):
    from r2k.reports.runfolder import compute_metrics

    r = _run(store, strategy="dca", params={"symbol": "FLAT"}, contribute=1000.0, cash=0.0)
    m = compute_metrics(r)
    assert m["initial_cash"] == 0.0
    assert m["contributed"] == pytest.approx(r.cashflows["amount"].sum())
    assert m["gain"] == pytest.approx(0.0, abs=1e-6)  # flat prices: nothing gained
