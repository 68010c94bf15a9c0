"""Every report says what a run really traded on (issue 17 points 1 and 9): close-only files fill at
the next close and say so; price indices are labelled price indices; a benchmark that cuts the
window says so."""

import json

import numpy as np
import pandas as pd
import pytest

from r2k.data.store import Store
from r2k.runner.engine import run
from r2k.runner.spec import RunSpec
from tests.util import invoke, needs_real_data, put_prices, random_walk, real_data_dir


@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path)
    walk = random_walk(300, seed=4)
    close_only = walk.copy()
    close_only[["open", "high", "low"]] = np.nan
    for col in ("open", "high", "low"):  # what validation does with a close-only CSV
        close_only[col] = close_only["close"]
    put_prices(st, "CLOS", close_only)
    put_prices(st, "OPEN", walk)
    return st


def test_close_only_symbol_fills_at_next_close_and_says_so(store):
    notes = []
    r = run(RunSpec("buy-and-hold", {"symbol": "CLOS"}, benchmark=None), store=store, offline=True, warn=notes.append)
    closes = store.read("prices", "CLOS").data["close"]
    trade = r.trades.iloc[0]
    assert trade["date"] == closes.index[1].strftime("%Y-%m-%d")
    assert trade["price"] == pytest.approx(closes.iloc[1], rel=1e-12)  # the next day's close, not an open
    assert r.assumptions["fill"].startswith("next close (no open prices: CLOS)")
    assert "next day's open" not in r.assumptions["fill"]
    assert r.assumptions["prices"] == "total-return adjusted close only (no open prices)"
    assert any("CLOS has no open prices" in n for n in notes)
    from r2k.reports.summary import format_summary

    assert "next close (no open prices: CLOS)" in format_summary(r).splitlines()[0]


def test_symbol_with_opens_keeps_next_open_label(store):
    r = run(RunSpec("buy-and-hold", {"symbol": "OPEN"}, benchmark=None), store=store, offline=True)
    assert r.assumptions["fill"].startswith("next-open: ")
    assert not [n for n in r.notes if "no open prices" in n]


def test_close_fill_is_unchanged_by_close_only_data(store):
    r = run(RunSpec("buy-and-hold", {"symbol": "CLOS"}, benchmark=None, fill="close"), store=store, offline=True)
    assert r.assumptions["fill"].startswith("close: ")
    assert not [n for n in r.notes if "no open prices" in n]


@needs_real_data
def test_real_ijr_trend_filter_is_labelled_next_close(real_home, tmp_path):
    out = tmp_path / "ijr"
    res = invoke("run", "trend-filter", "--symbol", "IJR", "--start", "2005-01-01", "--end", "2024-12-31", "--offline",
                 "--no-tearsheet", "--out", out, env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    assert "next close (no open prices: IJR)" in res.stdout.splitlines()[0]
    assert "IJR has no open prices" in res.stderr
    man = json.loads((out / "manifest.json").read_text())
    assert man["assumptions"]["fill"].startswith("next close")
    raw = pd.read_csv(real_data_dir() / "prices" / "IJR.csv", index_col="date", parse_dates=True)["close"]
    trades = pd.read_csv(out / "trades.csv", parse_dates=["date"])
    ijr = trades[trades["symbol"] == "IJR"]
    assert len(ijr) > 20
    # every IJR fill is at that day's close, the day after the decision
    np.testing.assert_allclose(ijr["price"].to_numpy(), raw.reindex(ijr["date"]).to_numpy(), rtol=1e-12)


@needs_real_data
def test_real_rut_is_a_price_index_and_the_benchmark_clip_is_said(real_home, tmp_path):
    out = tmp_path / "rut"
    res = invoke("run", "buy-and-hold", "--symbol", "^RUT", "--offline", "--no-tearsheet", "--out", out,
                 env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    assert "Prices: price index (no dividends)." in res.stdout
    assert "the benchmark SPY starts 1993-01-29, after the strategy's data (1987-09-10)" in res.stderr
    man = json.loads((out / "manifest.json").read_text())
    assert man["assumptions"]["prices"] == "price index (no dividends)"
    assert man["inputs"]["^RUT"]["basis"] == "price index (no dividends)"
    assert man["window"]["start"] == "1993-01-29"
    first = pd.read_csv(real_data_dir() / "prices" / "RUT.csv", index_col="date").index[0]
    out2 = tmp_path / "rut-alone"
    res = invoke("run", "buy-and-hold", "--symbol", "^RUT", "--offline", "--no-tearsheet", "--benchmark", "none",
                 "--out", out2, env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    assert json.loads((out2 / "manifest.json").read_text())["window"]["start"] == first == "1987-09-10"
    assert "benchmark" not in res.stderr
