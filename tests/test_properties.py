"""Property-based tests (hypothesis) for the accounting and for the CSV reader."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from r2k.data.csvfolder import read_csv_file
from r2k.data.errors import DataError
from r2k.reports.xirr import xirr
from r2k.runner.engine import flow_neutral_returns
from r2k.runner.plan import Plan
from r2k.runner.vector_executor import run_vector

N = 120
CAL = pd.bdate_range("2020-01-01", periods=N)


def _plan(closes, opens, weights, decide, flows, fill, cost, whole=False):
    return Plan(calendar=CAL, assets=[f"A{j}" for j in range(closes.shape[1])], opens=opens, closes=closes,
                decide=decide, weights=weights, flows=flows, fill=fill, commission=cost, slippage=0.0,
                whole_shares=whole)


@st.composite
def scenarios(draw):
    m = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    closes = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, (N, m)), axis=0))
    opens = closes * np.exp(rng.normal(0, 0.005, (N, m)))
    decide = rng.random(N) < draw(st.floats(0.02, 0.3))
    decide[0] = True
    raw = rng.random((N, m)) * (rng.random((N, m)) < 0.7)
    scale = draw(st.floats(0.5, 1.0))
    weights = raw / np.maximum(raw.sum(axis=1, keepdims=True), 1e-12) * scale
    weights[~decide] = np.nan
    weights = pd.DataFrame(weights).ffill().to_numpy()
    flows = np.where(rng.random(N) < 0.1, rng.uniform(10, 1000, N), 0.0)
    flows[0] = draw(st.floats(100, 1e6))
    fill = draw(st.sampled_from(["next-open", "close"]))
    cost = draw(st.sampled_from([0.0, 0.0005, 0.003]))
    return closes, opens, weights, decide, flows, fill, cost


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_value_is_cash_plus_positions_and_never_negative_cash(sc):
    closes, opens, weights, decide, flows, fill, cost = sc
    ex = run_vector(_plan(*sc))
    np.testing.assert_allclose(ex.value, ex.cash + (ex.shares * closes).sum(axis=1), rtol=1e-12)
    assert (ex.cash >= -1e-9 * ex.value).all()
    assert (ex.shares >= -1e-12).all()


@settings(max_examples=40, deadline=None)
@given(scenarios(), st.floats(0.01, 100.0))
def test_scaling_every_flow_scales_value_and_keeps_twr(sc, k):
    closes, opens, weights, decide, flows, fill, cost = sc
    a = run_vector(_plan(closes, opens, weights, decide, flows, fill, cost))
    b = run_vector(_plan(closes, opens, weights, decide, flows * k, fill, cost))
    assert b.value[-1] == pytest.approx(k * a.value[-1], rel=1e-9)
    ra, rb = flow_neutral_returns(a.value, flows), flow_neutral_returns(b.value, flows * k)
    np.testing.assert_allclose(rb, ra, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_deposits_are_never_returns_on_flat_prices(sc):
    closes, opens, weights, decide, flows, fill, cost = sc
    flat = np.full_like(closes, 20.0)
    ex = run_vector(_plan(flat, flat, weights, decide, flows, fill, 0.0))
    assert np.abs(flow_neutral_returns(ex.value, flows)).max() < 1e-12
    assert ex.value[-1] == pytest.approx(flows.sum(), rel=1e-9)  # total contributed = sum of the ledger


@settings(max_examples=80, deadline=None)
@given(d=st.floats(1.0, 1e7), growth=st.floats(0.2, 5.0), days=st.integers(30, 20_000))
def test_xirr_of_one_deposit_is_its_cagr(d, growth, days):
    t0 = pd.Timestamp("2000-01-03")
    cagr = growth ** (365.0 / days) - 1
    assume(-0.999 < cagr < 1e5)  # inside the solver's documented range
    r = xirr([t0, t0 + pd.Timedelta(days=days)], [-d, d * growth])
    assert r == pytest.approx(cagr, rel=1e-8, abs=1e-10)


# -- CSV reader -----------------------------------------------------------------------------
HEADERS = {"date": ["Date", "date", "DATE", "timestamp"], "close": ["Close", "close", "CLOSE"],
           "adj_close": ["Adj Close", "adj_close", "AdjClose", "adjusted_close"]}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_csv_reader_round_trips_any_header_spelling_and_row_order(tmp_path, data):
    n = data.draw(st.integers(2, 40))
    closes = data.draw(st.lists(st.floats(0.01, 1e5, allow_nan=False), min_size=n, max_size=n))
    dates = pd.bdate_range("2015-01-01", periods=n)
    order = data.draw(st.permutations(range(n)))
    names = {k: data.draw(st.sampled_from(v)) for k, v in HEADERS.items()}
    df = pd.DataFrame({names["date"]: dates.strftime("%Y-%m-%d"), names["close"]: closes,
                       names["adj_close"]: [c * 0.9 for c in closes]}).iloc[list(order)]
    path = tmp_path / "SPY.csv"
    df.to_csv(path, index=False)
    out = read_csv_file(path).checked.frame
    assert list(out.index) == list(dates)
    np.testing.assert_allclose(out["close"].to_numpy(), closes, rtol=1e-12)
    np.testing.assert_allclose(out["adj_close"].to_numpy(), np.array(closes) * 0.9, rtol=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_csv_reader_never_crashes_on_garbage(tmp_path, text):
    path = tmp_path / "IWM.csv"
    path.write_text(text)
    try:
        item = read_csv_file(path)
    except DataError as exc:
        assert str(exc)  # a clear message, never another exception type
        return
    frame = item.checked.frame
    assume(len(frame) > 0)
    values = frame if isinstance(frame, pd.Series) else frame["close"]
    assert np.isfinite(values.to_numpy()).all()
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
