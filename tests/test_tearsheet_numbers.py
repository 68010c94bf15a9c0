"""The tear sheet says what the summary says (issue 17 point 5) and time in market comes from the
positions (point 6), each checked against plain numpy/pandas."""

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from r2k.data.store import Meta, Store
from r2k.runner.engine import run
from r2k.runner.spec import RunSpec
from tests.util import invoke, needs_real_data, put_prices, random_walk


def _days_held(trades: pd.DataFrame, returns_index: pd.DatetimeIndex, symbol: str) -> float:
    """Share of return days on whose close ``symbol`` was held, from buy/sell dates alone."""
    t = trades[trades["symbol"] == symbol]
    held = pd.Series(False, index=returns_index)
    on = None
    for date, side in zip(pd.to_datetime(t["date"]), t["side"], strict=True):
        if side == "buy" and on is None:
            on = date
        elif side == "sell" and on is not None:
            held[(held.index >= on) & (held.index < date)] = True
            on = None
    if on is not None:
        held[held.index >= on] = True
    return float(held.mean())


@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path)
    put_prices(st, "IWM", random_walk(500, seed=11, start="2018-01-01", vol=0.02))
    put_prices(st, "SPY", random_walk(500, seed=12, start="2018-01-01"))
    days = pd.date_range("2017-12-01", "2020-12-31", freq="D", name="date").astype("datetime64[ns]")
    meta = Meta(name="DFF", kind="series", source="csv:test", fetched_at="2025-01-01T00:00:00+00:00", adjustment="",
                start="", end="", rows=0, sha256="")
    st.write("series", "DFF", pd.Series(2.0, index=days, name="DFF"), meta)
    return st


def test_time_in_market_counts_positions_not_cash_days(store):
    r = run(RunSpec("trend-filter", {"symbol": "IWM", "window": "50"}, benchmark="SPY"), store=store, offline=True)
    expected = _days_held(r.trades, r.returns.index, "IWM")
    assert 0.2 < expected < 0.9  # it sat in CASH part of the time (CASH earns every day: no zero returns)
    assert (r.returns != 0).mean() > 0.99  # what quantstats counts as "in the market"
    assert r.metrics["exposure"] == pytest.approx(expected, abs=1e-12)
    assert r.benchmark_metrics["exposure"] == 1.0  # bought on the second day's open, held throughout


def test_tearsheet_metrics_rows_are_the_summarys(store, tmp_path):
    r = run(RunSpec("trend-filter", {"symbol": "IWM", "window": "50"}, benchmark="SPY", rf="0.02"),
            store=store, offline=True)
    page = r.tearsheet(tmp_path / "t.html").read_text(encoding="utf-8")
    table = page[page.find("Key Performance Metrics"):]
    table = table[: table.find("</table>")]
    heads = re.findall(r"<th>(.*?)</th>", table)
    col = heads.index(r.label)
    rows = {}
    for tr in re.findall(r"<tr><td>.*?</tr>", table, flags=re.S):
        cells = re.findall(r"<td>(.*?)</td>", tr)
        rows[cells[0]] = cells[col]
    # independent numbers from the account itself
    v = r.equity["value"]
    years = (v.index[-1] - v.index[0]).days / 365.25
    cagr = (v.iloc[-1] / v.iloc[0]) ** (1 / years) - 1
    ret = v.pct_change().dropna().to_numpy()
    excess = ret - (1.02 ** (1 / 252) - 1)
    sharpe = excess.mean() / excess.std(ddof=1) * math.sqrt(252)
    wealth = v.to_numpy()
    trough = int(np.argmin(wealth / np.maximum.accumulate(wealth)))
    peak = int(np.flatnonzero(wealth[: trough + 1] == wealth[: trough + 1].max())[-1])
    assert rows["Risk-Free Rate"] == "2%"
    assert rows["CAGR%"] == f"{100 * cagr:.2f}%"
    assert rows["Sharpe"] == f"{sharpe:.2f}"
    assert rows["Time in Market"] == f"{100 * _days_held(r.trades, r.returns.index, 'IWM'):.2f}%"
    assert rows["Max DD Period Start"] == f"{v.index[peak]:%Y-%m-%d}"
    assert rows["Max DD Date"] == f"{v.index[trough]:%Y-%m-%d}"
    # ... which is what the summary (metrics.json) says
    assert rows["CAGR%"] == f"{100 * r.metrics['cagr']:.2f}%" and rows["Sharpe"] == f"{r.metrics['sharpe']:.2f}"
    assert "every number on this page is r2k&#x27;s own" in page and "RF: 2%" in page


@needs_real_data
def test_real_trend_filter_time_in_market_is_about_70_percent(real_home, tmp_path):
    out = tmp_path / "tf"
    res = invoke("run", "trend-filter", "--symbol", "IWM", "--start", "2005-01-01", "--end", "2024-12-31",
                 "--offline", "--no-tearsheet", "--out", out, env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    returns = pd.read_csv(out / "returns.csv", index_col="date", parse_dates=True)
    trades = pd.read_csv(out / "trades.csv")
    expected = _days_held(trades, returns.index, "IWM")
    assert m["exposure"] == pytest.approx(expected, abs=1e-12)
    assert 0.69 < m["exposure"] < 0.71
