"""One compiled pass per run over a sweep's daily returns: the daily-basis part of
:func:`r2k.reports.metrics.summarize_many`.

The formulas are those of reports.metrics (its docstrings are the definitions); this only
computes them for many runs without materialising (runs x days) temporaries, which made the
array version memory-bound. ``summarize_many`` keeps the plain numpy path (monthly basis, a
daily rf series) and tests/test_batch.py holds both to ``summarize`` at 1e-12. numba is imported
here only, when a sweep asks for it.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def daily_stats(r, rf, ystarts, total, std, ex_mean, ex_std, down, depth, trough, peak, years):  # pragma: no cover
    """Per row j of ``r`` (runs x days): compounded total, std of r (ddof=1), mean/std (ddof=1) of
    ``r - rf``, downside deviation of ``r - rf``, the deepest drawdown of the wealth index with
    base 1.0 (depth, its trough and peak positions on that index) and each calendar year's
    compounded return (years start at positions ``ystarts``)."""
    k, n = r.shape
    ny = len(ystarts)
    for j in range(k):
        w = 1.0
        top = 1.0
        top_i = 0
        low = 0.0
        low_i = 0
        low_peak = 0
        s = 0.0
        se = 0.0
        y = 0
        yg = 1.0
        for i in range(n):
            x = r[j, i]
            if y + 1 < ny and i == ystarts[y + 1]:
                years[j, y] = yg - 1.0
                y += 1
                yg = 1.0
            yg *= 1.0 + x
            w *= 1.0 + x
            if w >= top:
                top = w
                top_i = i + 1
            dd = w / top - 1.0
            if dd < low:
                low = dd
                low_i = i + 1
                low_peak = top_i
            s += x
            se += x - rf[i]
        if ny:
            years[j, y] = yg - 1.0
        total[j] = w - 1.0
        depth[j] = low
        trough[j] = low_i
        peak[j] = low_peak
        m = s / n if n else np.nan
        me = se / n if n else np.nan
        v = 0.0
        ve = 0.0
        dn = 0.0
        for i in range(n):
            x = r[j, i]
            e = x - rf[i]
            v += (x - m) * (x - m)
            ve += (e - me) * (e - me)
            if e < 0.0:
                dn += e * e
        std[j] = np.sqrt(v / (n - 1)) if n >= 2 else np.nan
        ex_std[j] = np.sqrt(ve / (n - 1)) if n >= 2 else np.nan
        ex_mean[j] = me
        down[j] = np.sqrt(dn / n) if n else np.nan
