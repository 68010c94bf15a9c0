"""The tear sheet's further statistics: the rows quantstats' metrics table has that the summary does not.

Same policy as :mod:`r2k.reports.metrics` (whose primitives these use): daily time-weighted returns
that start the day after the run's base date ``start``; periods compounded from the days (a month's
return is ``prod(1 + r) - 1``, never a sum); CAGR over calendar days / 365.25; annual rates
converted per day as ``(1 + rf) ** (1 / 252) - 1``; a daily ``rf`` Series used as it is. Kept apart
from metrics.py only for size: one definition of each number, its formula in its docstring, and
where it differs from quantstats 0.0.86 (which the tear sheet no longer imports) it says so.

"Win" and "loss" count periods with a return above / below zero; a day with a return of exactly
zero (cash earning nothing, the days before a first deposit) is neither, as in quantstats.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from r2k.reports import metrics as M
from r2k.reports.overfitting import moments, psr

_N = NormalDist()
#: the tail probability of the value-at-risk rows (95 % confidence) and of the tail ratio's quantiles
TAIL = 0.05
#: trading days in the rolling windows and a year's risk-free conversion (as metrics.py: 252)
YEAR = 252


def _arr(returns: pd.Series) -> np.ndarray:
    return M._clean(returns).to_numpy(dtype=float)


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else math.nan


def _div(a: float, b: float) -> float:
    return float(a / b) if b != 0 and math.isfinite(a) and math.isfinite(b) else math.nan


def period_returns(returns: pd.Series, period: str) -> pd.Series:
    """Compounded returns per calendar ``period``: "day" (as given), "week" (ending Friday), "month",
    "quarter" or "year", indexed by the period's last calendar day; partial first and last periods as
    they are, a period without a trading day left out (pandas' resample would give it a 0)."""
    r = M._clean(returns)
    if period == "day":
        return r
    if period == "year":
        return M.calendar_year_returns(r)
    idx = r.index
    if period == "week":  # the Friday that ends each day's week
        ends = (idx + pd.to_timedelta((4 - idx.day_of_week) % 7, unit="D")).normalize()
    else:
        months = 3 if period == "quarter" else 1 if period == "month" else None
        if months is None:
            raise ValueError(f"period must be day, week, month, quarter or year, not {period!r}")
        m0 = (idx.month - 1) // months * months  # first month of the period, 0-based
        ends = pd.to_datetime({"year": idx.year, "month": m0 + 1, "day": 1}) + pd.offsets.MonthEnd(months)
        ends = pd.DatetimeIndex(ends)
    keys = ends.asi8
    if not len(keys):
        return pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    first = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    growth = np.multiply.reduceat(1.0 + r.to_numpy(dtype=float), first)
    return pd.Series(growth - 1.0, index=ends[first])


def excess_daily(returns: pd.Series, rf: float | pd.Series) -> pd.Series:
    """Daily returns minus the daily risk-free rate (metrics.py's conversion)."""
    return M._excess(returns, rf, YEAR, "daily")[0]


def rf_annual(returns: pd.Series, rf: float | pd.Series, start: Any) -> float:
    """The risk-free rate as one annual figure over the returns' span: ``rf`` itself, or the CAGR of
    the daily rates compounded over the return dates (a daily Series)."""
    if not isinstance(rf, pd.Series):
        return float(rf)
    return M.cagr(M._clean(returns) - excess_daily(returns, rf), start)


# --------------------------------------------------------------------------------------------
# risk-adjusted ratios


def autocorr_penalty(returns: pd.Series) -> float:
    """Lo's (2002) inflation of a Sharpe ratio's denominator for serially correlated returns, as
    quantstats' "smart" ratios use it: ``sqrt(1 + 2 sum_k (n-k)/n |rho|^k)``, k = 1..n-1, with rho
    the lag-1 autocorrelation. 1.0 when it is undefined."""
    x = _arr(returns)
    n = x.size
    if n < 3 or x[:-1].std() == 0 or x[1:].std() == 0:
        return 1.0
    rho = abs(float(np.corrcoef(x[:-1], x[1:])[0, 1]))
    k = np.arange(1, n)
    return float(math.sqrt(1.0 + 2.0 * np.sum((n - k) / n * rho ** k)))


def smart_sharpe(returns: pd.Series, rf: float | pd.Series = 0.0) -> float:
    """Sharpe (metrics.sharpe, daily) divided by :func:`autocorr_penalty` of the excess returns."""
    return M.sharpe(returns, rf) / autocorr_penalty(excess_daily(returns, rf))


def smart_sortino(returns: pd.Series, rf: float | pd.Series = 0.0) -> float:
    """Sortino (metrics.sortino, daily) divided by :func:`autocorr_penalty` of the excess returns."""
    return M.sortino(returns, rf) / autocorr_penalty(excess_daily(returns, rf))


def prob_sharpe(returns: pd.Series, rf: float | pd.Series = 0.0) -> float:
    """Probabilistic Sharpe ratio against 0 (overfitting.psr) from the daily, not annualised,
    Sharpe of the excess returns with their skew and raw kurtosis: the probability that the true
    Sharpe ratio is above zero."""
    ex = excess_daily(returns, rf).to_numpy(dtype=float)
    if ex.size < 3 or ex.std() == 0:
        return math.nan
    skew, kurt = moments(ex)
    return psr(float(ex.mean() / ex.std(ddof=1)), 0.0, ex.size, skew, kurt)


def omega(returns: pd.Series, rf: float | pd.Series = 0.0) -> float:
    """Omega ratio at a zero threshold on the daily excess returns: ``sum(max(x, 0)) / sum(max(-x, 0))``."""
    x = excess_daily(returns, rf).to_numpy(dtype=float)
    return _div(float(x[x > 0].sum()), float(-x[x < 0].sum()))


def skew(returns: pd.Series) -> float:
    """Skewness of the daily returns, ``m3 / m2^1.5`` (population moments, overfitting.moments;
    pandas' and quantstats' bias-corrected estimate differs by a factor near 1 + 1.5/n)."""
    x = _arr(returns)
    return moments(x)[0] if x.size > 2 else math.nan


def kurtosis(returns: pd.Series) -> float:
    """Excess kurtosis of the daily returns, ``m4 / m2^2 - 3`` (population moments; normal: 0)."""
    x = _arr(returns)
    return moments(x)[1] - 3.0 if x.size > 3 else math.nan


def calmar(returns: pd.Series, start: Any) -> float:
    """CAGR / |max drawdown| (metrics.cagr, metrics.max_drawdown)."""
    return _div(M.cagr(returns, start), abs(M.max_drawdown(returns, start)[0]))


def ulcer_index(returns: pd.Series, start: Any) -> float:
    """Ulcer index (Martin 1987): ``sqrt(mean(dd^2))`` over the drawdowns on every return date,
    from the running peak that includes the base; quantstats divides the sum by n - 1."""
    dd = M.drawdown_series(returns).to_numpy(dtype=float)
    return float(math.sqrt(np.mean(dd ** 2))) if dd.size else math.nan


def ulcer_performance(returns: pd.Series, start: Any, rf: float | pd.Series = 0.0) -> float:
    """Ulcer performance index (Martin): ``(CAGR - rf) / ulcer index``, rf as one annual rate
    (:func:`rf_annual`); quantstats puts the total return, not the CAGR, on top."""
    return _div(M.cagr(returns, start) - rf_annual(returns, rf, start), ulcer_index(returns, start))


def risk_adjusted_return(returns: pd.Series, start: Any, exposure: float | None) -> float:
    """CAGR divided by the time in the market (metrics.exposure, from the positions)."""
    return _div(M.cagr(returns, start), exposure) if exposure else math.nan


def risk_return_ratio(returns: pd.Series) -> float:
    """Mean over standard deviation (ddof=1) of the daily returns, not annualised, no risk-free rate."""
    x = _arr(returns)
    return _div(_mean(x), float(x.std(ddof=1))) if x.size > 1 else math.nan


# --------------------------------------------------------------------------------------------
# wins and losses


def avg_return(returns: pd.Series, period: str = "day") -> float:
    """Mean return of the periods with a non-zero return."""
    x = period_returns(returns, period).to_numpy(dtype=float)
    return _mean(x[x != 0])


def avg_win(returns: pd.Series, period: str = "day") -> float:
    """Mean return of the periods above zero."""
    x = period_returns(returns, period).to_numpy(dtype=float)
    return _mean(x[x > 0])


def avg_loss(returns: pd.Series, period: str = "day") -> float:
    """Mean return of the periods below zero (negative)."""
    x = period_returns(returns, period).to_numpy(dtype=float)
    return _mean(x[x < 0])


def win_rate(returns: pd.Series, period: str = "day") -> float:
    """Share of the periods with a non-zero return that are above zero."""
    x = period_returns(returns, period).to_numpy(dtype=float)
    moved = int((x != 0).sum())
    return float((x > 0).sum() / moved) if moved else math.nan


def payoff_ratio(returns: pd.Series) -> float:
    """Average winning day over the size of the average losing day (also "Win/Loss Ratio")."""
    return _div(avg_win(returns), abs(avg_loss(returns)))


def profit_ratio(returns: pd.Series) -> float:
    """quantstats' "Profit Ratio": ``(mean win / number of wins) / (|mean loss| / number of losses)``,
    zero days counted with the wins as quantstats does."""
    x = _arr(returns)
    wins, losses = x[x >= 0], x[x < 0]
    if not wins.size or not losses.size:
        return math.nan
    return _div(abs(wins.mean()) / wins.size, abs(losses.mean()) / losses.size)


def profit_factor(returns: pd.Series) -> float:
    """Sum of the winning days over the size of the sum of the losing days."""
    x = _arr(returns)
    return _div(float(x[x > 0].sum()), abs(float(x[x < 0].sum())))


def expected_return(returns: pd.Series, period: str = "day") -> float:
    """Geometric mean return per period: ``prod(1 + r) ** (1 / count) - 1`` over the periods."""
    x = period_returns(returns, period).to_numpy(dtype=float)
    return float(np.prod(1.0 + x) ** (1.0 / x.size) - 1.0) if x.size else math.nan


def kelly(returns: pd.Series) -> float:
    """Kelly fraction from daily wins and losses: ``p - (1 - p) / payoff`` with p the win rate."""
    p, b = win_rate(returns), payoff_ratio(returns)
    return float(p - (1.0 - p) / b) if b and math.isfinite(b) and math.isfinite(p) else math.nan


def risk_of_ruin(returns: pd.Series) -> float:
    """quantstats' risk of ruin: ``((1 - p) / (1 + p)) ** n`` with p the daily win rate and n the days."""
    p = win_rate(returns)
    return float(((1.0 - p) / (1.0 + p)) ** len(M._clean(returns))) if math.isfinite(p) else math.nan


def value_at_risk(returns: pd.Series) -> float:
    """One-day value at risk at 95 %, normal (parametric): ``mean + std * z(0.05)`` (negative)."""
    x = _arr(returns)
    return float(x.mean() + x.std(ddof=1) * _N.inv_cdf(TAIL)) if x.size > 1 else math.nan


def expected_shortfall(returns: pd.Series) -> float:
    """One-day expected shortfall (cVaR) at 95 %, normal: ``mean - std * pdf(z(0.05)) / 0.05``."""
    x = _arr(returns)
    if x.size < 2:
        return math.nan
    return float(x.mean() - x.std(ddof=1) * _N.pdf(_N.inv_cdf(TAIL)) / TAIL)


def longest_streak(returns: pd.Series, wins: bool) -> int:
    """Most consecutive days above zero (``wins``) or below zero; a zero day ends a streak."""
    x = _arr(returns)
    hit = (x > 0) if wins else (x < 0)
    if not hit.any():
        return 0
    edges = np.diff(np.concatenate([[0], hit.astype(np.int8), [0]]))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


def gain_to_pain(returns: pd.Series, period: str = "day") -> float:
    """Gain-to-pain ratio (Schwager): sum of the period returns over the size of the sum of the
    losing ones; periods compounded from the days (quantstats sums a month's days)."""
    x = period_returns(returns, period).to_numpy(dtype=float)
    return _div(float(x.sum()), abs(float(x[x < 0].sum())))


def tail_ratio(returns: pd.Series) -> float:
    """|95th percentile / 5th percentile| of the daily returns (linear interpolation)."""
    x = _arr(returns)
    return abs(_div(float(np.quantile(x, 1 - TAIL)), float(np.quantile(x, TAIL)))) if x.size else math.nan


def common_sense_ratio(returns: pd.Series) -> float:
    """Profit factor times tail ratio."""
    return profit_factor(returns) * tail_ratio(returns)


def cpc_index(returns: pd.Series) -> float:
    """Profit factor times win rate times payoff ratio (all daily)."""
    return profit_factor(returns) * win_rate(returns) * payoff_ratio(returns)


def outlier_win_ratio(returns: pd.Series) -> float:
    """99th percentile of the daily returns over the mean of the days at or above zero."""
    x = _arr(returns)
    return _div(float(np.quantile(x, 0.99)), _mean(x[x >= 0])) if x.size else math.nan


def outlier_loss_ratio(returns: pd.Series) -> float:
    """1st percentile of the daily returns over the mean of the days below zero."""
    x = _arr(returns)
    return _div(float(np.quantile(x, 0.01)), _mean(x[x < 0])) if x.size else math.nan


# --------------------------------------------------------------------------------------------
# trailing windows


def trailing_return(returns: pd.Series, since: pd.Timestamp) -> float:
    """Compounded return of the days after ``since`` (the base: the window starts at its close)."""
    r = M._clean(returns)
    return M.total_return(r[r.index > since])


def trailing_cagr(returns: pd.Series, start: Any, years: int) -> float:
    """CAGR over the last ``years`` calendar years (base: the last close at least that long before
    the end); NaN when the run is shorter."""
    r = M._clean(returns)
    if r.empty:
        return math.nan
    cut = r.index[-1] - pd.DateOffset(years=years)
    dates = r.index[r.index <= cut]
    if len(dates) == 0:
        if M._ts(start) > cut:
            return math.nan
        return M.cagr(r, start)
    return M.cagr(r[r.index > dates[-1]], dates[-1])


def trailing(returns: pd.Series, start: Any) -> dict[str, float]:
    """MTD, 3M, 6M, YTD, 1Y (compounded) and 3Y, 5Y, 10Y, all-time (annualised) up to the last day."""
    r = M._clean(returns)
    if r.empty:
        return {}
    end = r.index[-1]
    base = {k: end - off for k, off in (("3M", pd.DateOffset(months=3)), ("6M", pd.DateOffset(months=6)),
                                          ("1Y", pd.DateOffset(years=1)))}
    month0 = pd.Timestamp(end.year, end.month, 1) - pd.Timedelta(days=1)
    year0 = pd.Timestamp(end.year, 1, 1) - pd.Timedelta(days=1)
    out = {"MTD": trailing_return(r, month0)}
    out["3M"], out["6M"] = trailing_return(r, base["3M"]), trailing_return(r, base["6M"])
    out["YTD"], out["1Y"] = trailing_return(r, year0), trailing_return(r, base["1Y"])
    for y in (3, 5, 10):
        out[f"{y}Y"] = trailing_cagr(r, start, y)
    out["All"] = M.cagr(r, start)
    return out


# --------------------------------------------------------------------------------------------
# drawdowns


def drawdown_periods(returns: pd.Series, start: Any) -> pd.DataFrame:
    """Every drawdown of the wealth index (base 1.0 at ``start``): one row per fall from a peak to
    the recovery, columns ``start`` (the peak's date, as metrics.max_drawdown), ``trough``, ``end``
    (the first date back at the peak, NaT if it never is), ``depth`` (negative fraction) and
    ``days`` (calendar days from the peak to the recovery, or to the last date). Deepest first.
    quantstats starts a period on the first day below the peak and counts days + 1."""
    w = M._wealth(returns, start)
    v = w.to_numpy(dtype=float)
    dates = w.index
    peak = np.maximum.accumulate(v)
    under = v < peak * (1.0 - M._RECOVERY_RTOL)
    rows = []
    i, n = 0, v.size
    while i < n:
        if not under[i]:
            i += 1
            continue
        j = i
        while j < n and under[j]:
            j += 1
        seg = v[i:j]
        t = i + int(np.argmin(seg))
        recovered = j < n
        end = dates[j] if recovered else pd.NaT
        rows.append({"start": dates[i - 1], "trough": dates[t], "end": end, "depth": float(v[t] / peak[t] - 1.0),
                     "days": int(((dates[j] if recovered else dates[-1]) - dates[i - 1]).days)})
        i = j
    out = pd.DataFrame(rows, columns=["start", "trough", "end", "depth", "days"])
    return out.sort_values("depth", kind="stable").reset_index(drop=True)


def recovery_factor(returns: pd.Series, start: Any) -> float:
    """Total return over |max drawdown| (quantstats sums the daily returns instead of compounding)."""
    return _div(M.total_return(returns), abs(M.max_drawdown(returns, start)[0]))


def serenity_index(returns: pd.Series, start: Any, rf: float | pd.Series = 0.0) -> float:
    """Serenity index (KeyQuant) as quantstats builds it, on r2k's pieces: ``(CAGR - rf) / (ulcer
    index * pitfall)``, pitfall = ``-cVaR95(drawdowns) / std(daily returns)`` with the normal cVaR of
    :func:`expected_shortfall` taken over the drawdown series (quantstats: the summed return on top)."""
    dd = M.drawdown_series(returns)
    sd = float(_arr(returns).std(ddof=1))
    pitfall = _div(-expected_shortfall(dd), sd)
    return _div(M.cagr(returns, start) - rf_annual(returns, rf, start), ulcer_index(returns, start) * pitfall)


# --------------------------------------------------------------------------------------------
# against the benchmark


def _paired(returns: pd.Series, benchmark: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    r = M._clean(returns)
    b = M._clean(benchmark).reindex(r.index)
    ok = b.notna().to_numpy()
    return r.to_numpy(dtype=float)[ok], b.to_numpy(dtype=float)[ok]


def beta(returns: pd.Series, benchmark: pd.Series) -> float:
    """cov(r, b) / var(b) of the daily returns on common dates."""
    x, y = _paired(returns, benchmark)
    if x.size < 2:
        return math.nan
    c = np.cov(x, y)
    return _div(float(c[0, 1]), float(c[1, 1]))


def alpha(returns: pd.Series, benchmark: pd.Series) -> float:
    """Jensen's alpha without a risk-free rate, annualised: ``(mean(r) - beta * mean(b)) * 252``."""
    x, y = _paired(returns, benchmark)
    return float((x.mean() - beta(returns, benchmark) * y.mean()) * YEAR) if x.size > 1 else math.nan


def correlation(returns: pd.Series, benchmark: pd.Series) -> float:
    """Pearson correlation of the daily returns on common dates."""
    x, y = _paired(returns, benchmark)
    if x.size < 2 or x.std() == 0 or y.std() == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


def r_squared(returns: pd.Series, benchmark: pd.Series) -> float:
    """Square of :func:`correlation` (the R^2 of regressing the returns on the benchmark's)."""
    c = correlation(returns, benchmark)
    return c * c


def information_ratio(returns: pd.Series, benchmark: pd.Series) -> float:
    """Mean over std (ddof=1) of the daily active returns ``r - b``, annualised with sqrt(252)
    (quantstats shows the daily figure, sqrt(252) = 15.9 times smaller)."""
    x, y = _paired(returns, benchmark)
    d = x - y
    return _div(_mean(d), float(d.std(ddof=1))) * math.sqrt(YEAR) if d.size > 1 else math.nan


def treynor(returns: pd.Series, benchmark: pd.Series, start: Any, rf: float | pd.Series = 0.0) -> float:
    """Treynor ratio: ``(CAGR - rf) / beta`` (quantstats: the total return over beta)."""
    return _div(M.cagr(returns, start) - rf_annual(returns, rf, start), beta(returns, benchmark))


# --------------------------------------------------------------------------------------------
# rolling series for the charts


def rolling_volatility(returns: pd.Series, window: int = YEAR // 2) -> pd.Series:
    """Annualised std (ddof=1) of the last ``window`` daily returns (NaN before a full window)."""
    return M._clean(returns).rolling(window).std(ddof=1) * math.sqrt(YEAR)


def rolling_sharpe(returns: pd.Series, window: int = YEAR // 2) -> pd.Series:
    """Annualised mean / std of the last ``window`` daily returns (no risk-free rate)."""
    r = M._clean(returns).rolling(window)
    return r.mean() / r.std(ddof=1) * math.sqrt(YEAR)


def rolling_sortino(returns: pd.Series, window: int = YEAR // 2) -> pd.Series:
    """Annualised mean / downside deviation (all days, target 0) of the last ``window`` daily returns."""
    r = M._clean(returns)
    down = np.sqrt((np.minimum(r, 0.0) ** 2).rolling(window).mean())
    return r.rolling(window).mean() / down.where(down > 0) * math.sqrt(YEAR)


def rolling_beta(returns: pd.Series, benchmark: pd.Series, window: int) -> pd.Series:
    """cov / var of the last ``window`` daily returns against the benchmark's."""
    r = M._clean(returns)
    b = M._clean(benchmark).reindex(r.index)
    return r.rolling(window).cov(b) / b.rolling(window).var()
