"""The one date grammar of every command, the config files and the Python API.

A date is written ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (or given as a ``datetime.date``, or an
int year). A coarse date names a period and stands for its first day where a range starts and its
last day where a range ends: ``--start 2005 --end 2024`` is 2005-01-01..2024-12-31, ``--end 2025-09``
is 2025-09-30. An end period that contains today stands for today (``--end 2026`` in 2026 means
"through the latest data", not an error about the future). Tables that count months or years
(``r2k table monthly --end``, ``r2k table annual --start/--end``) take the same grammar and use the
month or year the day falls in.

Why here: start and end dates are parsed in one place so that ``--end 2024`` means the same in
``run``, ``compare``, ``table``, ``windows``, a TOML config and ``r2k.runner.run(end="2024")``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from r2k.data.errors import UsageError

GRAMMAR = "YYYY, YYYY-MM or YYYY-MM-DD"
_FORMS = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_day(value: str | int | dt.date | None, what: str, *, end: bool, today: dt.date | None = None) -> str | None:
    """``value`` as an ISO day (``YYYY-MM-DD``), or None for None / "".

    ``end``: a year or month stands for its last day (capped at ``today`` when the period holds
    today), else for its first. ``what`` names the setting in the error message
    (``bad end date '2020-13': use YYYY, YYYY-MM or YYYY-MM-DD``).
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    m = _FORMS.match(text)
    if not m:
        raise UsageError(f"bad {what} date {value!r}: use {GRAMMAR}")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if day is not None:
            return dt.date(year, int(month), int(day)).isoformat()
        if month is not None:
            first = dt.date(year, int(month), 1)
            last = first.replace(day=calendar.monthrange(year, first.month)[1])
        else:
            first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    except ValueError:
        raise UsageError(f"bad {what} date {value!r}: use {GRAMMAR}") from None
    if not end:
        return first.isoformat()
    today = today or dt.date.today()
    return (today if first <= today < last else last).isoformat()


def parse_range(start, end, *, today: dt.date | None = None) -> tuple[str | None, str | None]:
    """(start, end) as ISO days; a start after the end is a usage error."""
    a = parse_day(start, "start", end=False, today=today)
    b = parse_day(end, "end", end=True, today=today)
    if a is not None and b is not None and a > b:
        raise UsageError(f"start {a} is after end {b}")
    return a, b


def month_of(value, what: str, *, end: bool) -> str | None:
    """The month (``YYYY-MM``) a date in the grammar falls in (its first or last day, as for ``end``)."""
    day = parse_day(value, what, end=end)
    return None if day is None else day[:7]


def year_of(value, what: str, *, end: bool) -> int | None:
    """The calendar year a date in the grammar falls in."""
    day = parse_day(value, what, end=end)
    return None if day is None else int(day[:4])
