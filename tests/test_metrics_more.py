"""reports.metrics_more (the tear sheet's further rows) against computations written here another way:
plain Python loops over lists, scipy, and, where r2k keeps quantstats' definition, quantstats itself."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from r2k.reports import metrics_more as X

START = pd.Timestamp("2013-12-31")


def _series(seed: int, name: str, zeros: int = 0) -> pd.Series:
    idx = pd.bdate_range("2014-01-01", "2024-06-28")
    rng = np.random.default_rng(seed)
    x = rng.standard_t(4, len(idx)) * 0.008 + 0.0004
    x[:zeros] = 0.0  # days before a first deposit: neither a win nor a loss
    x[500:520] = 0.0
    return pd.Series(x, index=idx, name=name)


R = _series(1, "r", zeros=30)
B = _series(2, "b") * 0.5 + R * 0.5
RF = 0.02
RF_DAY = 1.02 ** (1 / 252) - 1


def _rel(a: float, b: float, tol: float = 1e-9) -> None:
    assert a == pytest.approx(b, rel=tol, abs=1e-12)


def _groups(s: pd.Series, key) -> list[float]:
    """Compound the days into periods by a key function of the date, in date order (a dict, no pandas)."""
    out: dict = {}
    for d, v in zip(s.index, s.tolist(), strict=True):
        k = key(d)
        out[k] = out.get(k, 1.0) * (1.0 + v)
    return [g - 1.0 for g in out.values()]


MONTH = lambda d: (d.year, d.month)  # noqa: E731
QUARTER = lambda d: (d.year, (d.month - 1) // 3)  # noqa: E731
YEAR = lambda d: d.year  # noqa: E731


def _wealth(s: pd.Series) -> list[float]:
    w = [1.0]
    for v in s.tolist():
        w.append(w[-1] * (1.0 + v))
    return w


def _cagr(s: pd.Series, start) -> float:
    years = (s.index[-1] - start).days / 365.25
    return _wealth(s)[-1] ** (1 / years) - 1


def _drawdowns(s: pd.Series) -> list[float]:
    peak, out = 1.0, []
    for w in _wealth(s)[1:]:
        peak = max(peak, w)
        out.append(w / peak - 1.0)
    return out


def test_period_returns_compound_the_days():
    for period, key in (("month", MONTH), ("quarter", QUARTER), ("year", YEAR)):
        assert np.allclose(X.period_returns(R, period).to_numpy(), _groups(R, key), rtol=1e-12, atol=1e-15)
    weeks = _groups(R, lambda d: (d + pd.Timedelta(days=(4 - d.weekday()) % 7)))  # the Friday ending the week
    assert np.allclose(X.period_returns(R, "week").to_numpy(), weeks, rtol=1e-12, atol=1e-15)


def test_ratios_against_plain_python():
    x = R.tolist()
    n = len(x)
    ex = [v - RF_DAY for v in x]
    mean = sum(ex) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in ex) / (n - 1))
    pairs = list(zip(ex[:-1], ex[1:], strict=True))
    ma, mb = sum(a for a, _ in pairs) / len(pairs), sum(b for _, b in pairs) / len(pairs)
    cov = sum((a - ma) * (b - mb) for a, b in pairs)
    rho = abs(cov / math.sqrt(sum((a - ma) ** 2 for a, _ in pairs) * sum((b - mb) ** 2 for _, b in pairs)))
    penalty = math.sqrt(1 + 2 * sum((n - k) / n * rho ** k for k in range(1, n)))
    _rel(X.autocorr_penalty(R - RF_DAY), penalty)
    sharpe = mean / sd * math.sqrt(252)
    _rel(X.smart_sharpe(R, RF), sharpe / penalty)
    down = math.sqrt(sum(min(v, 0.0) ** 2 for v in ex) / n)
    _rel(X.smart_sortino(R, RF), mean / down * math.sqrt(252) / penalty)
    # probabilistic Sharpe: Phi(SR / sigma), sigma^2 = (1 - g3 SR + (g4 - 1)/4 SR^2) / (n - 1), population moments
    m2 = sum((v - mean) ** 2 for v in ex) / n
    g3 = sum((v - mean) ** 3 for v in ex) / n / m2 ** 1.5
    g4 = sum((v - mean) ** 4 for v in ex) / n / m2 ** 2
    sr = mean / sd
    z = sr / math.sqrt((1 - g3 * sr + (g4 - 1) / 4 * sr * sr) / (n - 1))
    _rel(X.prob_sharpe(R, RF), 0.5 * (1 + math.erf(z / math.sqrt(2))))
    _rel(X.omega(R, RF), sum(v for v in ex if v > 0) / -sum(v for v in ex if v < 0))
    from scipy import stats

    _rel(X.skew(R), float(stats.skew(x, bias=True)))
    _rel(X.kurtosis(R), float(stats.kurtosis(x, fisher=True, bias=True)))
    _rel(X.risk_return_ratio(R), float(np.mean(x) / np.std(x, ddof=1)))


def test_drawdown_based_rows():
    dd = _drawdowns(R)
    ui = math.sqrt(sum(d * d for d in dd) / len(dd))
    _rel(X.ulcer_index(R, START), ui)
    cagr = _cagr(R, START)
    _rel(X.ulcer_performance(R, START, RF), (cagr - RF) / ui)
    _rel(X.calmar(R, START), cagr / abs(min(dd)))
    _rel(X.recovery_factor(R, START), (_wealth(R)[-1] - 1) / abs(min(dd)))
    # serenity: (CAGR - rf) / (UI * pitfall), pitfall = -normal cVaR95 of the drawdowns / std of the returns
    from scipy.stats import norm

    d = np.array(dd)
    cvar_dd = d.mean() - d.std(ddof=1) * norm.pdf(norm.ppf(0.05)) / 0.05
    pitfall = -cvar_dd / float(np.std(R.to_numpy(), ddof=1))
    _rel(X.serenity_index(R, START, RF), (cagr - RF) / (ui * pitfall))
    _rel(X.risk_adjusted_return(R, START, 0.8), cagr / 0.8)


def test_drawdown_periods_walk_the_wealth():
    w = _wealth(R)
    dates = [START, *R.index]
    expected, peak_i, inside = [], 0, False
    for i, v in enumerate(w):
        if v >= w[peak_i]:
            if inside:
                seg = w[peak_i:i]
                t = peak_i + seg.index(min(seg))
                expected.append((dates[peak_i], dates[t], dates[i], w[t] / w[peak_i] - 1, (dates[i] - dates[peak_i]).days))
                inside = False
            peak_i = i
        else:
            inside = True
    if inside:
        seg = w[peak_i:]
        t = peak_i + seg.index(min(seg))
        expected.append((dates[peak_i], dates[t], pd.NaT, w[t] / w[peak_i] - 1, (dates[-1] - dates[peak_i]).days))
    expected.sort(key=lambda e: e[3])
    got = X.drawdown_periods(R, START)
    assert len(got) == len(expected) > 20
    for row, e in zip(got.itertuples(), expected, strict=True):
        assert (row.start, row.trough) == e[:2] and (pd.isna(row.end) and pd.isna(e[2]) or row.end == e[2])
        _rel(row.depth, e[3])
        assert row.days == e[4]


def test_win_and_loss_rows():
    x = R.tolist()
    wins, losses = [v for v in x if v > 0], [v for v in x if v < 0]
    _rel(X.avg_win(R), sum(wins) / len(wins))
    _rel(X.avg_loss(R), sum(losses) / len(losses))
    _rel(X.avg_return(R), sum(wins + losses) / len(wins + losses))
    p = len(wins) / (len(wins) + len(losses))
    _rel(X.win_rate(R), p)
    payoff = (sum(wins) / len(wins)) / abs(sum(losses) / len(losses))
    _rel(X.payoff_ratio(R), payoff)
    _rel(X.kelly(R), p - (1 - p) / payoff)
    _rel(X.profit_factor(R), sum(wins) / abs(sum(losses)))
    _rel(X.cpc_index(R), sum(wins) / abs(sum(losses)) * p * payoff)
    _rel(X.gain_to_pain(R), sum(x) / abs(sum(losses)))
    months = _groups(R, MONTH)
    _rel(X.gain_to_pain(R, "month"), sum(months) / abs(sum(m for m in months if m < 0)))
    up = [m for m in months if m > 0]
    _rel(X.avg_win(R, "month"), sum(up) / len(up))
    for period, key in (("month", MONTH), ("quarter", QUARTER), ("year", YEAR)):
        g = _groups(R, key)
        _rel(X.win_rate(R, period), sum(v > 0 for v in g) / sum(v != 0 for v in g))
        _rel(X.expected_return(R, period), math.exp(sum(math.log1p(v) for v in g) / len(g)) - 1)
    _rel(X.expected_return(R), math.exp(sum(math.log1p(v) for v in x) / len(x)) - 1)
    best, worst, cur_w, cur_l = 0, 0, 0, 0
    for v in x:
        cur_w = cur_w + 1 if v > 0 else 0
        cur_l = cur_l + 1 if v < 0 else 0
        best, worst = max(best, cur_w), max(worst, cur_l)
    assert (X.longest_streak(R, True), X.longest_streak(R, False)) == (best, worst)


def test_tail_rows():
    from scipy.stats import norm

    x = np.sort(R.to_numpy())
    mu, sd = float(x.mean()), float(x.std(ddof=1))
    _rel(X.value_at_risk(R), float(norm.ppf(0.05, mu, sd)))
    _rel(X.expected_shortfall(R), mu - sd * float(norm.pdf(norm.ppf(0.05))) / 0.05)
    _rel(X.tail_ratio(R), abs(np.percentile(x, 95) / np.percentile(x, 5)))
    _rel(X.outlier_win_ratio(R), np.percentile(x, 99) / x[x >= 0].mean())
    _rel(X.outlier_loss_ratio(R), np.percentile(x, 1) / x[x < 0].mean())
    _rel(X.common_sense_ratio(R), X.profit_factor(R) * abs(np.percentile(x, 95) / np.percentile(x, 5)))


def test_trailing_windows_count_from_the_right_base():
    end = R.index[-1]  # 2024-06-28

    def comp(after):
        g = 1.0
        for d, v in zip(R.index, R.tolist(), strict=True):
            if d > after:
                g *= 1 + v
        return g - 1

    t = X.trailing(R, START)
    _rel(t["MTD"], comp(pd.Timestamp("2024-05-31")))
    _rel(t["YTD"], comp(pd.Timestamp("2023-12-31")))
    _rel(t["3M"], comp(pd.Timestamp("2024-03-28")))
    _rel(t["1Y"], comp(pd.Timestamp("2023-06-28")))
    base = max(d for d in R.index if d <= pd.Timestamp("2021-06-28"))  # 3 years back: the last close by then
    _rel(t["3Y"], (1 + comp(base)) ** (365.25 / (end - base).days) - 1)
    _rel(t["All"], _cagr(R, START))
    assert math.isnan(t["10Y"]) is False  # 2013-12-31 base: 10.5 years of history
    short = R.loc["2023-01-01":]
    assert math.isnan(X.trailing(short, pd.Timestamp("2022-12-30"))["3Y"])


def test_benchmark_rows_against_a_regression():
    from scipy.stats import linregress

    fit = linregress(B.to_numpy(), R.to_numpy())
    _rel(X.beta(R, B), fit.slope)
    _rel(X.correlation(R, B), fit.rvalue)
    _rel(X.r_squared(R, B), fit.rvalue ** 2)
    _rel(X.alpha(R, B), fit.intercept * 252)
    d = (R - B).to_numpy()
    _rel(X.information_ratio(R, B), d.mean() / d.std(ddof=1) * math.sqrt(252))
    _rel(X.treynor(R, B, START, RF), (_cagr(R, START) - RF) / fit.slope)


def test_rolling_series_against_loops():
    x, y = R.to_numpy(), B.to_numpy()
    w = 126
    i = 1000
    win, bw = x[i - w + 1: i + 1], y[i - w + 1: i + 1]
    _rel(X.rolling_volatility(R, w).iloc[i], win.std(ddof=1) * math.sqrt(252))
    _rel(X.rolling_sharpe(R, w).iloc[i], win.mean() / win.std(ddof=1) * math.sqrt(252))
    _rel(X.rolling_sortino(R, w).iloc[i], win.mean() / math.sqrt(np.mean(np.minimum(win, 0) ** 2)) * math.sqrt(252))
    _rel(X.rolling_beta(R, B, w).iloc[i], np.cov(win, bw)[0, 1] / np.var(bw, ddof=1))
    assert X.rolling_volatility(R, w).iloc[: w - 1].isna().all()


def test_rows_that_keep_quantstats_definition_equal_quantstats():
    """An implementation written by others: where r2k keeps quantstats 0.0.86's formula, the numbers agree."""
    qs = pytest.importorskip("quantstats")
    s = qs.stats
    r = R.rename("returns")
    pairs = {
        "omega": (X.omega(R), s.omega(r)),
        "kelly": (X.kelly(R), s.kelly_criterion(r)),
        "risk_of_ruin": (X.risk_of_ruin(R), s.risk_of_ruin(r)),
        "var": (X.value_at_risk(R), s.value_at_risk(r)),
        "cvar": (X.expected_shortfall(R), s.conditional_value_at_risk(r)),
        "tail": (X.tail_ratio(R), s.tail_ratio(r)),
        "payoff": (X.payoff_ratio(R), s.payoff_ratio(r)),
        "profit_factor": (X.profit_factor(R), s.profit_factor(r)),
        "profit_ratio": (X.profit_ratio(R), s.profit_ratio(r)),
        "outlier_win": (X.outlier_win_ratio(R), s.outlier_win_ratio(r)),
        "outlier_loss": (X.outlier_loss_ratio(R), s.outlier_loss_ratio(r)),
        "wins": (X.longest_streak(R, True), s.consecutive_wins(r)),
        "losses": (X.longest_streak(R, False), s.consecutive_losses(r)),
        "expected": (X.expected_return(R), s.expected_return(r)),
        "win_rate": (X.win_rate(R), s.win_rate(r)),
        "avg_win": (X.avg_win(R), s.avg_win(r)),
        "avg_loss": (X.avg_loss(R), s.avg_loss(r)),
        "beta": (X.beta(R, B), s.greeks(r, B)["beta"]),
        "r2": (X.r_squared(R, B), s.r_squared(r, B)),
        "penalty": (X.autocorr_penalty(R), s.autocorr_penalty(r)),
        "smart_sharpe": (X.smart_sharpe(R), s.smart_sharpe(r)),
        "risk_return": (X.risk_return_ratio(R), s.risk_return_ratio(r)),
    }
    for name, (ours, theirs) in pairs.items():
        assert ours == pytest.approx(float(theirs), rel=1e-9), name
