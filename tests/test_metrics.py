"""Every metric against an independent computation written differently here (loops, logs,
explicit formulas, scipy) or against values derived by hand on tiny series."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from r2k.reports import metrics as m

START = pd.Timestamp("2020-12-31")


def series(values: list[float], first: str = "2021-01-04") -> pd.Series:
    return pd.Series(values, index=pd.bdate_range(first, periods=len(values)), dtype=float)


def random_returns(seed: int, n: int = 700, first: str = "2021-01-04") -> pd.Series:
    rng = np.random.default_rng(seed)
    return series(list(rng.normal(0.0005, 0.013, n)), first)


# ---- independent reference implementations (plain Python / numpy, no pandas resampling) -----


def ref_total(values) -> float:
    # Sum of logs instead of a running product.
    return math.expm1(math.fsum(math.log1p(x) for x in values))


def ref_sample_std(values) -> float:
    x = list(values)
    mean = math.fsum(x) / len(x)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in x) / (len(x) - 1))


def ref_by_month(r: pd.Series) -> dict[tuple[int, int], float]:
    logs: dict[tuple[int, int], float] = {}
    for day, x in zip(r.index, r.to_numpy(), strict=True):
        key = (day.year, day.month)
        logs[key] = logs.get(key, 0.0) + math.log1p(x)
    return {k: math.expm1(v) for k, v in logs.items()}


def ref_by_year(r: pd.Series) -> dict[int, float]:
    growth: dict[int, float] = {}
    for day, x in zip(r.index, r.to_numpy(), strict=True):
        growth[day.year] = growth.get(day.year, 1.0) * (1.0 + x)
    return {y: g - 1.0 for y, g in growth.items()}


def ref_drawdowns(values) -> list[float]:
    peak, wealth, out = 1.0, 1.0, []
    for x in values:
        wealth *= 1.0 + x
        peak = max(peak, wealth)
        out.append(wealth / peak - 1.0)
    return out


def ref_sortino(x: np.ndarray, periods: int) -> float:
    down = [v * v for v in x if v < 0]
    dd = math.sqrt(math.fsum(down) / len(x))
    return (math.fsum(x) / len(x)) / dd * math.sqrt(periods)


# ---- total return, CAGR -----------------------------------------------------------------------


def test_total_return_hand() -> None:
    # 1.1 * 0.8 * 1.05 = 0.924 by hand.
    assert m.total_return(series([0.1, -0.2, 0.05])) == pytest.approx(-0.076, abs=1e-15)
    assert m.total_return(series([])) == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_total_return_random(seed: int) -> None:
    r = random_returns(seed)
    assert m.total_return(r) == pytest.approx(ref_total(r), rel=1e-12)


def test_cagr_hand() -> None:
    # Base on 2020-01-01, +21 % by 2022-01-01: 731 days = 731 / 365.25 years,
    # so CAGR = 1.21 ** (365.25 / 731) - 1 (a shade under 10 %).
    r = pd.Series([0.1, 0.1], index=pd.to_datetime(["2021-01-01", "2022-01-01"]))
    assert m.cagr(r, "2020-01-01") == pytest.approx(1.21 ** (365.25 / 731) - 1, rel=1e-12)
    # Exactly four years (1461 days, one leap day): 2x -> 2 ** (1/4) - 1.
    r4 = pd.Series([1.0], index=pd.to_datetime(["2024-01-01"]))
    assert m.cagr(r4, "2020-01-01") == pytest.approx(2 ** 0.25 - 1, rel=1e-12)


@pytest.mark.parametrize("seed", [4, 5])
def test_cagr_random(seed: int) -> None:
    r = random_returns(seed)
    years = (r.index[-1].date() - START.date()).days / 365.25
    expected = math.exp(math.fsum(np.log1p(r.to_numpy())) / years) - 1
    assert m.cagr(r, START) == pytest.approx(expected, rel=1e-10)


def test_cagr_degenerate() -> None:
    assert math.isnan(m.cagr(series([]), START))
    assert m.cagr(series([-1.0, 0.5]), START) == -1.0


# ---- volatility, Sharpe, Sortino ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [6, 7])
def test_volatility_random(seed: int) -> None:
    r = random_returns(seed)
    assert m.volatility(r) == pytest.approx(ref_sample_std(r) * math.sqrt(252), rel=1e-12)
    assert m.volatility(r, periods=52) == pytest.approx(np.std(r.to_numpy(), ddof=1) * math.sqrt(52), rel=1e-12)


def test_volatility_hand() -> None:
    # [0.01, -0.01]: mean 0, squared deviations 2e-4, / (n-1 = 1) -> std = sqrt(2) * 0.01.
    assert m.volatility(series([0.01, -0.01]), periods=1) == pytest.approx(math.sqrt(2) * 0.01)
    assert math.isnan(m.volatility(series([0.01])))


@pytest.mark.parametrize("rf", [0.0, 0.03])
def test_sharpe_random_float_rf(rf: float) -> None:
    r = random_returns(8)
    daily_rf = math.exp(math.log1p(rf) / 252) - 1  # same conversion, written via logs
    x = r.to_numpy() - daily_rf
    expected = x.mean() / ref_sample_std(x) * math.sqrt(252)
    assert m.sharpe(r, rf=rf) == pytest.approx(expected, rel=1e-10)


def test_sharpe_hand() -> None:
    # [0.02, 0.00]: mean 0.01, std = sqrt(2 * 0.01 ** 2 / 1) = 0.01 * sqrt(2) -> 1 / sqrt(2) per period.
    assert m.sharpe(series([0.02, 0.0]), periods=1) == pytest.approx(1 / math.sqrt(2))
    assert math.isnan(m.sharpe(series([0.01, 0.01, 0.01]) * 0.0))


def test_sharpe_and_sortino_series_rf_is_daily_and_forward_filled() -> None:
    r = random_returns(9, n=60)
    # rf published on every third trading day only; the gaps carry the last rate forward.
    rf = pd.Series(np.linspace(1e-4, 2e-4, 20), index=r.index[::3])
    filled, last = [], None
    for day in r.index:
        if day in rf.index:
            last = rf[day]
        filled.append(last)
    x = r.to_numpy() - np.array(filled)
    assert m.sharpe(r, rf=rf) == pytest.approx(x.mean() / ref_sample_std(x) * math.sqrt(252), rel=1e-10)
    assert m.sortino(r, rf=rf) == pytest.approx(ref_sortino(x, 252), rel=1e-10)


def test_series_rf_must_cover_the_start() -> None:
    r = random_returns(10, n=30)
    with pytest.raises(ValueError):
        m.sharpe(r, rf=pd.Series([1e-4], index=[r.index[5]]))


def test_sortino_hand() -> None:
    # [0.01, -0.02, 0.03, -0.01]: mean 0.0025; downside = sqrt((0.0004 + 0.0001) / 4) = sqrt(1.25e-4);
    # ratio = 0.0025 / sqrt(1.25e-4) = 1 / sqrt(20), times sqrt(252) -> sqrt(12.6).
    assert m.sortino(series([0.01, -0.02, 0.03, -0.01])) == pytest.approx(math.sqrt(12.6), rel=1e-12)
    assert math.isnan(m.sortino(series([0.01, 0.02])))


@pytest.mark.parametrize("rf", [0.0, 0.04])
def test_sortino_random(rf: float) -> None:
    r = random_returns(11)
    x = r.to_numpy() - ((1 + rf) ** (1 / 252) - 1)
    assert m.sortino(r, rf=rf) == pytest.approx(ref_sortino(x, 252), rel=1e-10)


# ---- monthly basis --------------------------------------------------------------------------------


def test_monthly_returns_match_loop() -> None:
    r = random_returns(12, first="2021-03-17")
    got = m.monthly_returns(r)
    ref = ref_by_month(r)
    assert [(d.year, d.month) for d in got.index] == sorted(ref)
    # Labels are calendar month ends.
    assert all(d.day == calendar.monthrange(d.year, d.month)[1] for d in got.index)
    np.testing.assert_allclose(got.to_numpy(), [ref[k] for k in sorted(ref)], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("rf", [0.0, 0.025])
def test_monthly_basis_against_independent_resample(rf: float) -> None:
    r = random_returns(13)
    ref = ref_by_month(r)
    monthly = np.array([ref[k] for k in sorted(ref)])
    assert m.volatility(r, basis="monthly") == pytest.approx(ref_sample_std(monthly) * math.sqrt(12), rel=1e-10)
    ex = monthly - ((1 + rf) ** (1 / 12) - 1)
    assert m.sharpe(r, rf=rf, basis="monthly") == pytest.approx(
        ex.mean() / ref_sample_std(ex) * math.sqrt(12), rel=1e-10
    )
    assert m.sortino(r, rf=rf, basis="monthly") == pytest.approx(ref_sortino(ex, 12), rel=1e-10)


def test_monthly_basis_with_daily_rf_series_compounds_rf_per_month() -> None:
    r = random_returns(14, n=130)
    rf = pd.Series(2e-4, index=r.index)
    rr, rff = ref_by_month(r), ref_by_month(rf)
    ex = np.array([rr[k] - rff[k] for k in sorted(rr)])
    assert m.sharpe(r, rf=rf, basis="monthly") == pytest.approx(
        ex.mean() / ref_sample_std(ex) * math.sqrt(12), rel=1e-10
    )


def test_bad_basis() -> None:
    with pytest.raises(ValueError):
        m.volatility(random_returns(1, n=10), basis="weekly")  # type: ignore[arg-type]


def test_calendar_years_include_partial_years() -> None:
    r = random_returns(15, n=600, first="2021-06-14")
    got = m.calendar_year_returns(r)
    ref = ref_by_year(r)
    assert list(got.index) == sorted(ref) == [2021, 2022, 2023]
    np.testing.assert_allclose(got.to_numpy(), [ref[y] for y in sorted(ref)], rtol=1e-12)


# ---- drawdown ---------------------------------------------------------------------------------------


def test_drawdown_dates_on_hand_path() -> None:
    # Wealth: base 1.0 (12-31) -> 1.1 -> 0.88 -> 0.88 -> 1.1 (recovered) -> 1.21.
    # Deepest fall 1.1 -> 0.88 = -20 %, peak 01-04, trough 01-05 (first day at the low), recovery 01-07.
    r = series([0.10, -0.20, 0.0, 0.25, 0.10])
    depth, peak, trough, recovery = m.max_drawdown(r, START)
    assert depth == pytest.approx(-0.2, abs=1e-12)
    assert (peak, trough, recovery) == tuple(pd.Timestamp(d) for d in ("2021-01-04", "2021-01-05", "2021-01-07"))
    np.testing.assert_allclose(m.drawdown_series(r).to_numpy(), [0, -0.2, -0.2, 0, 0], atol=1e-12)


def test_drawdown_from_the_base_value() -> None:
    # Loss on the very first day: the peak is the base (start), depth -5 % then -5.95 % (0.95 * 0.99).
    r = series([-0.05, -0.01, 0.02])
    depth, peak, trough, recovery = m.max_drawdown(r, START)
    assert depth == pytest.approx(0.95 * 0.99 - 1, abs=1e-15)
    assert peak == START and trough == pd.Timestamp("2021-01-05") and recovery is None
    assert m.drawdown_series(r).iloc[0] == pytest.approx(-0.05)


def test_drawdown_plateau_peak_is_last_day_at_the_high() -> None:
    # 1.0 -> 1.1 -> 1.1 -> 1.1 -> 0.99: the fall starts from 01-06, the last day at 1.1.
    depth, peak, trough, _ = m.max_drawdown(series([0.1, 0.0, 0.0, -0.1]), START)
    assert depth == pytest.approx(-0.1)
    assert peak == pd.Timestamp("2021-01-06") and trough == pd.Timestamp("2021-01-07")


def test_no_drawdown() -> None:
    assert m.max_drawdown(series([0.01, 0.0, 0.02]), START) == (0.0, None, None, None)


def test_start_must_precede_returns() -> None:
    with pytest.raises(ValueError):
        m.max_drawdown(series([0.01]), "2021-01-04")


@pytest.mark.parametrize("seed", [16, 17, 18])
def test_drawdown_random_against_loop(seed: int) -> None:
    r = random_returns(seed)
    x = r.to_numpy()
    dd = ref_drawdowns(x)
    np.testing.assert_allclose(m.drawdown_series(r).to_numpy(), dd, atol=1e-12)
    # Independent peak / trough / recovery by a scan over the wealth path including the base.
    dates = [START, *r.index]
    wealth = [1.0]
    for v in x:
        wealth.append(wealth[-1] * (1 + v))
    best, peak_i, worst, worst_peak, worst_trough = wealth[0], 0, 0.0, None, None
    for i, w in enumerate(wealth):
        if w >= best:
            best, peak_i = w, i
        elif w / best - 1 < worst:
            worst, worst_peak, worst_trough = w / best - 1, peak_i, i
    rec = next((i for i in range(worst_trough + 1, len(wealth)) if wealth[i] >= wealth[worst_peak] * (1 - 1e-12)), None)
    depth, peak, trough, recovery = m.max_drawdown(r, START)
    assert depth == pytest.approx(worst, rel=1e-10)
    assert peak == dates[worst_peak] and trough == dates[worst_trough]
    assert recovery == (dates[rec] if rec is not None else None)


# ---- summarize ------------------------------------------------------------------------------------


def simulate(prices: pd.Series, deposits: dict[pd.Timestamp, float]) -> dict:
    """A fully invested ledger: each deposit (first = initial cash) buys units at that day's price.

    Returns the flow-neutral daily returns computed from the equity values, the ledger frames and
    the final value, the way an engine would hand them to ``summarize``.
    """
    units, values, rows, trades = 0.0, [], [], []
    for day, price in prices.items():
        amount = deposits.get(day, 0.0)
        if amount:
            units += amount / price
            rows.append({"date": day.strftime("%Y-%m-%d"), "amount": amount})
            trades.append({"date": day, "symbol": "IWM", "side": "buy", "size": amount / price,
                           "price": price, "value": amount, "commission": 0.0})
        values.append((day, units * price, amount))
    rets = []
    for (_, v_prev, _), (day, v, flow) in zip(values[:-1], values[1:], strict=True):
        rets.append((day, (v - flow) / v_prev - 1.0))  # strip the day's deposit: flow-neutral
    returns = pd.Series([x for _, x in rets], index=pd.DatetimeIndex([d for d, _ in rets]))
    equity = pd.DataFrame({"value": [v for _, v, _ in values]}, index=prices.index)
    return {
        "returns": returns,
        "start": prices.index[0],
        "initial_cash": rows[0]["amount"],
        "final_value": values[-1][1],
        "cashflows": pd.DataFrame(rows),
        "trades": pd.DataFrame(trades),
        "equity": equity,
    }


def monthly_deposits(index: pd.DatetimeIndex, initial: float, each: float) -> dict[pd.Timestamp, float]:
    firsts = pd.Series(index, index=index).groupby([index.year, index.month]).first()
    out = {d: each for d in firsts.iloc[1:]}
    out[index[0]] = initial
    return out


def test_summarize_flow_neutral_on_flat_prices() -> None:
    idx = pd.bdate_range("2021-01-04", "2022-12-30")
    run = simulate(pd.Series(50.0, index=idx), monthly_deposits(idx, 10_000.0, 500.0))
    s = m.summarize(**run)
    assert s["contributed"] == pytest.approx(23 * 500.0)  # 24 months, the first is the initial cash
    assert s["final_value"] == pytest.approx(10_000 + 23 * 500.0)
    assert s["total_return"] == pytest.approx(0.0, abs=1e-12)
    assert s["cagr"] == pytest.approx(0.0, abs=1e-12)
    assert s["xirr"] == pytest.approx(0.0, abs=1e-10)
    assert s["gain"] == pytest.approx(0.0, abs=1e-6)
    assert s["max_drawdown"] == 0.0 and s["max_drawdown_start"] is None
    assert s["trades"] == 24 and s["turnover"] == 0.0  # buys only: deposits are not turnover
    assert s["volatility"] == 0.0 and s["sharpe"] is None and s["sortino"] is None


def test_summarize_rising_prices_time_and_money_weighted() -> None:
    idx = pd.bdate_range("2021-01-04", "2023-06-30")
    rng = np.random.default_rng(19)
    prices = pd.Series(100 * np.cumprod(1 + rng.normal(0.0006, 0.01, len(idx))), index=idx)
    deposits = monthly_deposits(idx, 10_000.0, 1_000.0)
    run = simulate(prices, deposits)
    s = m.summarize(**run)
    # Fully invested, so the time-weighted return is the price return, whatever was deposited.
    assert s["total_return"] == pytest.approx(prices.iloc[-1] / prices.iloc[0] - 1, rel=1e-9)
    # Money-weighted: brentq on an NPV of the deposits and the final value, written here.
    flows = [(d.date(), -a) for d, a in sorted(deposits.items())] + [(idx[-1].date(), run["final_value"])]

    def npv(rate: float) -> float:
        return sum(a * (1 + rate) ** (-(d - flows[0][0]).days / 365.0) for d, a in flows)

    assert s["xirr"] == pytest.approx(brentq(npv, -0.9, 10.0, xtol=1e-14), abs=1e-9)
    assert s["gain"] == pytest.approx(run["final_value"] - 10_000 - 1_000 * (len(deposits) - 1))
    assert s["end"] == "2023-06-30" and s["start"] == "2021-01-04"
    yearly = ref_by_year(run["returns"])
    assert s["best_year"] == pytest.approx(max(yearly.values()), rel=1e-10)
    assert s["worst_year"] == pytest.approx(min(yearly.values()), rel=1e-10)


def test_summarize_keys_types_and_json() -> None:
    r = random_returns(20)
    s = m.summarize(r, start=START, initial_cash=1000.0, final_value=1000.0 * (1 + ref_total(r)))
    expected = {"start", "end", "initial_cash", "contributed", "final_value", "total_return", "cagr",
                "volatility", "sharpe", "sortino", "max_drawdown", "max_drawdown_start",
                "max_drawdown_end", "best_year", "worst_year", "trades", "turnover", "gain", "stats_basis"}
    assert set(s) == expected  # no cash flows: no xirr
    json.dumps(s, allow_nan=False)
    assert all(type(v) in (float, int, str, type(None)) for v in s.values())
    assert s["contributed"] == 0.0 and s["trades"] == 0 and s["stats_basis"] == "daily"
    assert s["sharpe"] == pytest.approx(r.mean() / ref_sample_std(r) * math.sqrt(252), rel=1e-10)
    # A single deposit date is not enough for xirr either.
    one = pd.DataFrame({"date": [START], "amount": [1000.0]})
    assert "xirr" not in m.summarize(r, start=START, initial_cash=1000.0, final_value=1100.0, cashflows=one)


def test_summarize_monthly_basis() -> None:
    r = random_returns(21)
    s = m.summarize(r, start=START, initial_cash=1.0, final_value=1.0, basis="monthly")
    ref = ref_by_month(r)
    monthly = np.array([ref[k] for k in sorted(ref)])
    assert s["stats_basis"] == "monthly"
    assert s["volatility"] == pytest.approx(ref_sample_std(monthly) * math.sqrt(12), rel=1e-10)


def test_summarize_nan_becomes_none() -> None:
    s = m.summarize(series([0.01]), start=START, initial_cash=100.0, final_value=101.0)
    assert s["volatility"] is None and s["sharpe"] is None
    assert s["total_return"] == pytest.approx(0.01)


def test_turnover_hand() -> None:
    # 2020-01-01 .. 2024-01-01 = 1461 days = 4.0 years; buys 15,000, sells 4,000 -> one-way 4,000;
    # mean equity 10,000 -> 4,000 / 10,000 / 4 = 0.1 a year.
    trades = pd.DataFrame({
        "date": pd.to_datetime(["2020-01-02", "2021-05-03", "2022-02-01"]), "symbol": ["IWM"] * 3,
        "side": ["buy", "sell", "buy"], "size": [100.0, -40.0, 50.0], "price": [100.0] * 3,
        "value": [10_000.0, -4_000.0, 5_000.0], "commission": [0.0] * 3,
    })
    equity = pd.DataFrame({"value": [9_000.0, 11_000.0]}, index=pd.to_datetime(["2020-01-01", "2024-01-01"]))
    r = pd.Series([0.0], index=pd.to_datetime(["2024-01-01"]))
    s = m.summarize(r, start="2020-01-01", initial_cash=10_000.0, final_value=10_000.0, trades=trades, equity=equity)
    assert s["turnover"] == pytest.approx(0.1, rel=1e-12)
    assert s["trades"] == 3
    assert m.turnover(trades[trades["side"] == "buy"], equity, "2020-01-01", "2024-01-01") == 0.0


# ---- properties --------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.floats(-0.5, 0.5, allow_nan=False), min_size=1, max_size=40),
    inserts=st.lists(st.integers(0, 40), max_size=20),
)
def test_zero_return_days_do_not_change_total_return(values: list[float], inserts: list[int]) -> None:
    padded = list(values)
    for pos in sorted(inserts, reverse=True):
        padded.insert(min(pos, len(padded)), 0.0)
    base = m.total_return(series(values))
    assert m.total_return(series(padded)) == pytest.approx(base, rel=1e-12, abs=1e-15)
    assert base == pytest.approx(ref_total(values), rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(-0.3, 0.3, allow_nan=False), min_size=2, max_size=60))
def test_drawdown_property_against_loop(values: list[float]) -> None:
    depth = m.max_drawdown(series(values), START)[0]
    assert depth == pytest.approx(min(0.0, *ref_drawdowns(values)), abs=1e-12)


def test_dates_may_be_strings_or_dates() -> None:
    r = random_returns(22, n=20)
    assert m.cagr(r, "2020-12-31") == m.cagr(r, dt.date(2020, 12, 31)) == m.cagr(r, START)
