"""The decisions behind the compare page's charts, apart from drawing them (no SVG here).

- **Log scale** for growth when the balances span more than 10x (a line that grows 30-fold would
  flatten everything before its last decade on a linear axis); the page can switch either way.
- **Lines that coincide stay visible**: a series equal to an earlier one (within half a pixel
  everywhere, or exactly: the same values to 1e-9) is drawn dashed on top of it with a small
  vertical offset, and its legend entry says "same as ...", so no line silently hides another.
- **Nice ticks**: 1-2-5 steps on a linear axis, powers of ten (with 2x and 5x when the span is
  short) on a log axis, whole years (or every 2, 5, 10 years) on the date axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: the span of balances (max / min) above which growth opens on a log axis
LOG_SPAN = 10.0
#: relative tolerance under which two series are "the same" values
SAME = 1e-9
#: dash patterns given in turn to lines that lie on top of an earlier one (SVG stroke-dasharray)
DASHES = ("6 4", "2 3", "8 3 2 3", "1 4")
#: pixels a coinciding line is shifted by (per step), so the one underneath still shows
OFFSET_PX = 1.5


def span(values: list[np.ndarray]) -> float:
    """max / min over the positive finite values of every series (1.0 when there are none)."""
    pos = [v[np.isfinite(v) & (v > 0)] for v in values]
    pos = [p for p in pos if p.size]
    if not pos:
        return 1.0
    lo, hi = min(float(p.min()) for p in pos), max(float(p.max()) for p in pos)
    return hi / lo if lo > 0 else math.inf


def default_log(values: list[np.ndarray]) -> bool:
    """Whether growth opens on a log axis: the balances span more than ``LOG_SPAN``."""
    return span(values) > LOG_SPAN


@dataclass(frozen=True)
class Overlap:
    """How a series is drawn so that it stays visible: its dash (None: solid), pixel offset, and
    the earlier series it coincides with (None if it coincides with none)."""

    dash: str | None = None
    offset: float = 0.0
    same_as: int | None = None
    exact: bool = False


def overlaps(values: list[np.ndarray], pixel_tol: float | None = None) -> list[Overlap]:
    """One Overlap per series. A series coincides with the first earlier series that it equals
    exactly (relative ``SAME``) or, given ``pixel_tol`` (the value one half pixel is worth),
    that never differs from it by more than that. Each coinciding series gets the next dash and a
    growing offset; series on their own stay solid."""
    out: list[Overlap] = []
    stacked = 0
    for i, v in enumerate(values):
        found, exact = None, False
        for j in range(i):
            w = values[j]
            if w.shape != v.shape:
                continue
            both = np.isfinite(v) & np.isfinite(w)
            if not both.any() or (np.isfinite(v) != np.isfinite(w)).any():
                continue
            diff = np.abs(v[both] - w[both])
            scale = np.maximum(np.abs(w[both]), 1e-12)
            if (diff <= SAME * scale).all():
                found, exact = j, True
                break
            if pixel_tol is not None and (diff <= pixel_tol).all():
                found = j
                break
        if found is None:
            out.append(Overlap())
        else:
            stacked += 1
            out.append(Overlap(DASHES[(stacked - 1) % len(DASHES)], OFFSET_PX * stacked, found, exact))
    return out


def nice_step(raw: float) -> float:
    """The 1-2-5 step at or above ``raw``."""
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw * (1 - 1e-12):
            return m * mag
    return 10 * mag


def linear_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """About ``n`` ticks on 1-2-5 steps covering [lo, hi] (0 included when inside)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    step = nice_step((hi - lo) / max(n - 1, 1))
    first = math.floor(lo / step) * step
    ticks, t = [], first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten covering [lo, hi] (lo > 0), with 2x and 5x between them when that gives few ticks."""
    lo, hi = max(lo, 1e-12), max(hi, lo * 1.0001)
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    mults = (1, 2, 5) if b - a <= 4 else (1,)
    ticks = [m * 10.0 ** e for e in range(a, b + 1) for m in mults]
    inside = [t for t in ticks if lo * 0.999 <= t <= hi * 1.001]
    return inside if len(inside) >= 2 else [10.0 ** a, 10.0 ** b]


def year_ticks(first_year: int, last_year: int, max_ticks: int = 12) -> list[int]:
    """Every year, or every 2, 5, 10 ... years, so that at most ``max_ticks`` labels show."""
    years = last_year - first_year + 1
    for step in (1, 2, 5, 10, 20, 25, 50):
        if years / step <= max_ticks:
            break
    start = first_year + (-first_year) % step
    return list(range(start, last_year + 1, step))
