"""Investor tables (monthly, annual, tracking): numbers against independent pandas computations and
raw-CSV closes, partial periods marked, and one-line errors from the CLI."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from r2k.data.errors import DataError, UsageError
from r2k.data.store import Meta, Store
from r2k.reports import tables as T
from r2k.runner.cli import cli
from tests.util import invoke, needs_real_data, one_line_error, real_data_dir


def walk(start: str, end: str, seed: int, drift: float = 0.0003) -> pd.Series:
    days = pd.bdate_range(start, end)
    rng = np.random.default_rng(seed)
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(drift, 0.01, len(days)))), index=days)


def values(table: T.Table, label: str) -> list[float | None]:
    row = next(r for r in table.rows if r.label == label)
    return [c.value for c in row.cells]


def cell(table: T.Table, label: str, column: str) -> T.Cell:
    row = next(r for r in table.rows if r.label == label)
    return row.cells[table.columns.index(column)]


# --------------------------------------------------------------------------------------------
# monthly


def test_monthly_returns_equal_resampled_month_end_closes():
    a, b = walk("2019-11-01", "2021-03-31", 1), walk("2019-11-01", "2021-03-31", 2)
    t = T.monthly_table({"AAA": a, "BBB": b}, months=12, end="2021-02")
    for name, s in (("AAA", a), ("BBB", b)):
        me = s.resample("ME").last()  # independent: calendar resampling, not Period grouping
        want = (me / me.shift(1) - 1).loc["2020-03":"2021-02"]
        got = [cell(t, f"{d:%Y-%m}", name).value for d in want.index]
        np.testing.assert_allclose(got, want.to_numpy(), rtol=0, atol=1e-12)
        total = me.loc["2021-02"].iloc[0] / me.loc["2020-02"].iloc[0] - 1
        assert cell(t, "12 months", name).value == pytest.approx(total, abs=1e-12)
    assert [r.label for r in t.rows][:2] == ["2020-03", "2020-04"] and not any(r.mark for r in t.rows)


def test_partial_last_month_is_marked_and_named():
    full, cut = walk("2024-06-03", "2024-09-30", 3), walk("2024-06-03", "2024-09-20", 4)
    t = T.monthly_table({"FULL": full, "CUT": cut}, months=3, end="2024-09")
    c = cell(t, "2024-09", "CUT")
    assert c.mark == "*" and c.value == pytest.approx(cut.iloc[-1] / cut.loc[:"2024-08-31"].iloc[-1] - 1)
    assert cell(t, "2024-09", "FULL").mark == ""
    row = next(r for r in t.rows if r.label == "2024-09")
    assert row.mark == "*" and "CUT" in row.note and "2024-09-20" in row.note and "FULL" not in row.note
    md = T.to_markdown(t)
    assert "| 2024-09* " in md and "* 2024-09: CUT data ends 2024-09-20" in md
    # JSON and CSV say so too
    doc = json.loads(T.to_json(t))
    assert next(r for r in doc["rows"] if r["month"] == "2024-09")["partial"] == ["CUT"]
    lines = list(csv.DictReader(io.StringIO(T.to_csv(t))))
    assert "partial" in next(r for r in lines if r["month"] == "2024-09")["note"]


def test_default_end_is_last_month_complete_for_every_symbol():
    full, cut = walk("2024-01-02", "2024-09-30", 3), walk("2024-01-02", "2024-09-20", 4)
    t = T.monthly_table({"FULL": full, "CUT": cut}, months=2)
    assert [r.label for r in t.rows] == ["2024-07", "2024-08", "2 months"]
    assert not any(r.mark for r in t.rows)


@pytest.mark.parametrize("last_day, complete", [
    ("2024-03-28", True),   # Good Friday 2024-03-29 closes the exchange
    ("2021-05-28", True),   # Memorial Day 2021-05-31
    ("2025-05-30", True),   # a Friday month end
    ("2025-09-26", False),  # Sep 29 and 30 2025 were trading days
    ("2024-12-30", False),
])
def test_month_completeness_knows_month_end_holidays(last_day, complete):
    s = walk("2020-01-01", last_day, 5)
    p = pd.Timestamp(last_day).to_period("M")
    assert (T.last_complete_month(s) == p) is complete


def test_months_without_data_are_na_with_a_note_and_all_na_is_an_error():
    late = walk("2024-05-15", "2024-09-30", 6)
    t = T.monthly_table({"LATE": late}, months=3, end="2024-06")
    assert values(t, "2024-04") == [None] and values(t, "2024-05") == [None]
    assert values(t, "2024-06")[0] == pytest.approx(late.loc["2024-06"].iloc[-1] / late.loc["2024-05"].iloc[-1] - 1)
    assert "LATE data starts 2024-05-15" in next(r for r in t.rows if r.label == "2024-05").note
    assert "n/a" in T.to_markdown(t)
    with pytest.raises(DataError, match="no data"):
        T.monthly_table({"LATE": late}, months=2, end="2023-01")


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025-1", "25-01", "2025/01", "October"])
def test_bad_month_syntax(text):
    with pytest.raises(UsageError, match="YYYY-MM"):
        T.parse_month(text)


def test_markdown_is_right_aligned_and_rectangular():
    t = T.monthly_table({"AAA": walk("2024-01-02", "2024-09-20", 1), "^IDX": walk("2024-01-02", "2024-09-30", 2)},
                        months=4, end="2024-09")
    lines = T.to_markdown(t).splitlines()
    grid = [ln for ln in lines if ln.startswith("|")]
    assert len({len(ln) for ln in grid}) == 1
    assert grid[1].endswith(":|") and "(%)" in lines[0]
    # the decimal points of one column line up, marked or not
    col = [ln.split("|")[2] for ln in grid[2:]]
    assert len({len(c) - c.find(".") for c in col}) == 1
    assert "^IDX: price index (no dividends)" in T.to_markdown(t)


# --------------------------------------------------------------------------------------------
# annual


def test_annual_returns_cagr_stdev_and_drawdown_independently():
    a, b = walk("2015-06-15", "2019-07-10", 7), walk("2014-01-02", "2019-12-31", 8)
    t = T.annual_table({"AAA": a, "BBB": b})
    both = pd.concat([a, b], axis=1, keys=["AAA", "BBB"], sort=True).dropna()
    ye = both.groupby(both.index.year).tail(1)  # year-end closes
    starts = pd.concat([both.iloc[:1], ye.iloc[:-1]])  # first close, then each previous year end
    want = (ye.to_numpy() / starts.to_numpy()) - 1
    got = np.array([values(t, str(y)) for y in range(2015, 2020)])
    np.testing.assert_allclose(got, want, atol=1e-12)
    labels = [r.label + r.mark for r in t.rows]
    assert labels[:5] == ["2015*", "2016", "2017", "2018", "2019*"]
    assert "from the close of 2015-06-15" in t.rows[0].note and "through 2019-07-10" in t.rows[4].note
    for j, name in enumerate(("AAA", "BBB")):
        s = both[name]
        days = (s.index[-1] - s.index[0]).days
        assert values(t, "CAGR")[j] == pytest.approx((s.iloc[-1] / s.iloc[0]) ** (365.25 / days) - 1, abs=1e-12)
        r = np.diff(s.to_numpy()) / s.to_numpy()[:-1]
        assert values(t, "Stdev (ann.)")[j] == pytest.approx(np.std(r, ddof=1) * math.sqrt(252), abs=1e-12)
        w = s.to_numpy() / s.iloc[0]
        assert values(t, "Max drawdown")[j] == pytest.approx((w / np.maximum.accumulate(w) - 1).min(), abs=1e-12)


def test_annual_window_from_years_uses_previous_year_end():
    s = walk("2014-01-02", "2019-12-31", 9)
    t = T.annual_table({"AAA": s}, pd.Timestamp("2016-01-01"), pd.Timestamp("2017-12-31"))
    assert [r.label + r.mark for r in t.rows] == ["2016", "2017", "CAGR", "Stdev (ann.)", "Max drawdown"]
    want = s.loc["2016"].iloc[-1] / s.loc["2015"].iloc[-1] - 1
    assert values(t, "2016")[0] == pytest.approx(want, abs=1e-12)
    assert t.meta["start"] == f"{s.loc['2015'].index[-1]:%Y-%m-%d}"
    with pytest.raises(DataError, match="no data"):
        T.annual_table({"AAA": s}, pd.Timestamp("2030-01-01"), None)


# --------------------------------------------------------------------------------------------
# tracking


def test_tracking_difference_and_error_per_year():
    idx = walk("2018-03-01", "2020-12-31", 10)
    rng = np.random.default_rng(11)
    etf = idx * np.cumprod(1 + 0.00005 + rng.normal(0, 0.0005, len(idx)))
    t = T.tracking_table(etf, idx, "ETF", "^IDX")
    r_e, r_i = etf.pct_change(), idx.pct_change()
    for y in (2019, 2020):
        prev, cur = str(y - 1), str(y)
        want_e = etf[cur].iloc[-1] / etf[prev].iloc[-1] - 1
        want_i = idx[cur].iloc[-1] / idx[prev].iloc[-1] - 1
        row = values(t, str(y))
        assert row[0] == pytest.approx(want_e, abs=1e-12) and row[1] == pytest.approx(want_i, abs=1e-12)
        assert row[2] == pytest.approx(want_e - want_i, abs=1e-12)
        d = (r_e - r_i)[cur].to_numpy()
        assert row[3] == pytest.approx(np.std(d, ddof=1) * np.sqrt(252), abs=1e-12)
        assert row[4] == len(d)
    assert next(r for r in t.rows if r.label == "2018").mark == "*"
    tot = values(t, "total")
    assert tot[2] == pytest.approx((etf.iloc[-1] / etf.iloc[0]) - (idx.iloc[-1] / idx.iloc[0]), abs=1e-12)
    assert tot[3] == pytest.approx(np.std((r_e - r_i).dropna(), ddof=1) * np.sqrt(252), abs=1e-12)
    assert "^IDX is a price index" in T.to_markdown(t) and "dividends are part of the difference" in T.to_markdown(t)


# --------------------------------------------------------------------------------------------
# CLI on a synthetic store


def _meta(name: str, kind: str = "prices") -> Meta:
    return Meta(name=name, kind=kind, source="csv:test", fetched_at="2025-01-01T00:00:00+00:00",
                adjustment="", start="", end="", rows=0, sha256="")


@pytest.fixture
def home(tmp_path, monkeypatch):
    st = Store(tmp_path / "home")
    for name, seed in (("IWM", 1), ("^RUT", 2)):
        s = walk("2022-01-03", "2024-06-28", seed)
        frame = pd.DataFrame({"open": s, "high": s, "low": s, "close": s, "adj_close": s, "volume": 1.0, "dividends": 0.0})
        frame.index.name = "date"
        st.write("prices", name, frame, _meta(name))
    monkeypatch.setenv("R2K_HOME", str(st.root))
    monkeypatch.chdir(tmp_path)
    return st




def test_cli_monthly_accepts_index_alias_and_prints_three_formats(home):
    res = invoke("table", "monthly", "RUT", "IWM", "--months", "3", "--end", "2024-05", "--offline")
    assert res.exit_code == 0, res.output
    assert "| month " in res.stdout and "^RUT" in res.stdout and "2024-05" in res.stdout
    doc = json.loads(invoke("table", "monthly", "RUT", "IWM", "--months", "3", "--end", "2024-05", "--offline", "--json").stdout)
    s = home.read("prices", "^RUT").data["adj_close"]
    want = s.loc["2024-05"].iloc[-1] / s.loc["2024-04"].iloc[-1] - 1
    assert doc["rows"][2]["values"]["^RUT"] == pytest.approx(100 * want, abs=1e-6)
    rows = list(csv.reader(io.StringIO(invoke("table", "monthly", "IWM", "--end", "2024-05", "--offline", "--csv").stdout)))
    assert rows[0] == ["month", "IWM", "note"] and len(rows) == 1 + 12 + 1


@pytest.mark.parametrize("args, code, text", [
    (["table", "monthly", "IWM", "--end", "2025-13", "--offline"], 2, "YYYY-MM"),
    (["table", "monthly", "IWM", "--months", "0", "--offline"], 2, "--months"),
    (["table", "monthly", "NOPE", "--offline"], 1, "not in the local store"),
    (["table", "monthly", "IWM", "--end", "2030-01", "--offline"], 1, "no data"),
    (["table", "monthly", "IWM", "--csv", "--json", "--offline"], 2, "exclude"),
    (["table", "monthly", "DFF", "--offline"], 2, "economic series"),
    (["table", "monthly", "bad symbol!", "--offline"], 2, "invalid symbol"),
    (["table", "annual", "IWM", "--start", "20x5", "--offline"], 2, "YYYY"),
    (["table", "annual", "IWM", "--start", "2024", "--end", "2023", "--offline"], 2, "after"),
    (["table", "annual", "IWM", "--start", "2030", "--offline"], 1, "no data"),
    (["tracking", "IWM", "IWM", "--offline"], 2, "two different"),
    (["tracking", "IWM", "^RUT", "--start", "2023-02-30", "--offline"], 2, "YYYY-MM-DD"),
    (["tracking", "IWM", "^NOPE", "--offline"], 1, "not in the local store"),
])
def test_cli_errors_are_one_line(home, args, code, text):
    assert text in one_line_error(invoke(*args), code)


def test_cli_annual_and_tracking_run(home):
    res = invoke("table", "annual", "IWM", "^RUT", "--offline")
    assert res.exit_code == 0 and "2022*" in res.stdout and "2024*" in res.stdout and "CAGR" in res.stdout
    res = invoke("tracking", "IWM", "RUT", "--start", "2023", "--offline", "--json")
    doc = json.loads(res.stdout)
    assert [r["year"] for r in doc["rows"]] == ["2023", "2024", "total", "annualised"]
    assert any("price index" in n for n in doc["notes"])


# --------------------------------------------------------------------------------------------
# real data: expected values straight from the raw CSV files


def raw(name: str, column: str = "close") -> pd.Series:
    df = pd.read_csv(real_data_dir() / "prices" / f"{name}.csv", parse_dates=["date"], index_col="date")
    return df[column].astype(float)


@needs_real_data
def test_real_rut_november_2024_golden(real_home):
    rut = raw("RUT")
    nov = rut[(rut.index >= "2024-11-01") & (rut.index <= "2024-11-30")]
    octo = rut[(rut.index >= "2024-10-01") & (rut.index <= "2024-10-31")]
    golden = nov.iloc[-1] / octo.iloc[-1] - 1  # close on the last trading day of Nov / of Oct
    assert nov.index[-1] == pd.Timestamp("2024-11-29") and nov.iloc[-1] == 2434.73
    res = CliRunner().invoke(cli, ["table", "monthly", "^RUT", "^GSPC", "IWM", "--end", "2025-09", "--offline", "--json"],
                             env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    nov_row = next(r for r in doc["rows"] if r["month"] == "2024-11")
    assert nov_row["values"]["^RUT"] == pytest.approx(100 * golden, abs=1e-6)
    sep = next(r for r in doc["rows"] if r["month"] == "2025-09")
    assert sep["partial"] == ["IWM"] and "2025-09-26" in sep["note"]
    iwm = raw("IWM", "adj_close")
    want = iwm.loc["2025-09"].iloc[-1] / iwm.loc["2025-08"].iloc[-1] - 1
    assert sep["values"]["IWM"] == pytest.approx(100 * want, abs=1e-6)


@needs_real_data
def test_real_annual_returns_from_year_end_closes(real_home):
    res = CliRunner().invoke(cli, ["table", "annual", "RUT", "IWM", "--start", "2001", "--end", "2024", "--offline", "--json"],
                             env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    got = {r["year"]: r["values"] for r in doc["rows"]}
    for name, sym, col in (("RUT", "^RUT", "close"), ("IWM", "IWM", "adj_close")):
        s = raw(name, col)
        ye = s.groupby(s.index.year).last()
        for y in range(2001, 2025):
            assert got[str(y)][sym] == pytest.approx(100 * (ye[y] / ye[y - 1] - 1), abs=1e-6), (sym, y)
        w = s.loc["2000-12-29":"2024-12-31"]
        assert w.index[0] == pd.Timestamp("2000-12-29")
        cagr = (w.iloc[-1] / w.iloc[0]) ** (365.25 / (w.index[-1] - w.index[0]).days) - 1
        assert got["CAGR"][sym] == pytest.approx(100 * cagr, abs=1e-6)
    assert not any(r["partial"] for r in doc["rows"])
    assert got["2008"]["^RUT"] == pytest.approx(-34.80, abs=0.01)


@needs_real_data
def test_real_tracking_difference_from_the_two_files(real_home):
    res = CliRunner().invoke(cli, ["tracking", "IWM", "^RUT", "--start", "2010", "--end", "2024", "--offline", "--json"],
                             env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    got = {r["year"]: r["values"] for r in doc["rows"]}
    both = pd.merge(raw("IWM", "adj_close").rename("etf"), raw("RUT").rename("idx"), left_index=True, right_index=True)
    ye = both.groupby(both.index.year).last()
    daily = both.pct_change()
    for y in range(2010, 2025):
        e, i = ye.loc[y, "etf"] / ye.loc[y - 1, "etf"] - 1, ye.loc[y, "idx"] / ye.loc[y - 1, "idx"] - 1
        assert got[str(y)]["difference"] == pytest.approx(100 * (e - i), abs=1e-6), y
        d = daily.loc[str(y)]
        te = np.std((d["etf"] - d["idx"]).to_numpy(), ddof=1) * np.sqrt(252)
        assert got[str(y)]["tracking error"] == pytest.approx(100 * te, abs=1e-6), y
    assert any("^RUT is a price index" in n for n in doc["notes"])
