"""Performance metrics: one definition of each, used by every report.

All returns are fractions (0.05 means 5 %), never percent. ``returns`` is always a Series of
daily flow-neutral (time-weighted) returns on tz-naive trading dates. It starts on the first day
*after* the run's first bar: that bar is the base (value = initial cash), so the run's ``start``
date is passed separately where a metric needs it (CAGR, drawdown, turnover).

The formulas follow quantstats where it is sensible (it is what most readers compare against) but
this module never imports it: quantstats takes over a second to import and changes its
definitions between releases. Each docstring says where a number differs from quantstats or from
Portfolio Visualizer (PV).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd

from r2k.reports.xirr import xirr as _xirr

Basis = Literal["daily", "monthly"]

#: Calendar days per year for CAGR and turnover (mean length including leap years).
DAYS_PER_YEAR = 365.25

#: Relative tolerance for "back at the old peak" when finding a drawdown's recovery date, so that
#: rounding in the compounded wealth (e.g. 0.88 * 1.25 = 1.0999999999999999) does not hide it.
_RECOVERY_RTOL = 1e-12

SUMMARY_KEYS = (
    "start",
    "end",
    "initial_cash",
    "contributed",
    "withdrawn",
    "depleted_on",
    "safe_withdrawal_rate",
    "perpetual_withdrawal_rate",
    "final_value",
    "gain",
    "total_return",
    "cagr",
    "xirr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_start",
    "max_drawdown_end",
    "max_drawdown_month_end",
    "max_drawdown_month_end_start",
    "max_drawdown_month_end_end",
    "best_year",
    "worst_year",
    "trades",
    "turnover",
    "exposure",
    "stats_basis",
)


# --------------------------------------------------------------------------------------------
# helpers


def _clean(returns: pd.Series) -> pd.Series:
    """Float Series on a sorted DatetimeIndex; NaN is an error, not a silent zero."""
    if not isinstance(returns, pd.Series):
        raise TypeError("returns must be a pandas Series")
    r = returns.astype(float)
    if not isinstance(r.index, pd.DatetimeIndex):
        r.index = pd.DatetimeIndex(pd.to_datetime(r.index))
    if r.isna().any():
        raise ValueError(f"returns contain {int(r.isna().sum())} NaN values")
    if not r.index.is_monotonic_increasing:
        r = r.sort_index(kind="stable")
    return r


def _ts(value: Any) -> pd.Timestamp:
    return pd.Timestamp(value).tz_localize(None) if pd.Timestamp(value).tz else pd.Timestamp(value)


def _years(start: Any, end: Any) -> float:
    return (_ts(end) - _ts(start)).days / DAYS_PER_YEAR


def _compound(returns: pd.Series, rule: str) -> pd.Series:
    return (1.0 + returns).resample(rule).prod() - 1.0


def _periods(periods: int | None, basis: Basis) -> int:
    if basis not in ("daily", "monthly"):
        raise ValueError(f"basis must be 'daily' or 'monthly', not {basis!r}")
    if basis == "monthly":
        return 12
    return 252 if periods is None else int(periods)


def _on_basis(returns: pd.Series, basis: Basis) -> pd.Series:
    r = _clean(returns)
    return monthly_returns(r) if basis == "monthly" else r


def _excess(
    returns: pd.Series, rf: float | pd.Series, periods: int | None, basis: Basis
) -> tuple[pd.Series, int]:
    """Excess returns on the chosen basis and the number of those periods per year.

    A float ``rf`` is an annual rate, converted to ``(1 + rf) ** (1 / n) - 1`` per period. A Series
    ``rf`` holds *daily* rates (not annual, unlike quantstats): it is aligned to the return dates
    (gaps carried forward) and, on the monthly basis, compounded to months like the returns.
    """
    r = _clean(returns)
    n = _periods(periods, basis)
    if isinstance(rf, pd.Series):
        rate = rf.astype(float)
        if not isinstance(rate.index, pd.DatetimeIndex):
            rate.index = pd.DatetimeIndex(pd.to_datetime(rate.index))
        rate = rate.sort_index().reindex(r.index.union(rate.index)).ffill().reindex(r.index)
        if rate.isna().any():
            raise ValueError("rf series does not cover the first return dates")
        if basis == "monthly":
            return monthly_returns(r) - monthly_returns(rate), n
        return r - rate, n
    per_period = (1.0 + float(rf)) ** (1.0 / n) - 1.0
    return _on_basis(r, basis) - per_period, n


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 and math.isfinite(den) else math.nan


# --------------------------------------------------------------------------------------------
# returns


def total_return(returns: pd.Series) -> float:
    """Compounded time-weighted return: ``prod(1 + r) - 1`` (0.0 for an empty series)."""
    r = _clean(returns)
    return float(np.prod(1.0 + r.to_numpy())) - 1.0


def cagr(returns: pd.Series, start: Any) -> float:
    """Annual growth rate: ``(1 + total_return) ** (1 / years) - 1``.

    ``years = (end - start).days / 365.25`` with ``end = returns.index[-1]`` and ``start`` the
    run's first bar (the base, not in ``returns``): calendar time, so a run over weekends and
    holidays is not stretched. quantstats 0.0.86 instead uses ``count / 252`` trading periods (and
    older releases ``(last - first).days / 365``, which drops the first day); PV works from whole
    months. NaN when the span is not positive.
    """
    r = _clean(returns)
    if r.empty:
        return math.nan
    years = _years(start, r.index[-1])
    if years <= 0:
        return math.nan
    growth = 1.0 + total_return(r)
    if growth <= 0:
        return -1.0
    return float(growth ** (1.0 / years) - 1.0)


def calendar_year_returns(returns: pd.Series) -> pd.Series:
    """Compounded return of each calendar year, indexed by the year (int).

    Partial first and last years are included as they are (not annualised), so the first year of
    a run that starts in June is a seven-month return. Same as quantstats' yearly aggregation; PV
    also reports partial years.
    """
    r = _clean(returns)
    out = (1.0 + r).groupby(r.index.year).prod() - 1.0
    out.index = out.index.astype(int)
    out.index.name = "year"
    return out


def monthly_returns(returns: pd.Series) -> pd.Series:
    """Compounded return of each calendar month, indexed by the month-end calendar date.

    Partial first and last months are included as they are; a month with no trading days (not
    possible on a real exchange calendar) would appear as 0.0.
    """
    return _compound(_clean(returns), "ME")


# --------------------------------------------------------------------------------------------
# risk and risk-adjusted return


def volatility(returns: pd.Series, periods: int | None = None, basis: Basis = "daily") -> float:
    """Annualised volatility: sample std (``ddof=1``) of the returns times ``sqrt(periods)``.

    ``basis="daily"`` uses the daily returns and ``periods`` (default 252), as quantstats does.
    ``basis="monthly"`` compounds to calendar months and annualises with 12 (``periods`` is
    ignored), as PV does; partial first/last months count as months. NaN with fewer than 2
    observations.
    """
    r = _on_basis(returns, basis)
    n = _periods(periods, basis)
    if len(r) < 2:
        return math.nan
    return float(r.std(ddof=1) * math.sqrt(n))


def sharpe(
    returns: pd.Series,
    rf: float | pd.Series = 0.0,
    periods: int | None = None,
    basis: Basis = "daily",
) -> float:
    """Sharpe ratio: ``mean(excess) / std(excess, ddof=1) * sqrt(periods)``, ``excess = r - rf``.

    ``rf`` is an annual rate (float) converted per period as ``(1 + rf) ** (1 / periods) - 1``,
    or a Series of *daily* rates (quantstats treats a Series as annual rates). The denominator is
    the std of the excess returns, as in quantstats; with a constant rf that equals the std of the
    returns. ``basis="monthly"`` uses calendar-month returns and 12 periods (PV style; PV may
    annualise the mean differently). NaN when the std is 0 or there are fewer than 2 observations.
    """
    ex, n = _excess(returns, rf, periods, basis)
    if len(ex) < 2:
        return math.nan
    return _ratio(ex.mean(), ex.std(ddof=1)) * math.sqrt(n)


def sortino(
    returns: pd.Series,
    rf: float | pd.Series = 0.0,
    periods: int | None = None,
    basis: Basis = "daily",
) -> float:
    """Sortino ratio: ``mean(excess) / sqrt(mean(min(excess, 0) ** 2)) * sqrt(periods)``.

    The downside deviation is taken over ALL observations (positive ones count as 0) with the
    target = rf, as quantstats does (Red Rock Capital's definition); a downside std over only the
    negative observations, or with ``ddof=1``, would give a larger ratio. PV uses monthly returns
    (``basis="monthly"``). ``rf`` as in :func:`sharpe`. NaN when there is no downside.
    """
    ex, n = _excess(returns, rf, periods, basis)
    if ex.empty:
        return math.nan
    x = ex.to_numpy()
    downside = math.sqrt(float(np.mean(np.minimum(x, 0.0) ** 2)))
    return _ratio(float(x.mean()), downside) * math.sqrt(n)


def _wealth(returns: pd.Series, start: Any) -> pd.Series:
    """Wealth index with the base 1.0 at ``start`` followed by the compounded returns."""
    r = _clean(returns)
    base = pd.Series([1.0], index=pd.DatetimeIndex([_ts(start)]))
    if len(r) and r.index[0] <= base.index[0]:
        raise ValueError("start must be before the first return date")
    return pd.concat([base, (1.0 + r).cumprod()])


def drawdown_series(returns: pd.Series) -> pd.Series:
    """Drawdown on each return date: ``wealth / running_peak - 1`` (0 or negative).

    The running peak starts from the base value 1.0 (the run's initial cash), so a loss on the
    first day already counts as drawdown. quantstats 0.0.86 does the same with a phantom base
    point; older quantstats releases started the peak at the first day's value.
    """
    r = _clean(returns)
    wealth = (1.0 + r).cumprod()
    peak = wealth.cummax().clip(lower=1.0)
    return wealth / peak - 1.0


def max_drawdown(
    returns: pd.Series, start: Any
) -> tuple[float, pd.Timestamp | None, pd.Timestamp | None, pd.Timestamp | None]:
    """Deepest peak-to-trough fall: ``(depth, peak date, trough date, recovery date)``.

    Computed on the wealth index that includes the base 1.0 at ``start``, so the peak can be
    ``start`` itself. ``depth`` is a negative fraction (0.0 with all dates ``None`` if wealth never
    fell). The peak date is the last date before the trough on which wealth stood at that peak;
    the trough is the first date of the lowest drawdown; recovery is the first date after the
    trough on which wealth is back at the peak (``None`` if it never is). quantstats reports the
    depth the same way but its drawdown table starts a drawdown on the first day *below* the peak.
    """
    w = _wealth(returns, start)
    values = w.to_numpy()
    peaks = np.maximum.accumulate(values)
    dd = values / peaks - 1.0
    trough_i = int(np.argmin(dd))
    depth = float(dd[trough_i])
    if depth >= 0.0:
        return 0.0, None, None, None
    peak_value = peaks[trough_i]
    peak_i = int(np.flatnonzero(values[: trough_i + 1] == peak_value)[-1])
    after = np.flatnonzero(values[trough_i + 1 :] >= peak_value * (1.0 - _RECOVERY_RTOL))
    recovery = w.index[trough_i + 1 + int(after[0])] if len(after) else None
    return depth, w.index[peak_i], w.index[trough_i], recovery


def month_end_drawdown(returns: pd.Series, start: Any) -> tuple[float, pd.Timestamp | None, pd.Timestamp | None]:
    """Deepest fall between month-end balances: ``(depth, peak month-end, trough month-end)``.

    Portfolio Visualizer's max drawdown: the wealth index (time-weighted, so a deposit or a
    withdrawal never counts as a gain or a fall) sampled at the last trading day of each calendar
    month, with the base 1.0 at ``start`` as the opening balance, then ``min(w / cummax(w)) - 1``.
    A fall and recovery within a month does not show, so it is never deeper than
    :func:`max_drawdown`'s daily figure. A run that starts at the month-end close before its first
    month (``--start 2004-12-31`` for a PV backtest from January 2005) has exactly PV's points.
    Dates are the trading days of those month-ends; ``(0.0, None, None)`` if wealth never fell.
    """
    w = _wealth(returns, start)
    ends = w.groupby(w.index.to_period("M")).tail(1)
    if w.index[0] not in ends.index:  # the base opens the run even when it is not its month's last day
        ends = pd.concat([w.iloc[:1], ends])
    values = ends.to_numpy()
    dd = values / np.maximum.accumulate(values) - 1.0
    trough_i = int(np.argmin(dd))
    if dd[trough_i] >= 0.0:
        return 0.0, None, None
    peak_i = int(np.flatnonzero(values[: trough_i + 1] == np.maximum.accumulate(values)[trough_i])[-1])
    return float(dd[trough_i]), ends.index[peak_i], ends.index[trough_i]


# --------------------------------------------------------------------------------------------
# activity


def turnover(
    trades: pd.DataFrame | None, equity: pd.DataFrame | None, start: Any, end: Any
) -> float | None:
    """Annualised one-way turnover: ``min(buys, sells) / mean(equity value) / years``.

    Taking the smaller side means buying with new deposits (or selling to fund withdrawals) is not
    turnover, so buy-and-hold with contributions scores 0. ``years`` is as in :func:`cagr`.
    Trade values are taken as absolute amounts. ``None`` when trades exist on both sides but the
    equity curve or a positive span is missing.
    """
    if trades is None or len(trades) == 0:
        return 0.0
    side = trades["side"].astype(str).str.lower()
    value = trades["value"].astype(float).abs()
    one_way = min(float(value[side == "buy"].sum()), float(value[side == "sell"].sum()))
    if one_way == 0.0:
        return 0.0
    years = _years(start, end)
    if equity is None or len(equity) == 0 or years <= 0:
        return None
    mean_value = float(equity["value"].astype(float).mean())
    return _ratio(one_way, mean_value) / years


def exposure(positions: pd.DataFrame | None, dates: pd.DatetimeIndex, cash: tuple[str, ...] = ("CASH",)) -> float | None:
    """Time in the market: the share of ``dates`` (the return days) on whose close the account
    held anything but cash (a position in an asset not named in ``cash``).

    quantstats' "Time in Market" counts days with a non-zero return instead, so a rule parked in
    the CASH asset (which earns the fed funds rate every day) shows 100 %. ``None`` without
    positions or dates.
    """
    if positions is None or len(dates) == 0:
        return None
    held = positions[[c for c in positions.columns if c not in cash]]
    if held.shape[1] == 0:
        return 0.0
    invested = (held.abs() > 0).any(axis=1).reindex(pd.DatetimeIndex(dates)).fillna(False).astype(bool)
    return float(invested.mean())


def positions_from_trades(trades: pd.DataFrame | None, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Holdings at each close of ``dates`` rebuilt from a trade list (buys +, sells -)."""
    if trades is None or len(trades) == 0:
        return pd.DataFrame(index=pd.DatetimeIndex(dates))
    sign = np.where(trades["side"].astype(str).str.lower() == "buy", 1.0, -1.0)
    signed = pd.DataFrame({"date": pd.to_datetime(trades["date"]), "symbol": trades["symbol"],
                           "q": sign * trades["size"].astype(float).to_numpy()})
    daily = signed.pivot_table(index="date", columns="symbol", values="q", aggfunc="sum")
    grid = daily.reindex(pd.DatetimeIndex(dates).union(daily.index)).fillna(0.0).cumsum()
    return grid.reindex(pd.DatetimeIndex(dates)).where(lambda x: x.abs() > 1e-9, 0.0)


# --------------------------------------------------------------------------------------------
# summary


def _finite(x: float) -> float | None:
    """A float, or None for NaN/inf (as :func:`_json` makes them)."""
    return x if math.isfinite(x) else None


def _json(value: Any) -> Any:
    """Python scalars only; NaN/inf become None so the dict survives ``json.dumps(allow_nan=False)``."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    return value


def summarize(
    returns: pd.Series,
    *,
    start: Any,
    initial_cash: float,
    final_value: float,
    cashflows: pd.DataFrame | None = None,
    trades: pd.DataFrame | None = None,
    equity: pd.DataFrame | None = None,
    rf: float | pd.Series = 0.0,
    basis: Basis = "daily",
) -> dict[str, Any]:
    """The run's headline numbers as a JSON-ready dict (fractions; dates as ``YYYY-MM-DD``).

    ``cashflows`` has columns ``date, amount`` with deposits positive, withdrawals negative and the
    initial cash as its first row; ``contributed`` is the sum of the other positive rows and
    ``withdrawn`` (present only when there are withdrawals) minus the sum of the negative ones. ``total_return``/``cagr`` are
    time-weighted (contributions do not inflate them); ``xirr`` is the money-weighted return of
    the flows (negated: deposits out of the investor's pocket, withdrawals into it) plus
    ``final_value`` on the end date, present only when the cash flows fall on more than one date.
    ``gain = final_value - initial_cash - contributed + withdrawn``.
    ``volatility``/``sharpe``/``sortino`` use ``basis``; ``basis="monthly"`` also adds the
    month-end max drawdown (``max_drawdown_month_end`` and its dates, :func:`month_end_drawdown`)
    beside the daily one, which stays ``max_drawdown``; the rest do not depend on it.
    """
    r = _clean(returns)
    start_ts = _ts(start)
    end_ts = r.index[-1] if len(r) else start_ts

    contributed = withdrawn = 0.0
    flow_dates: pd.DatetimeIndex | None = None
    flow_amounts: np.ndarray | None = None
    if cashflows is not None and len(cashflows):
        flow_dates = pd.DatetimeIndex(pd.to_datetime(cashflows["date"]))
        flow_amounts = cashflows["amount"].astype(float).to_numpy()
        later = flow_amounts[1:]
        contributed = float(later[later > 0].sum())
        withdrawn = float(-later[later < 0].sum())

    depth, peak, trough, _ = max_drawdown(r, start_ts)
    years = calendar_year_returns(r)
    out: dict[str, Any] = {
        "start": start_ts,
        "end": end_ts,
        "initial_cash": float(initial_cash),
        "contributed": contributed,
        "final_value": float(final_value),
        "gain": float(final_value) - float(initial_cash) - contributed + withdrawn,
        "total_return": total_return(r),
        "cagr": cagr(r, start_ts),
        "volatility": volatility(r, basis=basis),
        "sharpe": sharpe(r, rf=rf, basis=basis),
        "sortino": sortino(r, rf=rf, basis=basis),
        "max_drawdown": depth,
        "max_drawdown_start": peak,
        "max_drawdown_end": trough,
        "best_year": years.max() if len(years) else None,
        "worst_year": years.min() if len(years) else None,
        "trades": 0 if trades is None else len(trades),
        "turnover": turnover(trades, equity, start_ts, end_ts),
        "stats_basis": basis,
    }
    if basis == "monthly":
        depth_m, peak_m, trough_m = month_end_drawdown(r, start_ts)
        out.update(max_drawdown_month_end=depth_m, max_drawdown_month_end_start=peak_m,
                   max_drawdown_month_end_end=trough_m)
    if withdrawn > 0:
        out["withdrawn"] = withdrawn
    if flow_dates is not None and flow_amounts is not None:
        active = flow_dates[flow_amounts != 0.0]
        if active.normalize().nunique() > 1:
            out["xirr"] = _xirr(
                list(flow_dates) + [end_ts], list(-flow_amounts) + [float(final_value)]
            )
    return {k: _json(out[k]) for k in SUMMARY_KEYS if k in out}


# --------------------------------------------------------------------------------------------
# many combinations at once (sweeps)


def _month_codes(index: pd.DatetimeIndex) -> tuple[np.ndarray, int]:
    """Each date's calendar month as 0.. from the first month, and the number of months spanned."""
    code = (index.year * 12 + index.month).to_numpy()
    code = code - code[0]
    return code, int(code[-1]) + 1


def _compound_groups(growth: np.ndarray, code: np.ndarray, groups: int) -> np.ndarray:
    """Row-wise compounded return of each group (``code`` sorted; empty groups give 0)."""
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    out = np.ones((growth.shape[0], groups))
    out[:, code[starts]] = np.multiply.reduceat(growth, starts, axis=1)
    return out - 1.0


def summarize_many(
    returns: np.ndarray,
    index: pd.DatetimeIndex,
    *,
    start: Any,
    initial_cash: float,
    final_values: np.ndarray,
    cashflows: pd.DataFrame | None,
    trades: np.ndarray,
    one_way: np.ndarray,
    mean_value: np.ndarray,
    rf: float | pd.Series = 0.0,
    basis: Basis = "daily",
) -> list[dict[str, Any]]:
    """:func:`summarize` of many runs sharing one calendar, ledger and rf, as arrays.

    ``returns`` is (runs, days) on ``index``; per run its final value, its number of trades, its
    one-way traded value (``min(buys, sells)``, see :func:`turnover`) and its mean equity value.
    The same definitions as the one-run functions above, computed along rows; a test holds the
    two to 1e-12 (tests/test_batch.py), and a sweep uses whichever fits.
    """
    r = np.ascontiguousarray(returns, dtype=float)
    k, n = r.shape
    if np.isnan(r).any():
        raise ValueError("returns contain NaN values")
    start_ts = _ts(start)
    end_ts = index[-1] if n else start_ts
    years_span = _years(start_ts, end_ts)

    periods = _periods(None, basis)
    root = math.sqrt(periods)
    year = index.values.astype("datetime64[Y]").astype(np.int64)  # calendar year - 1970: the same grouping
    ycode = year - year[0] if n else year
    if basis == "daily" and not isinstance(rf, pd.Series) and n >= 1:
        stats = _daily_kernel(r, (1.0 + float(rf)) ** (1.0 / periods) - 1.0, ycode)
        total, vol_std, ex_mean, ex_std, down, depth, trough, peak_i, years_r = stats
        vol = vol_std * root
        m = n
    else:
        growth = 1.0 + r
        total = np.prod(growth, axis=1) - 1.0 if n else np.zeros(k)
        vol, ex_mean, ex_std, down, m = _basis_arrays(r, growth, index, rf, basis, periods)
        vol = vol * root
        depth, trough, peak_i = _drawdowns(growth)
        years_r = _compound_groups(growth, ycode, int(ycode[-1]) + 1) if n else np.zeros((k, 0))
        present = np.zeros(years_r.shape[1], dtype=bool)
        if n:
            present[ycode] = True
        years_r = years_r[:, present]
    with np.errstate(invalid="ignore", divide="ignore"):
        sharpe_v = np.where((ex_std > 0) & np.isfinite(ex_std), ex_mean / ex_std, math.nan) * root
        if m < 2:
            sharpe_v = np.full(k, math.nan)
        sortino_v = np.where((down > 0) & np.isfinite(down), ex_mean / down, math.nan) * root
    # wealth-index positions: 0 is the start, i + 1 the close of index[i]
    w_days = np.concatenate([np.array([start_ts.to_datetime64()], dtype="datetime64[D]"),
                             index.values.astype("datetime64[D]")])

    contributed = 0.0
    flow_dates = flow_amounts = None
    if cashflows is not None and len(cashflows):
        # ISO days (runfolder's cashflows): parsed without guessing their format row by row
        flow_days = np.asarray(cashflows["date"].to_numpy(), dtype="datetime64[D]")  # ISO days: no per-row parsing
        flow_amounts = cashflows["amount"].astype(float).to_numpy()
        contributed = float(flow_amounts[1:].sum())
        if len(np.unique(flow_days[flow_amounts != 0.0])) > 1:  # XIRR needs flows on two days at least
            flow_dates = pd.DatetimeIndex(flow_days)
    with_xirr = flow_dates is not None

    with np.errstate(invalid="ignore", divide="ignore"):  # CAGR
        if n == 0 or years_span <= 0:
            cagr_v = np.full(k, math.nan)
        else:
            g = 1.0 + total
            cagr_v = np.where(g <= 0, -1.0, np.abs(g) ** (1.0 / years_span) - 1.0)
    # Python scalars for the whole batch at once (a row per combination is what a sweep keeps);
    # the same values and rules as ``_json`` of the one-run summary
    start_s, end_s = _json(start_ts), _json(end_ts)
    has_dd = depth < 0.0
    spots = np.unique(np.concatenate([peak_i[has_dd], trough[has_dd]]).astype(np.int64))
    day_of = dict(zip(spots.tolist(), np.datetime_as_string(w_days[spots], unit="D").tolist(), strict=True))
    best = years_r.max(axis=1).tolist() if years_r.shape[1] else [None] * k
    worst = years_r.min(axis=1).tolist() if years_r.shape[1] else [None] * k
    columns = {"total_return": total, "cagr": cagr_v, "volatility": vol, "sharpe": sharpe_v, "sortino": sortino_v}
    lists = {key: [_finite(x) for x in np.asarray(v, dtype=float).tolist()] for key, v in columns.items()}
    initial = _finite(float(initial_cash))
    out = []
    for j in range(k):
        final = float(final_values[j])
        if one_way[j] == 0.0 or trades[j] == 0:
            turn: float | None = 0.0
        elif years_span <= 0:
            turn = None
        else:
            turn = _finite(_ratio(float(one_way[j]), float(mean_value[j])) / years_span)
        d = float(depth[j])
        row: dict[str, Any] = {
            "start": start_s, "end": end_s, "initial_cash": initial, "contributed": _finite(contributed),
            "final_value": _finite(final), "gain": _finite(final - float(initial_cash) - contributed),
            **{key: lists[key][j] for key in columns},
            "max_drawdown": _finite(d) if d < 0.0 else 0.0,
            "max_drawdown_start": day_of[int(peak_i[j])] if d < 0.0 else None,
            "max_drawdown_end": day_of[int(trough[j])] if d < 0.0 else None,
            "best_year": _finite(best[j]) if best[j] is not None else None,
            "worst_year": _finite(worst[j]) if worst[j] is not None else None,
            "trades": int(trades[j]), "turnover": turn, "stats_basis": basis,
        }
        if basis == "monthly":
            depth_m, peak_m, trough_m = month_end_drawdown(pd.Series(r[j], index=index), start_ts)
            row.update(max_drawdown_month_end=_json(depth_m), max_drawdown_month_end_start=_json(peak_m),
                       max_drawdown_month_end_end=_json(trough_m))
        if with_xirr:
            row["xirr"] = _json(_xirr(list(flow_dates) + [end_ts], list(-flow_amounts) + [final]))
        out.append({key: row[key] for key in SUMMARY_KEYS if key in row})
    return out


def _daily_kernel(r: np.ndarray, rf_per_day: float, ycode: np.ndarray) -> tuple:
    """The daily-basis statistics of every row in one compiled pass (reports._metrics_kernel)."""
    from r2k.reports._metrics_kernel import daily_stats

    k, n = r.shape
    ystarts = np.flatnonzero(np.r_[True, ycode[1:] != ycode[:-1]]).astype(np.int64)
    arrays = [np.empty(k) for _ in range(5)]
    depth, trough, peak = np.empty(k), np.empty(k, dtype=np.int64), np.empty(k, dtype=np.int64)
    years = np.empty((k, len(ystarts)))
    total, std, ex_mean, ex_std, down = arrays
    daily_stats(r, np.full(n, rf_per_day), ystarts, total, std, ex_mean, ex_std, down, depth, trough, peak, years)
    return total, std, ex_mean, ex_std, down, depth, trough, peak, years


def _basis_arrays(r, growth, index, rf, basis, periods) -> tuple:
    """(std, mean and std of the excess, downside deviation, observations) on the basis, as arrays."""
    k = r.shape[0]
    if basis == "monthly":
        code, months = _month_codes(index)
        on_basis = _compound_groups(growth, code, months)
    else:
        on_basis = r
    if isinstance(rf, pd.Series):
        rate = rf.astype(float)
        if not isinstance(rate.index, pd.DatetimeIndex):
            rate.index = pd.DatetimeIndex(pd.to_datetime(rate.index))
        rate = rate.sort_index().reindex(index.union(rate.index)).ffill().reindex(index)
        if rate.isna().any():
            raise ValueError("rf series does not cover the first return dates")
        rate_v = rate.to_numpy()
        if basis == "monthly":
            excess = on_basis - _compound_groups((1.0 + rate_v)[None, :], code, months)
        else:
            excess = r - rate_v[None, :]
    else:
        excess = on_basis - ((1.0 + float(rf)) ** (1.0 / periods) - 1.0)
    m = on_basis.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        vol = on_basis.std(axis=1, ddof=1) if m >= 2 else np.full(k, math.nan)
        ex_std = excess.std(axis=1, ddof=1) if m >= 2 else np.full(k, math.nan)
        ex_mean = excess.mean(axis=1) if m else np.full(k, math.nan)
        down = np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2, axis=1)) if m else np.full(k, math.nan)
    return vol, ex_mean, ex_std, down, m


def _drawdowns(growth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(depth, trough position, peak position) on each row's wealth index with base 1.0 at 0."""
    k, n = growth.shape
    wealth = np.concatenate([np.ones((k, 1)), np.cumprod(growth, axis=1)], axis=1)
    peaks = np.maximum.accumulate(wealth, axis=1)
    dd = wealth / peaks - 1.0
    trough = np.argmin(dd, axis=1)
    rows = np.arange(k)
    depth = dd[rows, trough]
    peak_val = peaks[rows, trough]
    pos = np.arange(n + 1)
    at_peak = (wealth == peak_val[:, None]) & (pos[None, :] <= trough[:, None])
    return depth, trough, n - np.argmax(at_peak[:, ::-1], axis=1)
