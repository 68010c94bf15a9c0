"""Withdrawals (issue 13, point 2): checked against a reimplementation written here, on the real snapshot.

The reference below is plain pandas/numpy written from the README's rules, not from r2k's code:
buy-and-hold bought at the next open with all the cash, a withdrawal at the close of the first
trading day of each period, paid by selling shares at that close; an account that cannot pay
pays its value and is empty from then on; inflation-adjusted amounts grow with the CPI value
published by that day (month M's CPI on the 15th of M+1, or the next weekday).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.util import invoke, needs_real_data, one_line_error, real_data_dir


def _raw(sym: str) -> pd.DataFrame:
    return pd.read_csv(real_data_dir() / "prices" / f"{sym}.csv", index_col="date", parse_dates=True)


def _cpi_published_by(days: pd.DatetimeIndex) -> np.ndarray:
    """The latest CPIAUCSL value whose release day (15th of the next month, weekend -> Monday) is <= each day."""
    cpi = pd.read_csv(real_data_dir() / "fred" / "CPIAUCSL.csv")
    releases = []
    for text, value in zip(cpi["date"], cpi["value"], strict=True):
        y, m = int(text[:4]), int(text[5:7])
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        d = dt.date(y, m, 15)
        while d.weekday() >= 5:
            d += dt.timedelta(days=1)
        d = {"2013-09": dt.date(2013, 10, 30), "2013-10": dt.date(2013, 11, 20), "2025-09": dt.date(2025, 10, 24),
             "2025-11": dt.date(2025, 12, 18)}.get(text[:7], d)  # shutdown-delayed releases
        releases.append((d, float(value)))
    out, k, last = [], 0, np.nan
    for day in days:  # both in date order: walk the releases along the days
        while k < len(releases) and releases[k][0] <= day.date():
            last = releases[k][1]
            k += 1
        out.append(last)
    return np.array(out)


def _reference(sym: str, start: str, end: str, cash: float, amount: float, every: str):
    """(calendar, account values, flows, depletion day or None, trades) of a CPI-adjusted withdrawal plan."""
    raw = _raw(sym).loc[start:end]
    days = raw.index
    adj_open = (raw["open"] * raw["adj_close"] / raw["close"]).to_numpy()
    adj_close = raw["adj_close"].to_numpy()
    period = {"year": days.year, "quarter": days.year * 10 + days.quarter, "month": days.year * 100 + days.month}[every]
    first_of_period = np.r_[False, period[1:] != period[:-1]]
    cpi = _cpi_published_by(days)
    values, flows = np.zeros(len(days)), np.zeros(len(days))
    flows[0] = values[0] = cash
    shares, money, dead = 0.0, cash, None
    trades = []
    for t in range(1, len(days)):
        if t == 1:  # bought at the first open after the first close
            shares, money = money / adj_open[1], 0.0
            trades.append((days[1], "buy", shares))
        if dead is None and first_of_period[t]:
            want = amount * cpi[t] / cpi[0]
            have = money + shares * adj_close[t]
            if want >= have:
                trades.append((days[t], "sell", shares))
                flows[t], shares, money, dead = -have, 0.0, 0.0, days[t]
            else:
                sold = (want - money) / adj_close[t]
                trades.append((days[t], "sell", sold))
                shares -= sold
                money = 0.0
                flows[t] = -want
        values[t] = money + shares * adj_close[t]
    return days, values, flows, dead, trades


CASES = [("QQQ", "2000-03-10", "depletes"), ("IWM", "2000-06-01", "survives")]


@needs_real_data
@pytest.mark.parametrize("engine", ["vector", "backtrader"])
@pytest.mark.parametrize("sym,start,fate", CASES)
def test_cpi_adjusted_4pct_plan_matches_reference(real_home, monkeypatch, engine, sym, start, fate):
    import r2k.runner as r2k

    monkeypatch.setenv("R2K_HOME", str(real_home))
    end = "2025-09-26"
    res = r2k.run("buy-and-hold", symbol=sym, start=start, end=end, cash=10_000, withdraw=400, every="year",
                  inflation_adjust=True, benchmark="none", engine=engine, offline=True)
    days, values, flows, dead, trades = _reference(sym, start, end, 10_000.0, 400.0, "year")
    assert res.equity.index.equals(days)
    assert list(res.trades["date"]) == [f"{d:%Y-%m-%d}" for d, _, _ in trades]
    assert list(res.trades["side"]) == [side for _, side, _ in trades]
    np.testing.assert_allclose(res.trades["size"].to_numpy(), [q for _, _, q in trades], rtol=1e-9)
    np.testing.assert_allclose(res.equity["value"].to_numpy(), values, rtol=1e-9, atol=1e-7)
    moved = flows != 0
    assert list(res.cashflows["date"]) == list(days[moved].strftime("%Y-%m-%d"))
    np.testing.assert_allclose(res.cashflows["amount"].to_numpy(), flows[moved], rtol=1e-9)
    # flow-neutral TWR: a withdrawal is never a loss; once empty, every day's return is 0
    prev = values[:-1]
    twr = np.where(prev > 0, (values[1:] - flows[1:]) / np.where(prev > 0, prev, 1.0) - 1.0, 0.0)
    np.testing.assert_allclose(res.returns.to_numpy(), twr, rtol=0, atol=1e-9)
    m = res.metrics
    assert m["withdrawn"] == pytest.approx(-flows[1:].sum(), rel=1e-9)
    if fate == "depletes":
        assert dead is not None and m["depleted_on"] == f"{dead:%Y-%m-%d}"
        assert m["final_value"] == 0.0
    else:
        assert dead is None and m["depleted_on"] is None
    # XIRR covers the withdrawals: the reference's flows (investor's signs) and end value discount to 0
    x = m["xirr"]
    years = np.array([(d - days[0]).days / 365.0 for d in days[moved]] + [(days[-1] - days[0]).days / 365.0])
    amounts = np.r_[-flows[moved], values[-1]]
    assert abs(np.sum(amounts / (1.0 + x) ** years)) < 1e-6 * 10_000


def _brute_rates(sym: str, start: str, end: str, every: str, spend_from: str | None = None) -> tuple[float, float]:
    """Safe and perpetual rates by bisection over simulated balances (the market path, no costs).

    With ``spend_from`` the balance and CPI base are those of the last close before it, and
    withdrawals fall on period starts from that date on.
    """
    raw = _raw(sym).loc[start:end]
    days = raw.index
    adj_open = (raw["open"] * raw["adj_close"] / raw["close"]).to_numpy()
    adj_close = raw["adj_close"].to_numpy()
    growth = np.r_[1.0, adj_close[1] / adj_open[1], adj_close[2:] / adj_close[1:-1]]  # day-on-day wealth factor
    period = {"year": days.year, "month": days.year * 100 + days.month}[every]
    first = np.r_[False, period[1:] != period[:-1]]
    s0 = 0
    if spend_from is not None:
        first &= days >= pd.Timestamp(spend_from)
        s0 = int(np.flatnonzero(days < pd.Timestamp(spend_from))[-1])
    per_year = {"year": 1, "month": 12}[every]
    cpi = _cpi_published_by(days)

    def final_or_none(rate: float):
        b = 1.0
        for t in range(s0 + 1, len(days)):
            b *= growth[t]
            if first[t]:
                b -= rate / per_year * cpi[t] / cpi[s0]
                if b < 0:
                    return None
        return b

    def highest(ok) -> float:
        lo, hi = -1.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if ok(mid) else (lo, mid)
        return lo

    safe = highest(lambda x: final_or_none(x) is not None)
    need = cpi[-1] / cpi[s0]
    perpetual = highest(lambda x: (f := final_or_none(x)) is not None and f >= need)
    return safe, perpetual


@needs_real_data
@pytest.mark.parametrize("sym,start,every,spend_from", [("QQQ", "2000-03-10", "year", None),
                                                         ("SPY", "2005-01-03", "month", None),
                                                         ("IWM", "2003-01-02", "month", "2010-06-15")])
def test_safe_and_perpetual_rates_match_brute_force(real_home, monkeypatch, sym, start, every, spend_from):
    import r2k.runner as r2k

    monkeypatch.setenv("R2K_HOME", str(real_home))
    end = "2025-09-26"
    extra = {"contribute": 200, "withdraw_from": spend_from} if spend_from else {}
    res = r2k.run("buy-and-hold", symbol=sym, start=start, end=end, withdraw=300, every=every, benchmark="none",
                  engine="vector", offline=True, **extra)
    safe, perpetual = _brute_rates(sym, start, end, every, spend_from)
    assert res.metrics["safe_withdrawal_rate"] == pytest.approx(safe, rel=1e-9)
    assert res.metrics["perpetual_withdrawal_rate"] == pytest.approx(perpetual, rel=1e-9)


@needs_real_data
def test_percent_plan_never_depletes_and_benchmark_withdraws_alike(real_home, monkeypatch):
    import r2k.runner as r2k

    monkeypatch.setenv("R2K_HOME", str(real_home))
    res = r2k.run("buy-and-hold", symbol="IWM", start="2001-01-01", end="2010-12-31", withdraw_pct=4, every="year",
                  engine="vector", offline=True)
    flows = res.cashflows.set_index("date")["amount"]
    eq = res.equity["value"]
    for date, amount in flows.iloc[1:].items():  # 4 % of the balance before that close's withdrawal
        day = pd.Timestamp(date)
        assert -amount == pytest.approx(0.04 * (eq[day] - amount), rel=1e-9)
    assert res.metrics["depleted_on"] is None and "safe_withdrawal_rate" not in res.metrics
    bflows = res.benchmark_cashflows
    assert list(bflows["date"]) == list(res.cashflows["date"]) and (bflows["amount"].iloc[1:] < 0).all()
    assert res.benchmark_metrics["withdrawn"] > 0


@pytest.mark.parametrize("args,text", [
    (["--withdraw", "100", "--withdraw-pct", "4"], "not both"),
    (["--withdraw", "-5"], "--withdraw must be a number >= 0"),
    (["--withdraw-pct", "150"], "more than 100"),
    (["--withdraw-from", "2015-01-01"], "nothing to withdraw"),
    (["--cash", "0", "--contribute", "100", "--withdraw", "50"], "--withdraw-from"),
    (["--cash", "0", "--withdraw", "50"], "nothing to withdraw from"),
    (["--withdraw", "50", "--withdraw-from", "2015-13-01"], "bad --withdraw-from date"),
    (["--inflation-adjust", "--withdraw-pct", "4"], "--inflation-adjust needs"),
])
def test_bad_withdrawal_settings_are_one_line_exit_2(tmp_path, args, text):
    res = invoke("run", "buy-and-hold", "--offline", "--no-tearsheet", "--out", tmp_path / "x", *args)
    line = one_line_error(res, 2)
    assert text in line
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------------------------------
# real (inflation-adjusted) results, issue 13 point 3


def _cpi_month(month: str) -> float:
    cpi = pd.read_csv(real_data_dir() / "fred" / "CPIAUCSL.csv", dtype={"date": str})
    return float(cpi.loc[cpi["date"] == f"{month}-01", "value"].iloc[0])


@needs_real_data
@pytest.mark.parametrize("engine", ["vector", "backtrader"])
def test_real_cagr_of_iwm_equals_nominal_growth_deflated_by_cpi(real_home, monkeypatch, engine):
    import r2k.runner as r2k

    monkeypatch.setenv("R2K_HOME", str(real_home))
    res = r2k.run("buy-and-hold", symbol="IWM", start="2003-01-02", end="2025-09-26", real=True, benchmark="none",
                  engine=engine, offline=True)
    raw = _raw("IWM").loc["2003-01-02":"2025-09-26"]
    first_open = raw["open"].iloc[1] * raw["adj_close"].iloc[1] / raw["close"].iloc[1]  # bought at the 2nd day's open
    nominal = raw["adj_close"].iloc[-1] / first_open
    real_growth = nominal * _cpi_month("2003-01") / _cpi_month("2025-09")
    years = (raw.index[-1] - raw.index[0]).days / 365.25
    real = res.metrics["real"]
    assert real["dollars_of"] == "2025-09"
    assert real["cagr"] == pytest.approx(real_growth ** (1 / years) - 1, rel=1e-9)
    assert real["total_return"] == pytest.approx(real_growth - 1, rel=1e-9)
    assert real["final_value"] == pytest.approx(res.metrics["final_value"], rel=1e-12)  # the base month's dollars
    assert real["initial_cash"] == pytest.approx(10_000 * _cpi_month("2025-09") / _cpi_month("2003-01"), rel=1e-12)
    assert res.metrics["cagr"] == pytest.approx(nominal ** (1 / years) - 1, rel=1e-9)


@needs_real_data
def test_real_results_over_the_2025_10_gap_interpolate_and_say_so(real_home, monkeypatch, tmp_path):
    import r2k.runner as r2k

    monkeypatch.setenv("R2K_HOME", str(real_home))
    res = r2k.run("dca", symbol="XLF", start="2025-01-02", end="2026-08-21", cash=1000, contribute=100, real=True,
                  benchmark="none", engine="vector", offline=True)
    assert "2025-10" in res.assumptions["real"] and "interpolated geometrically" in res.assumptions["real"]
    folder = res.save(tmp_path / "run")
    table = pd.read_csv(folder / "real.csv", index_col="date", parse_dates=True)
    base = _cpi_month("2026-08")
    october = np.sqrt(_cpi_month("2025-09") * _cpi_month("2025-11"))
    assert table.loc["2025-10-15", "factor"] == pytest.approx(base / october, rel=1e-9)
    assert table.loc["2025-11-03", "factor"] == pytest.approx(base / _cpi_month("2025-11"), rel=1e-9)
    # real XIRR: every flow and the end balance in 2026-08 dollars discount to zero at that rate
    flows = res.cashflows
    dates = pd.DatetimeIndex(pd.to_datetime(flows["date"]))
    factors = table["factor"].reindex(dates).to_numpy()
    amounts = np.r_[-flows["amount"].to_numpy() * factors, table["value"].iloc[-1]]
    when = np.r_[[(d - dates[0]).days / 365.0 for d in dates], (table.index[-1] - dates[0]).days / 365.0]
    x = res.metrics["real"]["xirr"]
    assert abs(np.sum(amounts / (1 + x) ** when)) < 1e-6 * 1000
    assert res.metrics["real"]["contributed"] == pytest.approx(float((flows["amount"].iloc[1:] * factors[1:]).sum()), rel=1e-9)


@needs_real_data
def test_compare_real_reports_each_member_in_end_month_dollars(real_home, tmp_path):
    res = invoke("compare", "buy-and-hold symbol=IWM", "buy-and-hold symbol=SPY", "--start", "2003-01-02", "--end",
                 "2025-09-26", "--benchmark", "none", "--real", "--no-tearsheet", "--offline", "--engine", "vector",
                 "--withdraw", "300", "--every", "year", "--out", tmp_path / "cmp", env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.replace("\n  ", " ").split())  # long lines wrap at the terminal width
    assert "in dollars of 2025-09 (--real)" in text and "CPI of that day's month" in text
    assert "Depleted on" in res.stdout and "survived" in res.stdout
    page = (tmp_path / "cmp" / "index.html").read_text(encoding="utf-8")
    assert 'id="withdrawals"' in page and 'id="real"' in page
    # a buy-and-hold's time-weighted return does not move with withdrawals it survives: the same real CAGR
    real = pd.read_csv(tmp_path / "cmp" / "summary_real.csv").set_index("name")
    for sym, name in (("IWM", "buy-and-hold IWM withdraw $300/year"), ("SPY", "buy-and-hold SPY withdraw $300/year")):
        raw = _raw(sym).loc["2003-01-02":"2025-09-26"]
        growth = raw["adj_close"].iloc[-1] / (raw["open"].iloc[1] * raw["adj_close"].iloc[1] / raw["close"].iloc[1])
        years = (raw.index[-1] - raw.index[0]).days / 365.25
        expected = (growth * _cpi_month("2003-01") / _cpi_month("2025-09")) ** (1 / years) - 1
        assert real.loc[name, "cagr"] == pytest.approx(expected, rel=1e-8)


def test_flags_config_member_and_api_build_the_same_withdrawal_spec(tmp_path):
    import r2k.runner as r2k
    from r2k.runner.build import build_spec, parse_member
    from r2k.runner.cli_run import settings_of
    from r2k.runner.config import load_run_config

    want = r2k.make_spec("buy-and-hold", symbol="SPY", withdraw=400, every="year", inflation_adjust=True, real=True,
                         withdraw_from="2010-01-01")
    cfg = tmp_path / "run.toml"
    cfg.write_text('strategy = "buy-and-hold"\nsymbol = "SPY"\nwithdraw = 400\nevery = "year"\n'
                   'inflation_adjust = true\nreal = true\nwithdraw_from = "2010-01-01"\n', encoding="utf-8")
    from_file = build_spec("buy-and-hold", settings_of(load_run_config(cfg)))
    head, settings, _ = parse_member("buy-and-hold symbol=SPY withdraw=400 every=year inflation_adjust=true real=true "
                                     "withdraw_from=2010-01-01")
    from_member = build_spec(head, settings)
    assert want == from_file == from_member and want.key() == from_file.key() == from_member.key()
    assert want.withdraw == 400.0 and want.inflation_adjust and want.real and want.withdraw_from == "2010-01-01"
    # a spec without withdrawals keeps the hash it had before these settings existed
    plain = r2k.make_spec("buy-and-hold", symbol="SPY")
    assert "withdraw" not in plain.to_dict() and "real" not in plain.to_dict()


@needs_real_data
def test_withdrawals_from_a_plain_backtrader_strategy_are_refused(real_home, tmp_path):
    sample = Path(__file__).resolve().parent / "samples" / "bt_strategies.py"
    res = invoke("run", f"{sample}:BuyOnceBT", "--withdraw", "100", "--offline", "--no-tearsheet", "--benchmark",
                 "none", "--out", tmp_path / "x", env={"R2K_HOME": str(real_home)})
    assert "withdrawals need an allocation rule" in one_line_error(res, 2)
    assert not (tmp_path / "x").exists()


@needs_real_data
def test_inflation_adjusted_contributions_and_the_printed_depletion(real_home, monkeypatch, tmp_path):
    import r2k.runner as r2k

    monkeypatch.setenv("R2K_HOME", str(real_home))
    res = r2k.run("dca", symbol="IWM", start="2005-01-03", end="2012-12-31", contribute=500, inflation_adjust=True,
                  real=True, benchmark="none", engine="vector", offline=True)
    days = res.equity.index
    cpi = _cpi_published_by(days)
    flows = res.cashflows.iloc[1:]
    at = days.get_indexer(pd.DatetimeIndex(pd.to_datetime(flows["date"])))
    np.testing.assert_allclose(flows["amount"].to_numpy(), 500 * cpi[at] / cpi[0], rtol=1e-12)
    table = res.summary()
    assert table.loc["CAGR (time-weighted) (real, dollars of 2012-12)"].iloc[0] == res.metrics["real"]["cagr"]
    out = invoke("run", "buy-and-hold", "--symbol", "QQQ", "--start", "2000-03-10", "--withdraw", "400", "--every",
                 "year", "--inflation-adjust", "--benchmark", "none", "--engine", "vector", "--offline",
                 "--no-tearsheet", "--out", tmp_path / "run", env={"R2K_HOME": str(real_home)})
    assert out.exit_code == 0, out.output
    assert "The account was depleted on 2009-01-02." in out.stdout
    assert [line.split()[-1] for line in out.stdout.splitlines() if line.startswith("Depleted on")] == ["2009-01-02"]


def test_a_withdrawal_plan_is_in_the_label():
    """Two compare members that differ only in withdrawals were told apart by ``every=month`` vs
    ``every=year``; the label now says what leaves the account (and from when, and CPI indexing)."""
    from r2k.runner.build import build_spec
    from r2k.runner.labels import label_of

    def label(**flags):
        return label_of(build_spec("buy-and-hold", {"params": {"symbol": "IWM"}, **flags}))

    assert label() == "buy-and-hold IWM"
    assert label(withdraw_pct=4, every="year") == "buy-and-hold IWM withdraw 4%/year"
    assert label(withdraw=400, every="year", inflation_adjust=True) == "buy-and-hold IWM withdraw $400/year CPI-indexed"
    assert (label(contribute=500, withdraw=2000, withdraw_from="2015-01-01")
            == "buy-and-hold IWM $500/month withdraw $2,000/month from 2015-01-01")
