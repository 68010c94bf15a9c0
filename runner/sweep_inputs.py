"""Inputs of many windows of one sweep's settings from one load (a walk-forward's windows).

A walk-forward evaluates the same grid on some forty windows that differ only in their start and
end. Loading and aligning the data (``engine.load_inputs``) for each one repeats the same work on
overlapping days. Here the widest span is loaded once and each window's inputs are cut from it:
its calendar is the span's trading days inside the window's clipped range (the same clip,
``data.align.common_window``), each price frame is the span's frame on those days, and the cash
index is built for the window itself (it is normalised to the window's first day). The result is
what ``load_inputs`` gives for the window, value for value (tests/test_sweep_inputs.py), except
the price basis (its wording for a run's summary; a batch reports metrics only); a window
where it might not be (a symbol without a bar on the window's first day: alone, its own load
would refuse it or carry a price across the start) is loaded on its own.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from r2k.data.align import common_window
from r2k.data.cash import RATE_SERIES, cash_index
from r2k.data.errors import R2KError
from r2k.data.symbols import CASH
from r2k.runner.spec import RunSpec


def span_of(specs: list[RunSpec]) -> tuple[str | None, str | None]:
    """The widest (start, end) of ``specs`` (None: the data's own start or end)."""
    starts, ends = [s.start for s in specs], [s.end for s in specs]
    return (None if None in starts else min(starts)), (None if None in ends else max(ends))


def window_inputs(span, spec: RunSpec, traded: list[str], load: Callable[[], object]):
    """The inputs of ``spec``'s window cut from ``span`` (the inputs of a span covering it), or
    ``load()`` (the window's own load) where a cut might differ."""
    priced = [a for a in traded if a != CASH]
    bench = spec.benchmark
    named = priced + ([bench] if bench else [])
    if not priced:
        return load()
    frames = {s: span.stored[s].data for s in named}
    start = pd.Timestamp(spec.start) if spec.start else None
    end = pd.Timestamp(spec.end) if spec.end else None
    try:
        window = common_window(frames, start, end)
    except R2KError:
        return load()  # the window's own load says what is wrong, as it always did
    full = span.calendar
    if window.start < full[0] or window.end > full[-1]:
        return load()
    calendar = pd.DatetimeIndex(full[(full >= window.start) & (full <= window.end)], name="date")
    if len(calendar) < 2 or any(calendar[0] not in frames[s].index for s in priced):
        return load()  # the window's own load raises, or would not carry a price from before its start
    ohlc = {s: span.ohlc[s].loc[calendar[0]:calendar[-1]] for s in priced}
    if CASH in traded:
        ohlc[CASH] = cash_index(span.stored_series[RATE_SERIES].data, calendar)
    # no price basis: a batch reports metrics only (a run's summary, which states the basis, loads on its own)
    return type(span)(calendar, ohlc, span.stored, span.stored_series, None)
