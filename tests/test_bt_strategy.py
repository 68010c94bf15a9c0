"""Plain backtrader strategies through the engine: feeds, params, deposits, errors."""

import numpy as np
import pytest

from r2k.data.errors import UsageError
from r2k.data.store import Meta, Store
from r2k.runner.engine import run
from r2k.runner.spec import RunSpec
from r2k.runner.usercode import StrategyError
from r2k.strategies import registry
from tests.util import random_walk


@pytest.fixture
def store(tmp_path, monkeypatch):
    st = Store(tmp_path)
    meta = Meta(name="IWM", kind="prices", source="csv:t", fetched_at="2025-01-01T00:00:00+00:00",
                adjustment="", start="", end="", rows=0, sha256="")
    st.write("prices", "IWM", random_walk(300, seed=3), meta)
    for name, cls in (("buy-once-bt", "BuyOnceBT"), ("sma-warmup-bt", "SmaWarmupBT"), ("broken-bt", "Broken")):
        monkeypatch.setitem(registry.BUILTINS, name, f"tests.samples.bt_strategies:{cls}")
    return st


def test_fixed_size_buy_fills_at_next_open(store):
    df = store.read("prices", "IWM").data
    r = run(RunSpec("buy-once-bt", {"size": "7"}, benchmark=None), store=store, offline=True)
    assert r.params == {"size": 7}
    t = r.trades.iloc[0]
    assert (t["size"], t["date"]) == (7, df.index[1].strftime("%Y-%m-%d"))
    assert t["price"] == pytest.approx(df["open"].iloc[1])
    expected_final = 10_000 - 7 * df["open"].iloc[1] + 7 * df["close"].iloc[-1]
    assert r.equity["value"].iloc[-1] == pytest.approx(expected_final, rel=1e-12)


def test_deposits_during_warmup_are_credited_and_flow_neutral(store):
    df = store.read("prices", "IWM").data
    r = run(RunSpec("sma-warmup-bt", {}, benchmark=None, contribute=1000.0, every="week"), store=store, offline=True)
    assert not r.equity["value"].isna().any()
    # before the first buy the account is all cash: value = cumulative deposits, returns zero
    first_trade = r.trades["date"].iloc[0]
    pre = r.equity.loc[: first_trade]
    deposits = r.cashflows.set_index("date")["amount"].cumsum()
    deposits.index = deposits.index.astype("datetime64[ns]")
    assert pre["value"].iloc[-2] == pytest.approx(deposits.loc[: pre.index[-2]].iloc[-1])
    assert (r.returns.loc[: pre.index[-2]].abs() < 1e-12).all()
    # independent TWR from the recorded account and the ledger
    flows = np.zeros(len(df))
    flows[[df.index.get_loc(d) for d in deposits.index]] = r.cashflows["amount"].to_numpy()
    v = r.equity["value"].to_numpy()
    twr = np.prod([(v[i] - flows[i]) / v[i - 1] for i in range(1, len(v))])
    assert (1 + r.returns).prod() == pytest.approx(twr, rel=1e-12)


def test_unknown_and_bad_params_are_usage_errors(store):
    with pytest.raises(UsageError, match="size"):
        run(RunSpec("buy-once-bt", {"sise": "7"}, benchmark=None), store=store, offline=True)
    with pytest.raises(UsageError, match="size"):
        run(RunSpec("buy-once-bt", {"size": "seven"}, benchmark=None), store=store, offline=True)


def test_exception_in_strategy_names_file_and_line(store):
    with pytest.raises(StrategyError, match=r"bt_strategies\.py:\d+: ValueError: boom"):
        run(RunSpec("broken-bt", {}, benchmark=None), store=store, offline=True)


def test_vector_engine_refuses_backtrader_strategies(store):
    with pytest.raises(UsageError, match="vector"):
        run(RunSpec("buy-once-bt", {}, benchmark=None, engine="vector"), store=store, offline=True)
