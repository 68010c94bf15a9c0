"""Rate regimes and recessions: the vectorised daily regime equals the rotation's regime_at, regime
returns agree with a recomputation by merge_asof on publication dates, the chart is drawn."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from r2k.data.align import PUBLICATION_LAG_BDAYS
from r2k.data.store import Meta, Store
from r2k.reports import regimes as R
from r2k.runner.cli import cli
from r2k.strategies.rotation import RateCutRotation, regime_at
from r2k.strategies.signals import policy_rate
from r2k.strategies.view import View
from tests.util import needs_real_data, real_data_dir

LOOKBACK = RateCutRotation.params["lookback_months"]
MIN_CHANGE = RateCutRotation.params["min_change"]


def stepped(start: str, end: str, steps: dict[str, float], first: float) -> pd.Series:
    """A daily (weekends included) target series that jumps to ``steps[date]`` on each date."""
    days = pd.date_range(start, end, freq="D")
    s = pd.Series(np.nan, index=days)
    s.iloc[0] = first
    for d, v in steps.items():
        s[pd.Timestamp(d)] = v
    return s.ffill()


#: cuts and hikes on weekdays and a Saturday, tiny moves that are not cuts, the 2008-12-16 switch to the range
OLD = stepped("2000-01-01", "2008-12-15", {
    "2001-01-03": 6.0, "2001-01-31": 5.5, "2001-06-27": 3.75, "2001-12-11": 1.75, "2002-11-06": 1.25,
    "2003-06-25": 1.0, "2004-06-30": 1.25, "2004-08-14": 1.5, "2005-03-22": 2.75, "2006-06-29": 5.25,
    "2006-09-01": 5.26, "2007-09-18": 4.75, "2008-04-30": 2.0, "2008-10-29": 1.0}, 6.5)
UPPER = stepped("2008-12-16", "2012-06-30", {"2010-05-05": 0.26, "2011-03-01": 0.25}, 0.25)


def rotation_regime(old: pd.Series, upper: pd.Series, day: pd.Timestamp) -> str:
    """Exactly what the rotation sees and decides on ``day``: its View slicing, policy_rate, regime_at."""
    view = View.build({}, {"DFEDTAR": old, "DFEDTARU": upper}, PUBLICATION_LAG_BDAYS).at(day)
    return regime_at(policy_rate(view.series("DFEDTAR"), view.series("DFEDTARU")), day, LOOKBACK, MIN_CHANGE)


def merge_asof_regimes(rate: pd.Series, days: pd.DatetimeIndex, lookback: int, min_change: float) -> pd.Series:
    """Independent: last cut and hike known each day by merge_asof on publication dates."""
    ev = pd.DataFrame({"obs": rate.index, "move": rate.diff().to_numpy()})
    ev["pub"] = ev["obs"] + pd.offsets.BDay(1)
    d = pd.DataFrame({"day": pd.DatetimeIndex(days).astype("datetime64[ns]")})
    for kind, sel in (("cut", ev["move"] <= -min_change), ("hike", ev["move"] >= min_change)):
        e = ev.loc[sel, ["pub", "obs"]].rename(columns={"obs": kind})
        e["pub"] = e["pub"].astype("datetime64[ns]")
        d = pd.merge_asof(d, e, left_on="day", right_on="pub", direction="backward").drop(columns="pub")
    horizon = d["day"].map(lambda x: x - pd.DateOffset(months=lookback))
    out = []
    for cut, hike, h in zip(d["cut"], d["hike"], horizon, strict=True):
        if pd.notna(cut) and cut > h and (pd.isna(hike) or hike < cut):
            out.append("easing")
        elif pd.notna(hike) and hike > h and (pd.isna(cut) or cut < hike):
            out.append("tightening")
        else:
            out.append("hold")
    return pd.Series(out, index=days)


def independent_stats(r: np.ndarray) -> tuple[float, float, float]:
    growth = np.cumprod(1 + r)
    peak = np.maximum(np.maximum.accumulate(growth), 1.0)
    return growth[-1] ** (252 / len(r)) - 1, np.std(r, ddof=1) * math.sqrt(252), min((growth / peak - 1).min(), 0.0)


def walk(days: pd.DatetimeIndex, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(50 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, len(days)))), index=days)


# --------------------------------------------------------------------------------------------
# the daily regime is the rotation's regime


def test_vectorised_regime_equals_regime_at_every_day():
    days = pd.bdate_range("2000-01-03", "2012-06-29")
    rate = policy_rate(OLD, UPPER)
    fast = R.daily_regimes(rate, days, LOOKBACK, MIN_CHANGE)
    slow = [rotation_regime(OLD, UPPER, d) for d in days[::2]]
    assert list(fast.iloc[::2]) == slow
    assert set(fast) == {"easing", "tightening", "hold"}
    # the publication lag: a Wednesday cut is known on Thursday; a Saturday hike on Monday
    assert fast["2001-01-03"] == "hold" and fast["2001-01-04"] == "easing"
    assert fast["2004-08-13"] == "tightening" and rotation_regime(OLD, UPPER, pd.Timestamp("2004-08-16")) == "tightening"
    # the 1.00 -> 0.25 switch to the range on 2008-12-16 is a cut known on 2008-12-17
    assert fast["2008-12-17"] == "easing" and fast["2009-06-16"] == "hold"
    # a 0.01 move is not a hike
    assert fast["2006-09-05"] == rotation_regime(OLD, UPPER, pd.Timestamp("2006-09-05"))


def test_vectorised_regime_equals_merge_asof_recomputation():
    days = pd.bdate_range("2000-01-03", "2012-06-29")
    rate = policy_rate(OLD, UPPER)
    for lookback in (1, 6, 12):
        fast = R.daily_regimes(rate, days, lookback, MIN_CHANGE)
        assert list(fast) == list(merge_asof_regimes(rate, days, lookback, MIN_CHANGE))


# --------------------------------------------------------------------------------------------
# regime returns


USREC = pd.Series(0.0, index=pd.date_range("1999-01-01", "2011-12-01", freq="MS"))
USREC.loc["2001-03-01":"2001-11-01"] = 1.0
USREC.loc["2008-01-01":"2009-06-01"] = 1.0


@pytest.fixture(scope="module")
def synthetic():
    days = pd.bdate_range("2001-01-02", "2011-12-30")
    closes = {"SMALL": walk(days, 1), "LARGE": walk(days, 2)}
    a = R.analyze(closes, policy_rate(OLD, UPPER), USREC, lookback_months=LOOKBACK, min_change=MIN_CHANGE)
    return closes, a, R.regime_table(a)


def test_regime_returns_recomputed_by_merge_asof(synthetic):
    closes, _, table = synthetic
    df = pd.DataFrame(closes)
    rets = df.pct_change().iloc[1:]
    label = merge_asof_regimes(policy_rate(OLD, UPPER), df.index, LOOKBACK, MIN_CHANGE)
    prev = label.shift(1).iloc[1:]  # the regime at the previous close
    rows = {r.label: [c.value for c in r.cells] for r in table.rows}
    for regime, name in (("easing", "Fed easing"), ("tightening", "Fed tightening"), ("hold", "Fed on hold")):
        mask = (prev == regime).to_numpy()
        got = rows[name]
        assert got[0] == mask.sum() > 50
        small = independent_stats(rets["SMALL"].to_numpy()[mask])
        large = independent_stats(rets["LARGE"].to_numpy()[mask])
        np.testing.assert_allclose(got[1:7], [*small, *large], rtol=0, atol=1e-12)
        assert got[7] == pytest.approx(small[0] - large[0], abs=1e-12)


def test_recession_rows_use_the_month_of_the_previous_close(synthetic):
    closes, a, table = synthetic
    df = pd.DataFrame(closes)
    rets = df.pct_change().iloc[1:]
    prev_day = pd.DataFrame({"prev": df.index[:-1].astype("datetime64[ns]")})
    m = pd.merge_asof(prev_day, USREC.rename("rec").rename_axis("month").reset_index().astype({"month": "datetime64[ns]"}),
                      left_on="prev", right_on="month")
    rec = m["rec"].to_numpy()
    rows = {r.label: [c.value for c in r.cells] for r in table.rows}
    for flag, name in ((1.0, "NBER recession"), (0.0, "NBER expansion")):
        mask = rec == flag
        assert rows[name][0] == mask.sum()
        np.testing.assert_allclose(rows[name][1:4], independent_stats(rets["SMALL"].to_numpy()[mask]), atol=1e-12)
    # USREC ends the recession with November 2001: the return of Mon 2001-12-03 started at the close of
    # Fri 2001-11-30 (a recession month), so it is a recession day; Tuesday's return is not
    assert a.recession["2001-11-30"] == 1.0 and a.recession["2001-12-03"] == 0.0
    assert a.recession_for_return["2001-12-03"] == 1.0 and a.recession_for_return["2001-12-04"] == 0.0
    assert a.recession_for_return["2001-03-01"] == 0.0 and a.recession_for_return["2001-03-02"] == 1.0


def test_day_return_belongs_to_regime_at_previous_close(synthetic):
    _, a, _ = synthetic
    # the hike of Wed 2004-06-30 is known on Thu 2004-07-01; Thursday's return started under "hold"
    assert a.fed["2004-06-30"] == "hold" and a.fed["2004-07-01"] == "tightening"
    assert a.fed_for_return["2004-07-01"] == "hold" and a.fed_for_return["2004-07-02"] == "tightening"


def test_days_outside_rule_coverage_are_excluded():
    days = pd.bdate_range("2000-01-03", "2001-12-31")
    a = R.analyze({"X": walk(days, 3)}, policy_rate(OLD, UPPER), USREC, lookback_months=6, min_change=MIN_CHANGE)
    lo, _ = a.coverage
    assert lo == pd.Timestamp("2000-01-03") + pd.DateOffset(months=6)
    assert a.fed[a.fed.index < lo].isna().all() and a.fed[a.fed.index >= lo].notna().all()
    t = R.regime_table(a)
    counts = {r.label: r.cells[0].value for r in t.rows}
    assert counts["Fed easing"] + counts["Fed tightening"] + counts["Fed on hold"] == (a.fed_for_return.notna()).sum()
    assert counts["All days"] == len(days) - 1
    assert any("outside the rate rule's coverage" in n for n in t.notes)


def test_chart_is_a_png_with_shading(synthetic, tmp_path):
    _, a, _ = synthetic
    path = R.draw_chart(a, tmp_path / "sub" / "chart.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    colours = {tuple(np.round(px[:3], 1)) for px in img.reshape(-1, img.shape[-1])[::37]}
    assert len(colours) > 5  # shading, line and hatching drew, not a blank canvas


def test_chart_draws_every_symbol_on_their_common_days(tmp_path):
    # three symbols on different calendars: the chart shows each one's growth of $1 on the common days
    days = pd.bdate_range("2001-01-02", "2011-12-30")
    closes = {"SMALL": walk(days, 1), "LARGE": walk(days[5:], 2), "MID": walk(days.delete(range(100, 140)), 4)}
    a = R.analyze(closes, policy_rate(OLD, UPPER), USREC, lookback_months=LOOKBACK, min_change=MIN_CHANGE)
    common = pd.concat(closes, axis=1, join="inner").dropna()  # independent of tables.common_closes
    fig = R.chart_figure(a)
    try:
        ax = fig.axes[0]
        lines = ax.get_lines()
        assert [ln.get_label() for ln in lines] == ["SMALL", "LARGE", "MID"]
        for ln in lines:
            want = common[ln.get_label()] / common[ln.get_label()].iloc[0]
            assert len(ln.get_xdata()) == len(want) == len(days) - 5 - 40
            assert pd.DatetimeIndex(ln.get_xdata()).equals(pd.DatetimeIndex(want.index))
            np.testing.assert_allclose(ln.get_ydata(), want.to_numpy(), rtol=1e-12)
        assert len({ln.get_color() for ln in lines}) == 3  # told apart by colour
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend[:3] == ["SMALL", "LARGE", "MID"] and "Fed easing" in legend and "NBER recession" in legend
        assert all(s in ax.get_title() for s in closes)
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


# --------------------------------------------------------------------------------------------
# CLI


def _meta(name: str, kind: str) -> Meta:
    return Meta(name=name, kind=kind, source="csv:test", fetched_at="2025-01-01T00:00:00+00:00",
                adjustment="", start="", end="", rows=0, sha256="")


@pytest.fixture
def home(tmp_path, monkeypatch):
    st = Store(tmp_path / "home")
    days = pd.bdate_range("2001-01-02", "2011-12-30")
    for name, seed in (("IWM", 1), ("SPY", 2)):
        s = walk(days, seed)
        frame = pd.DataFrame({"open": s, "high": s, "low": s, "close": s, "adj_close": s, "volume": 1.0, "dividends": 0.0})
        frame.index.name = "date"
        st.write("prices", name, frame, _meta(name, "prices"))
    for name, s in (("DFEDTAR", OLD), ("DFEDTARU", UPPER), ("USREC", USREC)):
        st.write("series", name, s.rename(name).rename_axis("date"), _meta(name, "series"))
    monkeypatch.setenv("R2K_HOME", str(st.root))
    monkeypatch.chdir(tmp_path)
    return st


def test_cli_regimes_prints_table_and_chart_path(home, tmp_path):
    res = CliRunner().invoke(cli, ["regimes", "--offline"])
    assert res.exit_code == 0, res.output
    assert "| Fed easing" in res.stdout and "IWM-SPY" in res.stdout and "not a signal" in res.stdout
    assert res.stdout.strip().endswith("chart: regimes.png") and (tmp_path / "regimes.png").is_file()
    res = CliRunner().invoke(cli, ["regimes", "--symbols", "SPY,IWM", "--lookback-months", "3", "--start", "2003",
                                   "--chart", str(tmp_path / "c.png"), "--json", "--offline"])
    doc = json.loads(res.stdout)
    assert doc["chart"] == str(tmp_path / "c.png") and doc["lookback_months"] == 3 and doc["start"] == "2002-12-31"
    assert "SPY-IWM" in doc["columns"]


def test_cli_regimes_chart_shows_every_symbol(home, tmp_path):
    import matplotlib.colors as mcolors
    import matplotlib.image as mpimg

    for symbols, drawn in (("IWM", 1), ("IWM,SPY", 2)):
        out = tmp_path / f"{drawn}.png"
        res = CliRunner().invoke(cli, ["regimes", "--symbols", symbols, "--chart", str(out), "--offline"])
        assert res.exit_code == 0, res.output
        px = mpimg.imread(out)[..., :3].reshape(-1, 3)
        for k, colour in enumerate(R.LINE_COLOURS[:2]):
            hits = int((np.abs(px - np.array(mcolors.to_rgb(colour))).max(axis=1) < 0.02).sum())
            assert (hits > 500) == (k < drawn), (symbols, colour, hits)  # SPY's line is there only when asked


def test_cli_regimes_chart_creates_missing_folders_like_out(home, tmp_path):
    res = CliRunner().invoke(cli, ["regimes", "--chart", "charts/2025/regimes.png", "--offline"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "charts" / "2025" / "regimes.png").read_bytes()[:4] == b"\x89PNG"
    assert res.stdout.strip().endswith("chart: charts/2025/regimes.png")


@pytest.mark.parametrize("chart, code, text", [
    ("afile/regimes.png", 1, "cannot write to afile: afile is not a folder"),
    ("afile/sub/regimes.png", 1, "cannot write to afile/sub: afile is not a folder"),
    ("charts/", 2, "is not a file name"),
    ("", 2, "is not a file name"),
    (".", 2, "is a directory"),
])
def test_cli_regimes_bad_chart_path_is_one_line_and_writes_nothing(home, tmp_path, chart, code, text):
    (tmp_path / "afile").write_text("keep")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "home" not in p.parts)
    res = CliRunner().invoke(cli, ["regimes", "--chart", chart, "--offline"])
    assert res.exit_code == code, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], res.stderr
    assert res.stdout == ""
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "home" not in p.parts) == before
    assert (tmp_path / "afile").read_text() == "keep"


def test_cli_regimes_failed_write_keeps_the_old_chart(home, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    old = tmp_path / "regimes.png"
    old.write_bytes(b"old chart")

    def half_then_fail(self, fh, **kw):
        fh.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", half_then_fail)
    res = CliRunner().invoke(cli, ["regimes", "--offline"])
    assert res.exit_code == 1, res.output
    assert res.stderr.strip() == "error: cannot write to .: No space left on device"
    assert old.read_bytes() == b"old chart"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "regimes.png"]  # no temporary file left


@pytest.mark.parametrize("args, code, text", [
    (["regimes", "--symbols", "IWM,NOPE", "--offline"], 1, "not in the local store"),
    (["regimes", "--lookback-months", "0", "--offline"], 2, "lookback"),
    (["regimes", "--start", "2030", "--offline"], 1, "no data"),
    (["regimes", "--start", "2005", "--end", "2004", "--offline"], 2, "after"),
    (["regimes", "--end", "2005-02-30", "--offline"], 2, "YYYY-MM-DD"),
])
def test_cli_regimes_errors(home, args, code, text):
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == code, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0]


# --------------------------------------------------------------------------------------------
# real data


def raw_series(name: str) -> pd.Series:
    return pd.read_csv(real_data_dir() / "fred" / f"{name}.csv", parse_dates=["date"], index_col="date")["value"].astype(float)


@needs_real_data
def test_real_vectorised_regime_equals_regime_at_on_sample_days(real_home):
    st = Store(real_home)
    old, upper = st.read("series", "DFEDTAR").data, st.read("series", "DFEDTARU").data
    rate = policy_rate(old, upper)
    cal = st.read("prices", "^GSPC").data.loc["1983-01-01":"2025-09-30"].index
    moves = rate.diff()
    events = moves.index[moves.abs() >= MIN_CHANGE] + pd.offsets.BDay(1)
    near = cal[np.unique(np.clip(np.searchsorted(cal, events).repeat(3) + np.tile([-1, 0, 1], len(events)), 0, len(cal) - 1))]
    sample = cal[:: len(cal) // 150].union(near)
    fast = R.daily_regimes(rate, sample, LOOKBACK, MIN_CHANGE)
    assert list(fast) == [rotation_regime(old, upper, d) for d in sample]
    assert len(sample) > 250 and set(fast) == {"easing", "tightening", "hold"}


@needs_real_data
def test_real_regime_returns_from_raw_files(real_home, tmp_path):
    res = CliRunner().invoke(cli, ["regimes", "--symbols", "IWM,SPY", "--offline", "--json", "--chart", str(tmp_path / "r.png")],
                             env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    got = {r["regime"]: r["values"] for r in doc["rows"]}
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"

    def adj(name):
        return pd.read_csv(real_data_dir() / "prices" / f"{name}.csv", parse_dates=["date"], index_col="date")["adj_close"]

    px = pd.merge(adj("IWM").rename("IWM"), adj("SPY").rename("SPY"), left_index=True, right_index=True)
    rets = px.pct_change().iloc[1:]
    old, upper = raw_series("DFEDTAR"), raw_series("DFEDTARU")
    rate = pd.concat([old[old.index <= "2008-12-15"], upper[upper.index > "2008-12-15"]])
    prev = merge_asof_regimes(rate, px.index, LOOKBACK, MIN_CHANGE).shift(1).iloc[1:]
    for regime, name in (("easing", "Fed easing"), ("tightening", "Fed tightening"), ("hold", "Fed on hold")):
        mask = (prev == regime).to_numpy()
        assert got[name]["days"] == mask.sum()
        iwm, spy = independent_stats(rets["IWM"].to_numpy()[mask]), independent_stats(rets["SPY"].to_numpy()[mask])
        want = [100 * v for v in (*iwm, *spy)]
        cols = ["IWM return", "IWM vol", "IWM max DD", "SPY return", "SPY vol", "SPY max DD"]
        np.testing.assert_allclose([got[name][c] for c in cols], want, atol=1e-5)
        assert got[name]["IWM-SPY"] == pytest.approx(100 * (iwm[0] - spy[0]), abs=1e-5)
    usrec = raw_series("USREC")
    month = px.index[:-1].to_period("M")
    rec = pd.Series(usrec.values, index=usrec.index.to_period("M")).reindex(month).to_numpy()
    for flag, name in ((1.0, "NBER recession"), (0.0, "NBER expansion")):
        mask = rec == flag
        assert got[name]["days"] == mask.sum() > 100
        assert got[name]["IWM return"] == pytest.approx(100 * independent_stats(rets["IWM"].to_numpy()[mask])[0], abs=1e-5)
