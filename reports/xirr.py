"""Money-weighted return (XIRR) of a ledger of dated cash flows.

Solved with numpy only (no scipy at run time): a log-spaced scan brackets a root of the NPV, then
bisection narrows it to machine precision. Bisection is slower than Newton but cannot diverge or
jump to a far root, which matters for ledgers with decades of flows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Rates searched: (1 + r) spans [1e-4, 1e6 + 1], i.e. -99.99 % to +100,000,000 % a year.
LOW_RATE = -0.9999
HIGH_RATE = 1e6
_SCAN_POINTS = 4001
_DAYS_PER_YEAR = 365.0


def _log_npv_sign(log_growth: float | np.ndarray, t: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Sign-preserving NPV at ``log(1 + r)`` values, rescaled so it never overflows.

    ``NPV = sum a_i exp(-t_i * g)``; dividing every term by the largest ``exp(-t_i * g)`` is a
    positive factor, so the sign (all that bracketing and bisection need) is unchanged.
    """
    g = np.atleast_1d(np.asarray(log_growth, dtype=float))
    expo = -np.outer(g, t)  # shape (len(g), len(t))
    expo -= expo.max(axis=1, keepdims=True)
    return np.exp(expo) @ a


def xirr(
    dates: Sequence | pd.Index | np.ndarray, amounts: Sequence[float] | np.ndarray
) -> float | None:
    """Annual money-weighted return ``r`` solving ``sum a_i (1 + r) ** (-t_i) = 0``.

    Convention: ``amounts`` are from the investor's point of view -- deposits negative, withdrawals
    and the final value positive (the opposite sign convention gives the same root). ``t_i`` is
    ``(date_i - first date).days / 365.0`` (Excel's XIRR convention). Flows on the same day are
    summed first. Rates are searched in ``(-0.9999, 1e6)``; if the NPV has several roots there
    (possible only when flows change sign more than once), the one closest to 0 is returned.

    Returns ``None`` when the NPV does not change sign in that range (e.g. all amounts have the
    same sign, or the ledger has a single date), because then no meaningful rate exists.
    Raises ``ValueError`` when ``dates`` and ``amounts`` differ in length or hold NaN.
    """
    day_index = pd.DatetimeIndex(pd.to_datetime(pd.Index(list(dates))))
    values = np.asarray(amounts, dtype=float).ravel()
    if len(day_index) != len(values):
        raise ValueError(f"xirr: {len(day_index)} dates but {len(values)} amounts")
    if len(values) == 0:
        return None
    if day_index.hasnans or not np.isfinite(values).all():
        raise ValueError("xirr: dates and amounts must not contain NaN")

    days = day_index.normalize()
    if days.tz is not None:
        days = days.tz_localize(None)
    flows = pd.Series(values, index=days).groupby(level=0).sum().sort_index()
    flows = flows[flows != 0.0]
    if len(flows) < 2:
        return None
    t = ((flows.index - flows.index[0]).days.to_numpy(dtype=float)) / _DAYS_PER_YEAR
    a = flows.to_numpy(dtype=float)

    # Scan log(1 + r) evenly (i.e. r log-spaced around -1) and include r = 0 exactly, so a ledger
    # that merely returns its deposits hits its root on the grid.
    lo_g, hi_g = np.log1p(LOW_RATE), np.log1p(HIGH_RATE)
    grid = np.union1d(np.linspace(lo_g, hi_g, _SCAN_POINTS), [0.0])
    # Chunked so a long ledger (thousands of daily flows) never builds a huge matrix.
    signs = np.concatenate(
        [np.sign(_log_npv_sign(grid[i : i + 256], t, a)) for i in range(0, len(grid), 256)]
    )

    exact = np.flatnonzero(signs == 0)
    changes = np.flatnonzero(signs[:-1] * signs[1:] < 0)
    candidates: list[tuple[float, float]] = [(grid[i], grid[i]) for i in exact]
    candidates += [(grid[i], grid[i + 1]) for i in changes]
    if not candidates:
        return None

    roots = [_bisect(lo, hi, t, a) for lo, hi in candidates]
    rates = [float(np.expm1(g)) for g in roots]
    return min(rates, key=abs)


def _bisect(lo: float, hi: float, t: np.ndarray, a: np.ndarray) -> float:
    """Bisection on ``g = log(1 + r)`` until the bracket stops shrinking (~1e-16 relative)."""
    if lo == hi:
        return lo
    f_lo = _log_npv_sign(lo, t, a)[0]
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        f_mid = _log_npv_sign(mid, t, a)[0]
        if f_mid == 0.0:
            return mid
        if np.sign(f_mid) == np.sign(f_lo):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def xirr_many(t: np.ndarray, amounts: np.ndarray, max_iter: int = 100) -> np.ndarray:
    """XIRR of many ledgers on the same dates at once: one rate per row of ``amounts``.

    ``t`` (K,) or (P, K) is in years (``days / 365``, as :func:`xirr`; any origin, since shifting
    every time multiplies the NPV by a positive factor); ``amounts`` (P, K) uses :func:`xirr`'s
    signs (deposits negative, the final value positive). Used where a
    scalar solve per ledger is too slow (every window of ``r2k windows``, every path of
    ``r2k simulate``). Each row is solved by Newton's method on ``g = log(1 + r)`` kept inside a
    bisection bracket that shrinks with every step, so it cannot diverge; rows without a sign change
    of the NPV in :func:`xirr`'s range are NaN. For the ledgers these views build (deposits, then
    one final value; deposits change sign once) the root is unique.
    """
    a = np.asarray(amounts, dtype=float)
    t = np.broadcast_to(np.asarray(t, dtype=float), a.shape)
    rows = a.shape[0]
    lo = np.full(rows, np.log1p(LOW_RATE))
    hi = np.full(rows, np.log1p(HIGH_RATE))

    def npv_rows(rows_: np.ndarray | slice, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tr = t[rows_]
        expo = -g[:, None] * tr
        expo -= expo.max(axis=1, keepdims=True)  # a positive factor per row: signs and f/f' unchanged
        aw = a[rows_] * np.exp(expo)
        return aw.sum(axis=1), -(aw * tr).sum(axis=1)

    def npv(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return npv_rows(slice(None), g)

    f_lo, _ = npv(lo)
    f_hi, _ = npv(hi)
    ok = np.sign(f_lo) * np.sign(f_hi) < 0
    # start near the root: money in grows to money out over the flow-weighted mean holding time
    pos, neg = np.clip(a, 0, None), np.clip(-a, 0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        held = (pos * t).sum(axis=1) / pos.sum(axis=1) - (neg * t).sum(axis=1) / neg.sum(axis=1)
        g = np.log(pos.sum(axis=1) / neg.sum(axis=1)) / np.abs(held)
    g = np.where(np.isfinite(g), np.clip(g, lo, hi), 0.0)
    active = np.flatnonzero(ok)
    for _ in range(max_iter):
        if not len(active):
            break
        ga, la, ha = g[active], lo[active], hi[active]
        f, fp = npv_rows(active, ga)
        same_as_lo = np.sign(f) == np.sign(f_lo[active])
        la = np.where(same_as_lo, ga, la)
        ha = np.where(same_as_lo, ha, ga)
        with np.errstate(divide="ignore", invalid="ignore"):
            nxt = ga - f / fp
        bad = ~np.isfinite(nxt) | (nxt <= la) | (nxt >= ha)
        nxt = np.where(f == 0.0, ga, np.where(bad, 0.5 * (la + ha), nxt))  # an exact root stays put
        done = (np.abs(nxt - ga) <= 1e-13 * np.maximum(1.0, np.abs(ga))) | (f == 0.0) | (np.abs(ha - la) <= 1e-15)
        g[active], lo[active], hi[active] = nxt, la, ha
        active = active[~done]
    return np.where(ok, np.expm1(g), np.nan)
