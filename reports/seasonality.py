"""Calendar effects: month-of-year returns and named windows, with a permutation test.

Month returns come from month-end closes (last close of the month over the last close of the
month before); a month the data does not fully cover is left out. Named windows, one per year:

* **turn of the year**: the last close before Dec 15 to the last close of Jan 31 (labelled by
  January's year);
* **May-Oct** ("sell in May"): last close of April to last close of October; **Nov-Apr**: last
  close of October to last close of April of the next year (labelled by the April);
* **Russell reconstitution**: rank day -> reconstitution day, and the two months after
  (reconstitution day -> last close of August). Rule: the rank day is taken as the last close on
  or before April 30 (FTSE Russell's rank day in recent years; in earlier years it fell in May,
  so the window then also holds the weeks before ranking). The reconstitution takes effect after
  the close of the last Friday of June through 2017 and of the fourth Friday of June from 2018
  (FTSE Russell reconstitution calendar: 2018 "take effect after the close on Friday, June 22",
  while June 29 was the last Friday). Source: ftserussell.com "Russell US Index Reconstitution";
  Cboe Options Hub 2014/2015 ("on the last Friday in June all the Russell Indexes ... are
  rebalanced").

**Permutation p-value** of a window: the statistic is the mean over years of the window's
return. Under the null a window of the same length (in trading days) starting on a random trading
day of the same calendar year would do as well. Each draw picks, for every year, one random start
in that year and takes the return over the same number of closes; the p-value is two-sided,
``(1 + #{|mean_draw - centre| >= |observed - centre|}) / (1 + n_draws)`` with ``centre`` the mean
of the draws. p-values across the windows tested are adjusted with Benjamini-Hochberg.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from r2k.reports.tables import expected_last_session

N_PERM = 2000
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
RECON_FOURTH_FRIDAY_FROM = 2018
RECON_RULE = (
    "Russell reconstitution: rank day = last close on or before April 30 (FTSE Russell's recent rank day; earlier "
    "rank days fell in May); reconstitution day = last Friday of June through 2017, fourth Friday of June from 2018 "
    "(FTSE Russell reconstitution calendar, 2018: effective after the close on Friday June 22). Source: "
    "ftserussell.com Russell US Index Reconstitution; Cboe Options Hub 2014/2015."
)


def recon_day(year: int) -> pd.Timestamp:
    """The Russell reconstitution day of ``year`` (see the module docstring for the rule)."""
    fridays = [d for d in pd.date_range(f"{year}-06-01", f"{year}-06-30") if d.weekday() == 4]
    return fridays[3] if year >= RECON_FOURTH_FRIDAY_FROM else fridays[-1]


def month_returns(closes: pd.Series) -> pd.Series:
    """Calendar-month returns indexed by monthly Period; the first and any partial last month left out."""
    c = closes.dropna()
    per = c.index.to_period("M")
    ends = c.groupby(per).last()
    last_day = c.groupby(per).apply(lambda s: s.index[-1])
    complete = [last_day[p] >= expected_last_session(p) for p in ends.index]
    rets = ends / ends.shift(1) - 1.0
    return rets[np.array(complete)].iloc[1:] if len(rets) else rets


def month_table(sym: pd.Series, bench: pd.Series | None) -> pd.DataFrame:
    """Per calendar month: n, mean, median, hit rate; with a benchmark, the same for the difference."""
    r = month_returns(sym)
    rows = []
    rel = None
    if bench is not None:
        b = month_returns(bench)
        both = pd.concat({"s": r, "b": b}, axis=1, join="inner")
        rel = both["s"] - both["b"]
        r = both["s"]
    for m in range(1, 13):
        v = r[r.index.month == m]
        row = {"month": MONTHS[m - 1], "n": len(v), "mean": v.mean(), "median": v.median(), "hit_rate": (v > 0).mean()}
        if rel is not None:
            d = rel[rel.index.month == m]
            row.update({"rel_mean": d.mean(), "rel_median": d.median(), "rel_hit_rate": (d > 0).mean()})
        rows.append(row)
    return pd.DataFrame(rows)


def _last_on_or_before(idx: pd.DatetimeIndex, day: pd.Timestamp) -> int | None:
    pos = int(idx.searchsorted(day, side="right")) - 1
    return pos if pos >= 0 else None


def _last_before(idx: pd.DatetimeIndex, day: pd.Timestamp) -> int | None:
    pos = int(idx.searchsorted(day, side="left")) - 1
    return pos if pos >= 0 else None


def window_bounds(idx: pd.DatetimeIndex, name: str, year: int) -> tuple[int, int] | None:
    """Positions (base, end) of window ``name`` labelled ``year`` on the calendar ``idx``; None if not covered.

    A window counts only when a close exists before it starts and the data reaches its last day.
    """
    ts = pd.Timestamp
    if name == "turn of the year":
        base, end, last = _last_before(idx, ts(f"{year - 1}-12-15")), ts(f"{year}-01-31"), pd.Period(f"{year}-01", "M")
    elif name == "May-Oct":
        base, end, last = _last_on_or_before(idx, ts(f"{year}-04-30")), ts(f"{year}-10-31"), pd.Period(f"{year}-10", "M")
    elif name == "Nov-Apr":
        base, end, last = _last_on_or_before(idx, ts(f"{year - 1}-10-31")), ts(f"{year}-04-30"), pd.Period(f"{year}-04", "M")
    elif name == "rank day to reconstitution":
        base, end = _last_on_or_before(idx, ts(f"{year}-04-30")), recon_day(year)
        last = None
    elif name == "2 months after reconstitution":
        base, end, last = _last_on_or_before(idx, recon_day(year)), ts(f"{year}-08-31"), pd.Period(f"{year}-08", "M")
    else:
        raise ValueError(name)
    if base is None or len(idx) == 0:
        return None
    if base == len(idx) - 1 or idx[0] > idx[base] or (idx[base] < ts(f"{year - 1}-12-01") and name == "turn of the year"):
        return None
    need = expected_last_session(last) if last is not None else end
    if idx[-1] < need:
        return None
    if name == "2 months after reconstitution" and idx[base] != recon_day(year):
        return None  # no close on the reconstitution day itself (a holiday, or the data starts later)
    e = _last_on_or_before(idx, end)
    return (base, e) if e is not None and e > base else None


WINDOWS = ("turn of the year", "May-Oct", "Nov-Apr", "rank day to reconstitution", "2 months after reconstitution")


def window_years(closes: pd.Series, name: str) -> pd.DataFrame:
    """Per year: base date, end date, number of closes and the return of window ``name``."""
    c = closes.dropna()
    idx = c.index
    vals = c.to_numpy(dtype=float)
    rows = []
    if len(idx) == 0:
        return pd.DataFrame(columns=["year", "base", "end", "days", "return"])
    for year in range(idx[0].year, idx[-1].year + 2):
        b = window_bounds(idx, name, year)
        if b is None:
            continue
        i, j = b
        rows.append({"year": year, "base": idx[i], "end": idx[j], "days": j - i, "return": vals[j] / vals[i] - 1.0})
    return pd.DataFrame(rows, columns=["year", "base", "end", "days", "return"])


def permutation_pvalue(values: np.ndarray, bases: pd.DatetimeIndex, lengths: np.ndarray, observed: float,
                       seed: int, n_perm: int = N_PERM, index: pd.DatetimeIndex | None = None) -> float:
    """Two-sided permutation p-value of ``observed`` (the mean over years of a window's return).

    ``values``: the closes (or a relative wealth path) on calendar ``index``; for each year's window
    (its base date and its length in closes) a draw starts on a random trading day of the base's
    calendar year with enough closes after it.
    """
    v = np.asarray(values, dtype=float)
    idx = pd.DatetimeIndex(index)
    rng = np.random.default_rng(seed)
    draws = np.zeros(n_perm)
    for base, n in zip(bases, lengths, strict=True):
        year = pd.Timestamp(base).year
        lo = int(idx.searchsorted(pd.Timestamp(f"{year}-01-01")))
        hi = min(int(idx.searchsorted(pd.Timestamp(f"{year + 1}-01-01"))), len(v) - 1 - int(n))
        if hi <= lo:
            return math.nan
        starts = rng.integers(lo, hi, size=n_perm)
        draws += v[starts + int(n)] / v[starts] - 1.0
    draws /= len(bases)
    centre = draws.mean()
    extreme = np.abs(draws - centre) >= abs(observed - centre) - 1e-15
    return float((1 + extreme.sum()) / (1 + n_perm))


def benjamini_hochberg(p: list[float]) -> list[float]:
    """BH-adjusted p-values (step-up, monotone), NaN kept as NaN."""
    arr = np.asarray(p, dtype=float)
    ok = ~np.isnan(arr)
    out = np.full(arr.shape, np.nan)
    q = arr[ok]
    m = q.size
    if m == 0:
        return out.tolist()
    order = np.argsort(q)
    ranked = q[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out.tolist()


def relative_wealth(sym: pd.Series, bench: pd.Series) -> pd.Series:
    """Ratio of the two closes on common days: a window's change of it is (1+r_s)/(1+r_b) - 1."""
    both = pd.concat({"s": sym.dropna(), "b": bench.dropna()}, axis=1, join="inner")
    return both["s"] / both["b"]


def window_tests(sym: pd.Series, bench: pd.Series | None, seed: int, n_perm: int = N_PERM,
                 windows: tuple[str, ...] = WINDOWS) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Summary per window (and relative to the benchmark): n years, mean, median, hit rate, p, BH p.

    Relative windows use the return of the symbol minus the benchmark's over the same closes.
    Returns (summary, per-year tables keyed by window).
    """
    rows, per_year = [], {}
    both = None
    if bench is not None:
        both = pd.concat({"s": sym.dropna(), "b": bench.dropna()}, axis=1, join="inner")
    for k, name in enumerate(windows):
        base_series = both["s"] if both is not None else sym.dropna()
        yrs = window_years(base_series, name)
        if both is not None:
            b = both["b"].to_numpy(dtype=float)
            pos = both.index
            i = pos.get_indexer(yrs["base"])
            j = pos.get_indexer(yrs["end"])
            yrs["bench_return"] = b[j] / b[i] - 1.0 if len(yrs) else []
            yrs["difference"] = yrs["return"] - yrs["bench_return"]
        per_year[name] = yrs
        tests = [("return", base_series)]
        if both is not None:
            tests.append(("difference", None))
        for col, series in tests:
            v = yrs[col].to_numpy(dtype=float)
            obs = float(v.mean()) if v.size else math.nan
            if v.size == 0:
                p = math.nan
            elif col == "return":
                p = permutation_pvalue(series.to_numpy(), pd.DatetimeIndex(yrs["base"]), yrs["days"].to_numpy(), obs,
                                       seed + k, n_perm, index=series.index)
            else:
                p = _relative_pvalue(both, yrs, obs, seed + 100 + k, n_perm)
            rows.append({"window": name, "measure": "return" if col == "return" else "vs benchmark", "years": int(v.size),
                         "mean": obs, "median": float(np.median(v)) if v.size else math.nan,
                         "hit_rate": float((v > 0).mean()) if v.size else math.nan, "p_value": p})
    out = pd.DataFrame(rows)
    out["p_bh"] = benjamini_hochberg(out["p_value"].tolist()) if len(out) else []
    return out, per_year


def _relative_pvalue(both: pd.DataFrame, yrs: pd.DataFrame, observed: float, seed: int, n_perm: int) -> float:
    """Permutation p-value of the mean difference of window returns (symbol minus benchmark)."""
    s = both["s"].to_numpy(dtype=float)
    b = both["b"].to_numpy(dtype=float)
    idx = both.index
    rng = np.random.default_rng(seed)
    draws = np.zeros(n_perm)
    for base, n in zip(yrs["base"], yrs["days"], strict=True):
        year = pd.Timestamp(base).year
        lo = int(idx.searchsorted(pd.Timestamp(f"{year}-01-01")))
        hi = min(int(idx.searchsorted(pd.Timestamp(f"{year + 1}-01-01"))), len(s) - 1 - int(n))
        if hi <= lo:
            return math.nan
        st = rng.integers(lo, hi, size=n_perm)
        draws += (s[st + n] / s[st] - 1.0) - (b[st + n] / b[st] - 1.0)
    draws /= len(yrs)
    centre = draws.mean()
    return float((1 + (np.abs(draws - centre) >= abs(observed - centre) - 1e-15).sum()) / (1 + n_perm))
