"""CPI's publication lag (issue 13, point 3): month M's CPI is known on the 15th of M+1, not the day after.

Tamper test: rewriting every CPI observation not yet published on day t never changes a decision
on or before t, in both forms a rule can read (View per date, History vectorized); rewriting
one that *was* published does (so the test can fail).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from r2k.strategies.base import AllocationRule, Target
from r2k.strategies.history import History
from r2k.strategies.view import View
from tests.util import needs_real_data, real_data_dir


class CpiWatcher(AllocationRule):
    """Holds XLF while the latest published CPI is up less than 3 % on a year, else XLV; the label
    names the latest CPI month it saw and its value, so any change in what it sees shows."""

    name = "cpi-watcher"
    schedule = "month"
    params = {}

    def assets(self):
        return ["XLF", "XLV"]

    def series(self):
        return ["CPIAUCSL"]

    def target(self, view):
        cpi = view.series("CPIAUCSL").dropna()
        if len(cpi) < 13:
            return Target({"XLF": 1.0}, "too short")
        yoy = cpi.iloc[-1] / cpi.iloc[-13] - 1.0
        return Target({"XLV" if yoy >= 0.03 else "XLF": 1.0}, f"{cpi.index[-1]:%Y-%m} {cpi.iloc[-1]:.3f}")


def _cpi() -> pd.Series:
    raw = pd.read_csv(real_data_dir() / "fred" / "CPIAUCSL.csv", index_col="date", parse_dates=True)["value"]
    return raw.rename("CPIAUCSL")


#: BLS's shutdown-delayed CPI releases (bls.gov release calendar), written here, not imported
SHUTDOWN_RELEASES = {(2013, 9): dt.date(2013, 10, 30), (2013, 10): dt.date(2013, 11, 20),
                     (2025, 9): dt.date(2025, 10, 24), (2025, 11): dt.date(2025, 12, 18)}


def _release(month_start: pd.Timestamp) -> dt.date:
    """The 15th of the next month, or the Monday after when it falls on a weekend (written here, not
    imported); the real day for the shutdown-delayed releases."""
    if (month_start.year, month_start.month) in SHUTDOWN_RELEASES:
        return SHUTDOWN_RELEASES[(month_start.year, month_start.month)]
    y, m = (month_start.year + 1, 1) if month_start.month == 12 else (month_start.year, month_start.month + 1)
    d = dt.date(y, m, 15)
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


CAL = pd.bdate_range("2018-01-02", "2026-08-21")


def test_shutdown_delayed_releases_are_not_known_on_the_15th():
    """September 2025's CPI came out on 2025-10-24 and November's on 2025-12-18 (2013: Oct 30, Nov 20):
    a strategy on the 15th-17th of those months must still see the month before."""
    from r2k.data.align import known_asof

    cpi = _cpi()
    days = pd.DatetimeIndex(["2025-10-15", "2025-10-23", "2025-10-24", "2025-12-15", "2025-12-17", "2025-12-18"])
    got = known_asof(cpi, days, "CPIAUCSL")
    want = [cpi[f"{m}-01"] for m in ("2025-08", "2025-08", "2025-09", "2025-09", "2025-09", "2025-11")]
    assert got.tolist() == want


def _decisions(cpi: pd.Series) -> dict:
    from r2k.runner.schedule import decision_dates

    rule = CpiWatcher()
    closes = {"XLF": pd.Series(1.0, index=CAL), "XLV": pd.Series(1.0, index=CAL)}
    dates = decision_dates(CAL, rule.schedule)
    view = View.build(closes, {"CPIAUCSL": cpi}, 1, dates)
    return {d: (t.weights, t.label) for d in dates for t in [rule.target(view.at(d))]}


def test_cpi_is_known_on_the_15th_of_the_next_month():
    from r2k.data.align import published_dates

    months = pd.DatetimeIndex(["2024-01-01", "2024-02-01", "2024-07-01", "2023-11-01"])
    got = published_dates("CPIAUCSL", months)
    # Feb 15 2024 Thu; Mar 15 2024 Fri; Aug 15 2024 Thu; Dec 15 2023 Fri
    assert list(got.strftime("%Y-%m-%d")) == ["2024-02-15", "2024-03-15", "2024-08-15", "2023-12-15"]
    sunday = published_dates("CPIAUCSL", pd.DatetimeIndex(["2024-08-01"]))  # Sep 15 2024 is a Sunday
    assert f"{sunday[0]:%Y-%m-%d}" == "2024-09-16"
    daily = published_dates("DFF", pd.DatetimeIndex(["2024-03-15"]))  # a Friday: known Monday
    assert f"{daily[0]:%Y-%m-%d}" == "2024-03-18"


@needs_real_data
def test_tampering_with_unpublished_cpi_never_changes_a_decision():
    cpi = _cpi()
    base = _decisions(cpi)
    rng = np.random.default_rng(13)
    days = sorted(rng.choice(np.array(list(base)), size=6, replace=False))
    for t in days:
        unpublished = np.array([_release(m) > t.date() for m in cpi.index])
        tampered = cpi.copy()
        tampered[unpublished] *= 1.5  # every month not yet released on t
        after = _decisions(tampered)
        for d in base:
            if d <= t:
                assert after[d] == base[d], (t, d)
        # the same rewrite one month earlier (that month was published by t) is seen on t
        seen = cpi.copy()
        last_published = np.flatnonzero(~unpublished)[-1]
        seen.iloc[last_published] *= 1.5
        assert _decisions(seen)[t] != base[t]


@needs_real_data
def test_history_form_sees_the_same_cpi_as_the_view():
    from r2k.runner.schedule import decision_dates

    cpi = _cpi()
    dates = decision_dates(CAL, "month")
    closes = {"SPY": pd.Series(1.0, index=CAL)}
    history = History.build(dates, closes, {"CPIAUCSL": cpi}, 1)
    view = View.build(closes, {"CPIAUCSL": cpi}, 1, dates)
    for i, d in enumerate(dates):
        known = history.series_known("CPIAUCSL", i)
        assert known.index.equals(view.at(d).series("CPIAUCSL").index)
        expected = [m for m in cpi.index if _release(m) <= d.date()]
        assert known.index[-1] == expected[-1]


@needs_real_data
def test_a_rule_reading_cpi_in_a_run_sees_months_as_released_with_the_2025_10_gap(real_home, monkeypatch):
    import r2k.runner as r2k

    monkeypatch.setenv("R2K_HOME", str(real_home))
    res = r2k.run(CpiWatcher, start="2025-06-01", end="2026-08-21", benchmark="none", engine="vector", offline=True)
    seen = dict(zip(res.decisions["date"], res.decisions["label"].str[:7], strict=True))
    cpi = _cpi()
    for date, month in seen.items():
        day = dt.date.fromisoformat(date)
        expected = max(m for m in cpi.index if _release(m) <= day)
        assert month == f"{expected:%Y-%m}", date
    # no October 2025 index exists: on 2025-12-01 the latest is September's, from 2025-12-15 November's
    assert seen["2025-12-01"] == "2025-09" and seen["2026-01-02"] == "2025-11"
    assert "2025-10" not in seen.values()


@pytest.mark.parametrize("series_id", ["CPIAUCSL", "CPIAUCNS"])
def test_known_asof_uses_the_series_own_lag(series_id):
    from r2k.data.align import known_asof

    s = pd.Series([100.0, 101.0, 102.0], index=pd.DatetimeIndex(["2024-01-01", "2024-02-01", "2024-03-01"]))
    cal = pd.DatetimeIndex(["2024-02-14", "2024-02-15", "2024-03-14", "2024-03-15", "2024-04-15"])
    got = known_asof(s, cal, series_id)
    assert got.iloc[0] != got.iloc[0]  # NaN: January's CPI is not out before Feb 15
    assert list(got.iloc[1:]) == [100.0, 100.0, 101.0, 102.0]
