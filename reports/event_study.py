"""Returns of symbols after events (Fed first cuts, hikes, the user's dates) and through recessions.

A window's return is ``close[end] / close[base] - 1`` from closes (``adj_close``: total return for
funds, the level for a price index such as ^RUT or ^GSPC, i.e. a *price* return). Its max drawdown
is the worst fall from a running peak of the closes base..end, the base included. A window a
symbol's data does not fully cover (the symbol starts after the base, or the end lies past its
last close) is left blank with a note: never a number computed on a shorter window.

After an event the base is the close of the event day (the first close at or after it) and a
horizon of ``h`` trading days ends ``h`` closes later on that symbol's own calendar. A recession
runs from the last close before its first month to the last close of its final month; "6 months
after" from there to the last close of the sixth month after the final one.

Per horizon and series, the summary over events is: n, mean, median, hit rate (share of windows
above 0) and a percentile bootstrap 95 % interval for the mean (resampling events with
replacement, seeded). An interval that contains 0 means the data cannot tell the sign; with fewer
than MIN_EVENTS events no verdict is given at all (a percentile bootstrap of 3 values is no
interval worth the name).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from r2k.reports.tables import expected_last_session, is_index

N_BOOT = 10_000
CI_LEVEL = 0.95
#: below this many events a bootstrap interval of the mean is too unreliable to call a sign
MIN_EVENTS = 5


def basis(symbol: str, other: str | None = None) -> str:
    """What a return is: ``price`` (an index), ``total return`` (a fund); with ``other``, their difference."""
    one = "price" if is_index(symbol) else "total return"
    if other is None:
        return one
    two = basis(other)
    if one != two:
        return f"{one} minus {two}"
    return "difference of total returns" if one == "total return" else f"difference of {one} returns"


def price_label(symbol: str) -> str:
    """``^RUT (price)`` for a price index, the ticker for a fund (total return)."""
    return f"{symbol} (price)" if is_index(symbol) else symbol


def window_after(closes: pd.Series, day: pd.Timestamp, h: int) -> tuple[float | None, float | None, pd.Timestamp | None, str]:
    """(return, max drawdown, end date, note) of ``h`` closes after the close of ``day``."""
    c = closes.dropna()
    if c.empty or c.index[0] > day:
        first = "no data" if c.empty else f"data start {c.index[0]:%Y-%m-%d}"
        return None, None, None, f"starts after the event ({first})"
    pos = int(c.index.searchsorted(day, side="left"))
    if pos + h >= len(c):
        return None, None, None, f"horizon past the end of the data (last close {c.index[-1]:%Y-%m-%d})"
    return _stats(c.iloc[pos:pos + h + 1])


def _stats(path: pd.Series) -> tuple[float, float, pd.Timestamp, str]:
    vals = path.to_numpy(dtype=float)
    dd = float(np.min(vals / np.maximum.accumulate(vals) - 1.0))
    return float(vals[-1] / vals[0] - 1.0), min(dd, 0.0), path.index[-1], ""


def window_months(closes: pd.Series, base_before: pd.Timestamp, end_month: pd.Period) -> tuple[float | None, float | None,
                                                                                               pd.Timestamp | None, str]:
    """(return, max DD, end date, note) from the last close before ``base_before`` to the last close of ``end_month``."""
    c = closes.dropna()
    before = c.index[c.index < base_before]
    if len(before) == 0:
        start = "no data" if c.empty else f"data start {c.index[0]:%Y-%m-%d}"
        return None, None, None, f"no close before {base_before:%Y-%m-%d} ({start})"
    if c.index[-1] < expected_last_session(end_month):
        return None, None, None, f"{end_month} is past the end of the data (last close {c.index[-1]:%Y-%m-%d})"
    end = c.index[c.index <= end_month.end_time][-1]
    return _stats(c.loc[before[-1]:end])


def bootstrap_ci(values: np.ndarray, seed: int, n_boot: int = N_BOOT, level: float = CI_LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean of ``values`` (NaN, NaN for fewer than 2 values)."""
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)
    a = (1.0 - level) / 2.0
    return float(np.quantile(means, a)), float(np.quantile(means, 1.0 - a))


def summarize(values: pd.Series, seed: int, n_boot: int = N_BOOT) -> dict:
    """n, mean, median, hit rate, bootstrap interval and a verdict for one series' windows."""
    v = values.dropna().to_numpy(dtype=float)
    lo, hi = bootstrap_ci(v, seed, n_boot)
    if v.size < MIN_EVENTS:
        verdict = f"too few events (n < {MIN_EVENTS})"
    elif lo <= 0.0 <= hi:
        verdict = "no conclusion (interval contains 0)"
    else:
        verdict = "above 0" if lo > 0 else "below 0"
    return {"n": int(v.size), "mean": float(v.mean()) if v.size else math.nan,
            "median": float(np.median(v)) if v.size else math.nan,
            "hit_rate": float((v > 0).mean()) if v.size else math.nan, "ci_low": lo, "ci_high": hi, "verdict": verdict}


def spread_names(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{a}-{b}" for a, b in pairs]


def event_returns(closes: dict[str, pd.Series], starts: pd.Series, horizons: list[int],
                  pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Long table: one row per (event, horizon, series) with return, max drawdown, end date and note.

    ``starts``: event label -> the day whose close is the base. Series are the symbols, then each
    small-minus-large pair (the difference of the two windows' returns; blank if either is).
    """
    rows = []
    for event, day in starts.items():
        for h in horizons:
            got = {}
            for sym, c in closes.items():
                ret, dd, end, note = window_after(c, pd.Timestamp(day), h)
                got[sym] = ret
                rows.append({"event": event, "horizon": h, "series": sym, "basis": basis(sym), "return": ret,
                             "max_drawdown": dd, "end": end, "note": note})
            for (a, b), name in zip(pairs, spread_names(pairs), strict=True):
                ok = got.get(a) is not None and got.get(b) is not None
                rows.append({"event": event, "horizon": h, "series": name, "basis": basis(a, b),
                             "return": got[a] - got[b] if ok else None, "max_drawdown": None, "end": None,
                             "note": "" if ok else f"blank: {a} or {b} is blank"})
    out = pd.DataFrame(rows, columns=["event", "horizon", "series", "basis", "return", "max_drawdown", "end", "note"])
    return out.astype({"return": float, "max_drawdown": float})


def summary_table(long: pd.DataFrame, key: str, seed: int, n_boot: int = N_BOOT) -> pd.DataFrame:
    """Per ``key`` (horizon or period) and series: :func:`summarize` over the events."""
    rows = []
    for (k, series), grp in long.groupby([key, "series"], sort=False):
        rows.append({key: k, "series": series, "basis": grp["basis"].iloc[0], **summarize(grp["return"], seed, n_boot)})
    return pd.DataFrame(rows)


def recession_returns(closes: dict[str, pd.Series], recs: pd.DataFrame, pairs: list[tuple[str, str]],
                      after_months: tuple[int, ...] = (6, 12)) -> pd.DataFrame:
    """Long table: one row per (recession, period, series): during, and ``after_months`` after its end."""
    rows = []
    for rec in recs.itertuples():
        label = f"{rec.first_month}..{rec.final_month}"
        periods = [("during", rec.first_month.start_time, rec.final_month)]
        periods += [(f"{m} months after", (rec.final_month + 1).start_time, rec.final_month + m) for m in after_months]
        for period, base_before, end_month in periods:
            got = {}
            for sym, c in closes.items():
                if rec.ongoing:
                    ret, dd, end, note = None, None, None, "recession still open at the end of USREC"
                else:
                    ret, dd, end, note = window_months(c, base_before, end_month)
                got[sym] = ret
                rows.append({"recession": label, "period": period, "series": sym, "basis": basis(sym), "return": ret,
                             "max_drawdown": dd, "end": end, "note": note})
            for (a, b), name in zip(pairs, spread_names(pairs), strict=True):
                ok = got.get(a) is not None and got.get(b) is not None
                rows.append({"recession": label, "period": period, "series": name, "basis": basis(a, b),
                             "return": got[a] - got[b] if ok else None, "max_drawdown": None, "end": None,
                             "note": "" if ok else f"blank: {a} or {b} is blank"})
    out = pd.DataFrame(rows, columns=["recession", "period", "series", "basis", "return", "max_drawdown", "end", "note"])
    return out.astype({"return": float, "max_drawdown": float})


def event_paths(closes: pd.Series, starts: pd.Series, days: int) -> pd.DataFrame:
    """Growth of $1 minus 1 over the ``days`` closes after each event's base (columns = events).

    A path stops where the data stops; a symbol that starts after an event has no column for it.
    """
    c = closes.dropna()
    cols = {}
    for event, day in starts.items():
        day = pd.Timestamp(day)
        if c.empty or c.index[0] > day:
            continue
        pos = int(c.index.searchsorted(day, side="left"))
        seg = c.iloc[pos:pos + days + 1].to_numpy(dtype=float)
        if seg.size:
            cols[event] = pd.Series(seg / seg[0] - 1.0)
    return pd.DataFrame(cols).reindex(range(days + 1))
