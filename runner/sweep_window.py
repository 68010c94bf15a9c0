"""The one window every combination of a sweep runs over.

A sweep whose combinations each ran over their own data's window ranks a fund with 15 years of
history against one with 30 as if they had faced the same markets. So, like ``compare``, a sweep
runs every combination over the common window of all the price data the grid reads (each
combination's traded symbols and signals, plus the benchmark), or over the explicit
``--start/--end``. A combination whose data cannot cover that window is a usage error naming the
symbol and its range; with ``--allow-shorter`` it runs on its own (shorter) window instead and is
reported apart, never ranked with the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from r2k.data.errors import UsageError


@dataclass(frozen=True)
class SweepWindow:
    """The sweep's window (first and last trading day), why it is that, and who falls short of it."""

    start: pd.Timestamp
    end: pd.Timestamp
    why: str
    #: combination index -> (its own start, its own end, the reason), only with --allow-shorter
    shorter: dict[int, tuple[pd.Timestamp, pd.Timestamp, str]] = field(default_factory=dict)

    def text(self) -> str:
        return f"{self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}"

    def to_dict(self) -> dict:
        return {"start": f"{self.start:%Y-%m-%d}", "end": f"{self.end:%Y-%m-%d}", "why": self.why,
                "shorter": len(self.shorter)}


def _fmt(day: pd.Timestamp) -> str:
    return f"{day:%Y-%m-%d}"


def sweep_window(needs: list[set[str]], ranges: dict[str, tuple[pd.Timestamp, pd.Timestamp]],
                 days: dict[str, pd.DatetimeIndex], *, start: str | None, end: str | None,
                 allow_shorter: bool = False) -> SweepWindow:
    """The window of a sweep whose combination ``i`` reads the price symbols ``needs[i]``.

    ``ranges`` holds each symbol's first and last day of data, ``days`` its trading days. Without
    ``start``/``end`` the window is the common range of every symbol; explicit dates are taken as
    they are (clipped only to where any data exists) and every combination must cover them.
    """
    symbols = sorted(set().union(*needs)) if needs else []
    if not symbols:
        raise UsageError("the grid reads no price data: give a --benchmark to define the trading calendar")
    firsts = {s: ranges[s][0] for s in symbols}
    lasts = {s: ranges[s][1] for s in symbols}
    late = max(symbols, key=lambda s: (firsts[s], s))
    early = min(symbols, key=lambda s: (lasts[s], s))
    lo = pd.Timestamp(start) if start else firsts[late]
    hi = pd.Timestamp(end) if end else lasts[early]
    lo, hi = max(lo, min(firsts.values())), min(hi, max(lasts.values()))
    union = None
    for s in symbols:
        d = days[s]
        part = d[(d >= lo) & (d <= hi)]
        union = part if union is None else union.union(part)
    if union is None or len(union) < 2:
        raise UsageError(f"the sweep window {_fmt(lo)}..{_fmt(hi)} holds fewer than two trading days")
    ws, we = pd.Timestamp(union[0]), pd.Timestamp(union[-1])
    # each end of the window is set by a flag or by the data; say which, for both ends
    starts = [s for s in symbols if firsts[s] == firsts[late]]
    ends = [s for s in symbols if lasts[s] == lasts[early]]
    by_start = ("the explicit --start" if start else
                f"{', '.join(starts)} data start{'s' if len(starts) == 1 else ''} {_fmt(firsts[late])}")
    by_end = ("the explicit --end" if end else
              f"{', '.join(ends)} data end{'s' if len(ends) == 1 else ''} {_fmt(lasts[early])}")
    if start and end:
        why = "the explicit --start and --end"
    else:
        why = f"common to all data the grid reads ({', '.join(symbols)}): {by_start}, {by_end}"
    shorter: dict[int, tuple[pd.Timestamp, pd.Timestamp, str]] = {}
    for i, need in enumerate(needs):
        short = sorted(s for s in need if firsts[s] > ws or lasts[s] < we)
        if not short:
            continue
        have = ", ".join(f"{s} data {_fmt(firsts[s])}..{_fmt(lasts[s])}" for s in short)
        reason = f"{have} does not cover the sweep window {_fmt(ws)}..{_fmt(we)}"
        if not allow_shorter:
            raise UsageError(f"{reason}: choose --start/--end inside it, drop it from the grid, "
                             "or pass --allow-shorter to run such combinations on their own window, apart")
        own_lo = max([ws] + [firsts[s] for s in need])
        own_hi = min([we] + [lasts[s] for s in need])
        if own_lo >= own_hi:
            raise UsageError(f"{reason}, and has no data inside it at all: drop it from the grid")
        shorter[i] = (own_lo, own_hi, reason)
    return SweepWindow(ws, we, why, shorter)
