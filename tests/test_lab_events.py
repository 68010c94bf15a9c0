"""r2k events: first cuts/hikes on a hand-made target, and every number against the raw CSVs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from r2k.reports import event_study as es
from r2k.reports import fed_events
from r2k.reports.lab import events_result
from tests.util import invoke, needs_real_data, one_line_error, real_data_dir

# --------------------------------------------------------------------------------------------
# event detection on a hand-made target


def _daily(start: str, end: str, steps: dict[str, float], first: float) -> pd.Series:
    idx = pd.date_range(start, end, freq="D")
    s = pd.Series(np.nan, index=idx)
    s.iloc[0] = first
    for d, v in steps.items():
        s[pd.Timestamp(d)] = v
    return s.ffill()


@pytest.fixture
def target():
    old = _daily("2006-01-02", "2008-12-15", {
        "2006-03-01": 5.25,  # a hike 2 months after the series starts: not a first hike (hold too short)
        "2007-09-18": 4.75,  # cut right after a hike -> first cut
        "2007-10-31": 4.50,  # cut after a cut: no
        "2008-01-15": 4.75,  # hike right after a cut -> first hike
        "2008-02-15": 4.50,  # cut one month after a hike -> first cut
        "2008-05-15": 4.25,  # cut 3 months after a cut (hold shorter than 6 months): no
    }, 5.0)
    # DFEDTAR would carry on past the switch in a bad merge; the range starts 2008-12-16
    old = pd.concat([old, pd.Series(4.25, index=pd.date_range("2008-12-16", "2008-12-31"))])
    upper = _daily("2008-12-16", "2018-12-31", {"2017-06-15": 0.50}, 0.25)
    upper = pd.concat([pd.Series(9.0, index=pd.date_range("2008-12-01", "2008-12-15")), upper])  # ignored before the switch
    return old, upper


def test_first_cuts_and_hikes_on_a_hand_made_target(target):
    rate = fed_events.policy_rate(*target)
    assert rate[pd.Timestamp("2008-12-15")] == 4.25 and rate[pd.Timestamp("2008-12-16")] == 0.25
    cuts = fed_events.first_moves(rate, "cut", hold_months=6)
    # the DFEDTAR -> DFEDTARU switch is a cut of 4 points on 2008-12-16, 7 months after the last change
    assert list(cuts["fred_date"]) == [pd.Timestamp(d) for d in ("2007-09-18", "2008-02-15", "2008-12-16")]
    assert cuts["change"].tolist() == pytest.approx([-0.5, -0.25, -4.0])
    assert "hike" in cuts["reason"].iloc[1] and "hold" in cuts["reason"].iloc[2]
    hikes = fed_events.first_moves(rate, "hike", hold_months=6)
    assert list(hikes["fred_date"]) == [pd.Timestamp("2008-01-15"), pd.Timestamp("2017-06-15")]
    # a longer --hold-months drops the switch cut (7 months of hold is no longer enough)
    cuts8 = fed_events.first_moves(rate, "cut", hold_months=8)
    assert list(cuts8["fred_date"]) == [pd.Timestamp("2007-09-18"), pd.Timestamp("2008-02-15")]


def test_announcement_dates_follow_the_stated_rule(target):
    assert fed_events.announcement_date(pd.Timestamp("1990-07-13")) is None  # not announced before 1994
    assert fed_events.announcement_date(pd.Timestamp("2008-12-16")) == pd.Timestamp("2008-12-16")
    assert fed_events.announcement_date(pd.Timestamp("2017-06-15")) == pd.Timestamp("2017-06-14")
    assert fed_events.announcement_date(pd.Timestamp("2020-03-16")) == pd.Timestamp("2020-03-15")  # a Sunday
    hikes = fed_events.first_moves(fed_events.policy_rate(*target), "hike")
    assert hikes["announced"].iloc[-1] == pd.Timestamp("2017-06-14")


# --------------------------------------------------------------------------------------------
# missing data on synthetic closes


def _closes(start: str, n: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, periods=n)
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))), index=idx)


def test_missing_data_is_blank_with_a_note_never_a_shorter_window():
    big = _closes("2020-01-01", 300, 1)
    late = _closes("2020-03-03", 200, 2)  # starts the day after the event
    res = events_result("dates", {"BIG": big, "LATE": late}, dates=[("e", pd.Timestamp("2020-03-02"))],
                        horizons=[5, 256, 257], pairs=[("LATE", "BIG")], n_boot=200)
    long = res.tables["returns"].set_index(["series", "horizon"])
    assert math.isnan(long.loc[("LATE", 5), "return"]) and "starts after the event" in long.loc[("LATE", 5), "note"]
    assert math.isnan(long.loc[("LATE-BIG", 5), "return"])
    pos = big.index.get_loc(pd.Timestamp("2020-03-02"))
    assert long.loc[("BIG", 5), "return"] == pytest.approx(big.iloc[pos + 5] / big.iloc[pos] - 1)
    assert pos + 256 == len(big) - 1  # the last close: still a full window; one more day is past the end
    assert long.loc[("BIG", 256), "return"] == pytest.approx(big.iloc[-1] / big.iloc[pos] - 1)
    assert math.isnan(long.loc[("BIG", 257), "return"]) and "past the end" in long.loc[("BIG", 257), "note"]
    assert any("LATE starts after the event" in n for n in res.notes)


def test_bootstrap_interval_matches_a_loop_and_says_no_conclusion():
    v = np.array([0.05, -0.02, 0.01, 0.03, -0.04])
    lo, hi = es.bootstrap_ci(v, seed=3, n_boot=500)
    rng = np.random.default_rng(3)
    draws = rng.integers(0, len(v), size=(500, len(v)))
    means = sorted(sum(v[k] for k in row) / len(v) for row in draws)
    assert lo == pytest.approx(np.quantile(means, 0.025)) and hi == pytest.approx(np.quantile(means, 0.975))
    s = es.summarize(pd.Series(v), seed=3, n_boot=500)
    assert s["verdict"].startswith("no conclusion") and s["hit_rate"] == pytest.approx(3 / 5)
    assert es.summarize(pd.Series([0.1, 0.12, 0.11, 0.09, 0.1]), seed=0, n_boot=500)["verdict"] == "above 0"
    # three positive values give a bootstrap interval above 0, but no verdict: too few events
    assert es.summarize(pd.Series([0.1, 0.12, 0.11]), seed=0, n_boot=500)["verdict"].startswith("too few")


# --------------------------------------------------------------------------------------------
# real data: every number against the raw CSVs


def _raw_closes(sym: str) -> pd.Series:
    df = pd.read_csv(real_data_dir() / "prices" / f"{sym.lstrip('^')}.csv", parse_dates=["date"]).set_index("date")
    return df["adj_close"].astype(float).dropna()


def _raw_fred(name: str) -> pd.Series:
    return pd.read_csv(real_data_dir() / "fred" / f"{name}.csv", parse_dates=["date"]).set_index("date")["value"]


def _first_cuts_by_hand(hold_months: int, want: int = -1) -> list[pd.Timestamp]:
    """Change days of DFEDTAR then DFEDTARU, scanned with a plain loop over (date, value) pairs."""
    old, up = _raw_fred("DFEDTAR").dropna(), _raw_fred("DFEDTARU").dropna()
    pairs = [(d, v) for d, v in old.items() if d <= pd.Timestamp("2008-12-15")] + list(up.items())
    moves = []  # (date, +1/-1)
    for (_d0, v0), (d1, v1) in zip(pairs, pairs[1:], strict=False):
        if v1 != v0:
            moves.append((d1, 1 if v1 > v0 else -1))
    out = []
    last_date, last_sign = pairs[0][0], 0
    for d, sgn in moves:
        long_hold = last_date + pd.DateOffset(months=hold_months) <= d
        if sgn == want and (last_sign == -want or long_hold):
            out.append(d)
        last_date, last_sign = d, sgn
    return out


@needs_real_data
def test_fed_cut_events_and_returns_match_the_raw_csvs(real_home):
    from r2k.data.store import Store
    from r2k.runner.lab import events

    res = events("fed-cuts", store=Store(real_home), offline=True, n_boot=500)
    ev = res.tables["events"]
    assert list(ev["fred_date"]) == _first_cuts_by_hand(6)
    byd = ev.set_index("event")
    # cycles since ^RUT: FRED and announcement dates where they differ
    assert byd.loc["2001-01-03", "announced"] == pd.Timestamp("2001-01-03")
    assert byd.loc["2019-08-01", "returns_from"] == pd.Timestamp("2019-07-31")
    assert byd.loc["2024-09-19", "returns_from"] == pd.Timestamp("2024-09-18")
    assert pd.isna(byd.loc["1989-06-06", "announced"])  # not announced before 1994
    # recession within 12 months, from the USREC file by hand
    usrec = _raw_fred("USREC")
    onsets = [d for d, prev, cur in zip(usrec.index[1:], usrec.values[:-1], usrec.values[1:], strict=True)
              if prev == 0 and cur == 1]
    for event, row in byd.iterrows():
        m0 = row["returns_from"].to_period("M")
        hit = [o for o in onsets if m0 <= o.to_period("M") <= m0 + 12]
        flag = row["recession_within_12m"]
        if hit:
            assert flag == f"yes ({hit[0].to_period('M')})", event
        elif m0 + 12 <= usrec.index[-1].to_period("M"):
            assert flag in ("no", "already in recession"), event
        else:
            assert flag.startswith("unknown"), event

    long = res.tables["returns"]
    raw = {s: _raw_closes(s) for s in ("IWM", "^RUT", "SPY", "^GSPC")}
    checked = 0
    for r in long.rename(columns={"return": "ret"}).itertuples():
        if r.series not in raw:  # a spread, checked below
            continue
        c = raw[r.series]
        day = byd.loc[r.event, "returns_from"]
        after = c[c.index >= day]
        if c.index[0] > day or len(after) <= r.horizon:
            assert math.isnan(r.ret) and r.note, (r.event, r.series, r.horizon)
            continue
        win = after.iloc[: r.horizon + 1]
        assert r.ret == pytest.approx(win.iloc[-1] / win.iloc[0] - 1, rel=1e-12), (r.event, r.series, r.horizon)
        assert r.max_drawdown == pytest.approx((win / win.cummax() - 1).min(), abs=1e-12)
        checked += 1
    assert checked > 150
    wide = long.pivot_table(index=["event", "horizon"], columns="series", values="return")
    for a, b in (("IWM", "SPY"), ("^RUT", "^GSPC")):
        diff = (wide[a] - wide[b]).dropna()
        assert wide[f"{a}-{b}"].dropna().to_numpy() == pytest.approx(diff.to_numpy(), abs=1e-12)
    # IWM (from 2000-05-26) is blank for the 1990s cuts, with a note, and past the end for 2025-09-17 + 252 days
    iwm = long[(long.series == "IWM")].set_index(["event", "horizon"])
    assert math.isnan(iwm.loc[("1998-09-29", 21), "return"]) and "starts after" in iwm.loc[("1998-09-29", 21), "note"]
    assert math.isnan(iwm.loc[("2025-09-18", 252), "return"]) and "past the end" in iwm.loc[("2025-09-18", 252), "note"]

    summ = res.tables["summary"].set_index(["horizon", "series"])
    # price indices are labelled as price returns, funds as total return, spreads as differences
    assert summ.loc[(21, "^RUT"), "basis"] == "price" and summ.loc[(21, "IWM"), "basis"] == "total return"
    assert summ.loc[(21, "^RUT-^GSPC"), "basis"] == "difference of price returns"
    for (h, s), grp in long.groupby(["horizon", "series"]):
        v = grp["return"].dropna()
        row = summ.loc[(h, s)]
        assert row["n"] == len(v)
        if len(v):
            assert row["mean"] == pytest.approx(v.sum() / len(v)) and row["median"] == pytest.approx(v.median())
            assert row["hit_rate"] == pytest.approx(sum(x > 0 for x in v) / len(v))
        if len(v) >= 5:
            assert (row["ci_low"] <= 0 <= row["ci_high"]) == row["verdict"].startswith("no conclusion")
        else:
            assert row["verdict"].startswith("too few events")


@needs_real_data
def test_fed_hike_events_match_the_raw_csvs(real_home):
    from r2k.data.store import Store
    from r2k.runner.lab import events

    res = events("fed-hikes", hold_months=9, horizons=[21], store=Store(real_home), offline=True, n_boot=100)
    got = list(res.tables["events"]["fred_date"])
    assert got == _first_cuts_by_hand(9, want=+1)
    assert pd.Timestamp("2015-12-16") in got and pd.Timestamp("2022-03-17") in got


@needs_real_data
def test_recession_returns_match_the_raw_csvs(real_home):
    from r2k.data.store import Store
    from r2k.runner.lab import events

    res = events("recessions", store=Store(real_home), offline=True, n_boot=200)
    recs = res.tables["recessions"]
    assert list(zip(recs.first_month, recs.final_month, strict=True)) == [
        ("1980-02", "1980-07"), ("1981-08", "1982-11"), ("1990-08", "1991-03"), ("2001-04", "2001-11"),
        ("2008-01", "2009-06"), ("2020-03", "2020-04")]
    long = res.tables["returns"].set_index(["recession", "period", "series"])
    c = _raw_closes("^RUT")
    base = c[c.index < "2008-01-01"].iloc[-1]
    end = c[c.index <= "2009-06-30"].iloc[-1]
    assert long.loc[("2008-01..2009-06", "during", "^RUT"), "return"] == pytest.approx(end / base - 1)
    after12 = c[c.index <= "2010-06-30"].iloc[-1]
    assert long.loc[("2008-01..2009-06", "12 months after", "^RUT"), "return"] == pytest.approx(after12 / end - 1)
    g = _raw_closes("^GSPC")
    gr = g[g.index <= "1991-03-31"].iloc[-1] / g[g.index < "1990-08-01"].iloc[-1] - 1
    rr = c[c.index <= "1991-03-31"].iloc[-1] / c[c.index < "1990-08-01"].iloc[-1] - 1
    assert long.loc[("1990-08..1991-03", "during", "^RUT-^GSPC"), "return"] == pytest.approx(rr - gr)
    # ^RUT starts 1987: the 1980 recession is blank with a note
    row = long.loc[("1980-02..1980-07", "during", "^RUT")]
    assert math.isnan(row["return"]) and "no close before" in row["note"]


def test_bad_dates_file_is_one_line(tmp_path):
    f = tmp_path / "d.txt"
    f.write_text("date\n2020-03-02\n2020-13-01\n")
    msg = one_line_error(invoke("events", "--dates", f, "--offline", "--out", tmp_path / "o"), 2)
    assert "line 3" in msg
    assert not (tmp_path / "o").exists()
    one_line_error(invoke("events", "--offline"), 2)


def test_refuses_to_replace_a_folder_r2k_did_not_write(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    msg = one_line_error(invoke("events", "fed-cuts", "--offline", "--out", mine), 2)
    assert "r2k did not write" in msg and (mine / "thesis.docx").exists()


def test_save_writes_every_file_atomically_and_can_replace_its_own(tmp_path):
    big = _closes("2020-01-01", 300, 1)
    res = events_result("dates", {"A": big, "B": big * 1.1}, dates=[("e", pd.Timestamp("2020-03-02"))], horizons=[5],
                        pairs=[("A", "B")], n_boot=100)
    out = res.save(tmp_path / "x")
    names = {p.name for p in out.iterdir()}
    assert {"events.csv", "returns.csv", "summary.csv", "result.json", "index.html", "events.png"} <= names
    res.save(tmp_path / "x")  # its own folder: replaced
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@needs_real_data
def test_cli_events_dates_on_real_data(real_home, tmp_path):
    f = tmp_path / "mine.txt"
    f.write_text("# my events\n2020-03-21,covid weekend\n2022-10-12\n")
    res = invoke("events", "--dates", f, "--horizons", "21", "--offline", "--home", real_home, "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    assert "covid weekend" in res.stdout and (tmp_path / "o" / "events.png").exists()
    ret = pd.read_csv(tmp_path / "o" / "returns.csv").set_index(["event", "series"])
    c = _raw_closes("^RUT")
    after = c[c.index >= "2020-03-21"]  # a Saturday: the base is Monday's close
    assert after.index[0] == pd.Timestamp("2020-03-23")
    assert ret.loc[("covid weekend", "^RUT"), "return"] == pytest.approx(after.iloc[21] / after.iloc[0] - 1)
