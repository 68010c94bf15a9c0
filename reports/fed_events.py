"""Fed easing and tightening cycles from the fed funds target, and the FOMC announcement dates.

The target is DFEDTAR (single value, 1982-09-27..2008-12-15), then the upper bound DFEDTARU of
the range from 2008-12-16 (``policy_rate``). A *change* is any day the target differs from the
previous observation. A **first cut** is a cut whose previous change was a hike, or that comes
after a hold (no change) of at least ``hold_months``; a **first hike** is the mirror image. A
change with no earlier change in the series counts as after a hold when the series had already
run ``hold_months`` unchanged.

FRED dates the target on the day it takes *effect*. The rule for the FOMC announcement date,
derived from the FRED change dates themselves and the Fed's published practice:

* from March 2017 on, the Board's *Implementation Note* issued with each FOMC statement makes the
  new target range effective the day after the statement ("effective March 16, 2017" for the
  statement of March 15, 2017); every FRED change date since then is the calendar day after a
  decision (meetings end on Wednesdays, the FRED dates fall on Thursdays; the intermeeting cut
  announced Sunday 2020-03-15 is dated Monday 2020-03-16). Announcement = FRED date - 1 day.
* February 1994 to 2016: changes took effect on the day of the announcement (2015-12-16 liftoff,
  2008-12-16 range, 2001-09-17); announcement = FRED date.
* before 4 February 1994 the FOMC did not announce target changes; the market inferred them from
  the Desk's open market operations on the FRED date. There is no announcement date; returns
  start from the FRED date.

Sources: Board of Governors, FOMC statements and Implementation Notes
(federalreserve.gov/monetarypolicy/fomccalendars.htm); FRED series notes for DFEDTAR/DFEDTARU.
Returns start at the close of the announcement day (the first close at or after it when it is not
a trading day), so the day's own reaction to a 2 p.m. statement is in the window only when the
announcement came before the close.
"""

from __future__ import annotations

import pandas as pd

#: first FRED change date whose effect came the day after the FOMC statement (Implementation Notes)
NEXT_DAY_EFFECTIVE_FROM = pd.Timestamp("2017-03-01")
#: the FOMC's first public announcement of a target change
FIRST_ANNOUNCED = pd.Timestamp("1994-02-04")
#: DFEDTAR ends 2008-12-15; the range (DFEDTARU/DFEDTARL) starts the next day
RANGE_START = pd.Timestamp("2008-12-16")

ANNOUNCEMENT_RULE = (
    "FOMC announcement date: FRED dates the target on its effective day. From March 2017 the Fed's "
    "Implementation Notes make a change effective the day after the statement (announcement = FRED date - 1 "
    "calendar day); Feb 1994-2016 changes took effect on the announcement day (same date); before 1994-02-04 "
    "the FOMC did not announce changes (no announcement date; the FRED date is used). Source: FOMC statements "
    "and Implementation Notes, federalreserve.gov; FRED DFEDTAR/DFEDTARU notes."
)


def policy_rate(target_old: pd.Series, target_upper: pd.Series) -> pd.Series:
    """DFEDTAR through 2008-12-15, then DFEDTARU (the upper bound) from 2008-12-16."""
    old = target_old.dropna().sort_index()
    new = target_upper.dropna().sort_index()
    rate = pd.concat([old[old.index < RANGE_START], new[new.index >= RANGE_START]]).astype(float)
    rate.name = "target"
    return rate


def announcement_date(fred_date: pd.Timestamp) -> pd.Timestamp | None:
    """The FOMC announcement date of a target change FRED dates ``fred_date`` (None before 1994)."""
    d = pd.Timestamp(fred_date)
    if d < FIRST_ANNOUNCED:
        return None
    if d >= NEXT_DAY_EFFECTIVE_FROM:
        return d - pd.Timedelta(days=1)
    return d


def changes(rate: pd.Series, tol: float = 1e-9) -> pd.DataFrame:
    """Every change of the target: date, rate before and after, the move in percentage points."""
    r = rate.dropna().sort_index().astype(float)
    move = r.diff()
    hit = move.abs() > tol
    out = pd.DataFrame({"before": r.shift(1)[hit], "after": r[hit], "change": move[hit]})
    out.index.name = "fred_date"
    return out


def first_moves(rate: pd.Series, kind: str, hold_months: int = 6) -> pd.DataFrame:
    """First cuts (``kind="cut"``) or first hikes (``"hike"``) of each cycle, with why each qualifies.

    Columns: fred_date, announced (NaT before 1994), before, after, change, previous_change (date,
    NaT if none), reason.
    """
    if kind not in ("cut", "hike"):
        raise ValueError(kind)
    r = rate.dropna().sort_index()
    ch = changes(r)
    sign = -1.0 if kind == "cut" else 1.0
    rows = []
    prev_date, prev_sign = r.index[0] if len(r) else None, 0.0  # the series start acts as "no change since"
    for d, row in ch.iterrows():
        s = 1.0 if row["change"] > 0 else -1.0
        if s == sign:
            held = prev_date is not None and prev_date + pd.DateOffset(months=hold_months) <= d
            reason = None
            if prev_sign == -sign:
                reason = f"previous change was a {'hike' if sign < 0 else 'cut'} ({prev_date:%Y-%m-%d})"
            elif held:
                months = (d.year - prev_date.year) * 12 + d.month - prev_date.month
                what = "series start" if prev_sign == 0 else f"last change {prev_date:%Y-%m-%d}"
                reason = f"after a hold of about {months} months ({what})"
            if reason:
                ann = announcement_date(d)
                rows.append({"fred_date": d, "announced": pd.NaT if ann is None else ann, "before": row["before"],
                             "after": row["after"], "change": row["change"],
                             "previous_change": pd.NaT if prev_sign == 0 else prev_date, "reason": reason})
        prev_date, prev_sign = d, s
    cols = ["fred_date", "announced", "before", "after", "change", "previous_change", "reason"]
    return pd.DataFrame(rows, columns=cols)


def recessions(usrec: pd.Series) -> pd.DataFrame:
    """NBER recessions from monthly USREC: first and final month (Periods); open-ended ones flagged.

    A recession whose first month is the first month of the file is left out (its start is unknown).
    """
    s = usrec.dropna().sort_index()
    s.index = pd.DatetimeIndex(s.index).to_period("M")
    s = s[~s.index.duplicated(keep="last")]
    rows = []
    vals = s.to_numpy()
    months = s.index
    i = 0
    while i < len(vals):
        if vals[i] == 1 and i > 0 and vals[i - 1] == 0:
            j = i
            while j + 1 < len(vals) and vals[j + 1] == 1:
                j += 1
            rows.append({"first_month": months[i], "final_month": months[j], "ongoing": j == len(vals) - 1})
            i = j + 1
        else:
            i += 1
    return pd.DataFrame(rows, columns=["first_month", "final_month", "ongoing"])


def recession_within(usrec: pd.Series, day: pd.Timestamp, months: int = 12) -> str:
    """Whether an NBER recession began in the month of ``day`` or the ``months`` after (hindsight)."""
    s = usrec.dropna().sort_index()
    s.index = pd.DatetimeIndex(s.index).to_period("M")
    m0 = pd.Timestamp(day).to_period("M")
    last = m0 + months
    if len(s) == 0 or m0 - 1 < s.index[0]:
        return "unknown (before USREC)"
    if s.get(m0 - 1, 0) == 1 and s.get(m0, 0) == 1:
        return "already in recession"
    for rec in recessions(usrec).itertuples():
        if m0 <= rec.first_month <= last:
            return f"yes ({rec.first_month})"
    if last > s.index[-1]:
        return f"unknown (USREC ends {s.index[-1]})"
    return "no"
