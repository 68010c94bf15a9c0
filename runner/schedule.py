"""Calendar schedules: first trading day of each week, month, quarter or year."""

from __future__ import annotations

import pandas as pd

_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


def period_starts(calendar: pd.DatetimeIndex, every: str) -> pd.DatetimeIndex:
    """The first trading day of each period that the calendar touches.

    Holidays and weekends carry over to the next trading day, because only days in the calendar
    can be chosen. The calendar's first day always counts as a start (callers decide what the
    first bar means: decisions invest on it, contributions skip it).
    """
    if every == "day":
        return calendar
    if every == "once":
        return calendar[:1]
    periods = calendar.to_period(_FREQ[every])
    starts = calendar[~periods.duplicated()]
    return pd.DatetimeIndex(starts, name="date")


def decision_dates(calendar: pd.DatetimeIndex, schedule: str) -> pd.DatetimeIndex:
    """Dates a rule decides on: its schedule's period starts, plus the first bar (to invest)."""
    dates = period_starts(calendar, schedule)
    if len(dates) and len(calendar) and dates[0] == calendar[0]:
        return pd.DatetimeIndex(dates, name="date")  # the first bar is a period start already (the union's work, skipped)
    return pd.DatetimeIndex(calendar[:1].union(dates), name="date")


def contribution_dates(calendar: pd.DatetimeIndex, every: str) -> pd.DatetimeIndex:
    """Dates new cash arrives: each period start after the first bar (the initial cash covers it)."""
    starts = period_starts(calendar, every)
    return pd.DatetimeIndex(starts[starts > calendar[0]], name="date")
