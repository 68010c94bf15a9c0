"""Bad input that used to pass silently (issue 19, points 7-10): refused or repaired, said in one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from r2k.data.csvdates import parse_csv_dates
from r2k.data.csvfolder import read_csv_file
from r2k.data.errors import DataError
from r2k.data.validate import validate_prices
from r2k.runner.cli import cli
from tests.util import needs_real_data, price_frame, real_data_dir

# --- point 7: one bad close with a sane adjusted close -------------------------------------------


def test_one_bad_close_is_repaired_from_the_adjusted_close_and_named():
    closes = np.linspace(50, 60, 40)
    adj = closes * 0.8  # a constant adjustment factor (no dividend in the window)
    df = price_frame(closes, adj=adj)
    df.iloc[17, df.columns.get_loc("close")] = closes[17] * 10  # 456.1 typed for 45.61
    out = validate_prices(df, "IWM")
    day = df.index[17].strftime("%Y-%m-%d")
    [note] = [n for n in out.notes if "disagrees" in n]
    assert note.startswith(f"IWM: close on {day}") and "replaced it with" in note
    assert out.frame["close"].iloc[17] == pytest.approx(closes[17])


def test_a_dividend_step_is_not_a_bad_close():
    closes = np.full(30, 100.0)
    adj = np.where(np.arange(30) < 15, 97.0, 100.0)  # ex-dividend on day 15: the factor steps and stays
    out = validate_prices(price_frame(closes, adj=adj), "SPY")
    assert not [n for n in out.notes if "disagrees" in n]
    assert (out.frame["close"] == 100.0).all()


def test_a_bad_adjusted_close_is_repaired_from_the_close():
    closes = np.linspace(50, 60, 30)
    adj = closes * 0.9
    adj[10] *= 0.1
    out = validate_prices(price_frame(closes, adj=adj), "SPY")
    assert any("adjusted close on" in n for n in out.notes)
    assert out.frame["adj_close"].iloc[10] == pytest.approx(closes[10] * 0.9)
    assert out.frame["close"].iloc[10] == pytest.approx(closes[10])


@needs_real_data
def test_a_corrupted_close_in_a_real_file_does_not_give_absurd_fills(tmp_path):
    raw = pd.read_csv(real_data_dir() / "prices" / "IWM.csv", index_col="date")
    bad = raw.copy()
    buy_day = "2005-01-04"  # buy-and-hold from 2005-01-01 decides on the 3rd, fills at the 4th's open
    bad.loc[buy_day, "close"] = raw.loc[buy_day, "close"] * 10
    folder = tmp_path / "csv"
    folder.mkdir()
    bad.to_csv(folder / "IWM.csv")
    home = tmp_path / "home"
    res = CliRunner().invoke(cli, ["data", "import", str(folder)], env={"R2K_HOME": str(home)})
    assert res.exit_code == 0, res.output
    assert f"IWM: close on {buy_day}" in res.stderr
    out = tmp_path / "run"
    res = CliRunner().invoke(cli, ["run", "buy-and-hold", "--symbol", "IWM", "--start", "2005-01-01", "--end",
                                   "2024-12-31", "--benchmark", "none", "--offline", "--no-tearsheet", "--out", str(out)],
                             env={"R2K_HOME": str(home)})
    assert res.exit_code == 0, res.output
    got = json.loads((out / "metrics.json").read_text())["total_return"]
    clean = raw.loc["2005-01-01":"2024-12-31"]  # the uncorrupted file, computed by hand
    adj_open = clean["open"].iloc[1] * clean["adj_close"].iloc[1] / clean["close"].iloc[1]
    assert got == pytest.approx(clean["adj_close"].iloc[-1] / adj_open - 1, rel=1e-6)


# --- point 8: one date format per CSV file --------------------------------------------------------


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def _dates(days: pd.DatetimeIndex, fmt: str) -> list[str]:
    return [d.strftime(fmt) for d in days]


def test_day_first_file_is_read_day_first_throughout(tmp_path):
    days = pd.bdate_range("2020-01-01", "2020-03-31")
    rows = "\n".join(f"{d},{10 + i * 0.01:.2f}" for i, d in enumerate(_dates(days, "%d/%m/%Y")))
    item = read_csv_file(_write(tmp_path, "IWM.csv", "date,close\n" + rows + "\n"))
    assert list(item.checked.frame.index) == list(days)  # nothing scrambled, no "weekend rows"
    assert not [n for n in item.checked.notes if "weekend" in n]


def test_month_first_file_is_read_month_first(tmp_path):
    days = pd.bdate_range("2020-01-01", "2020-02-28")
    idx = parse_csv_dates(pd.Index(_dates(days, "%m/%d/%Y")), "x.csv")
    assert list(idx) == list(days)


def test_ambiguous_dates_are_refused_with_one_line(tmp_path):
    p = _write(tmp_path, "IWM.csv", "date,close\n02/01/2020,10\n03/01/2020,11\n06/01/2020,12\n")
    with pytest.raises(DataError, match=r"dates in IWM.csv could be day-first or month-first .*YYYY-MM-DD"):
        read_csv_file(p)


def test_mixed_day_first_and_month_first_rows_are_refused():
    with pytest.raises(DataError, match="mix day-first and month-first"):
        parse_csv_dates(pd.Index(["13/01/2020", "01/14/2020"]), "x.csv")


def test_iso_with_times_and_offsets_still_reads():
    idx = parse_csv_dates(pd.Index(["2020-01-02 00:00:00-05:00", "2020-01-03 00:00:00-05:00"]), "x.csv")
    assert len(idx) == 2 and idx.notna().all()


# --- point 9: every symbol passes one gate before it reaches the store ---------------------------

EVIL_RULE = '''
from r2k.strategies.base import AllocationRule, Target


class Evil(AllocationRule):
    """Holds a path."""

    name = "evil"
    params = {}

    def assets(self):
        return ["../../x"]

    def target(self, view):
        return Target({"../../x": 1.0}, "all in")
'''

EVIL_BT = '''
import backtrader as bt


class EvilBT(bt.Strategy):
    """Reads a path."""

    r2k_symbols = ["../../etc/passwd"]

    def next(self):
        pass
'''


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("source,cls,bad", [(EVIL_RULE, "Evil", "../../x"), (EVIL_BT, "EvilBT", "../../etc/passwd")],
                         ids=["rule", "backtrader"])
def test_a_user_strategy_declaring_a_path_is_refused_before_the_store(tmp_path, source, cls, bad):
    work = tmp_path / "work"
    work.mkdir()
    (work / "evil.py").write_text(source)
    home = work / "a" / "b" / "home"  # ../../x from home/prices would land in work/a
    before = _files(tmp_path)
    res = CliRunner().invoke(cli, ["run", f"{work / 'evil.py'}:{cls}", "--offline", "--benchmark", "none",
                                   "--no-tearsheet", "--out", str(work / "out")], env={"R2K_HOME": str(home)})
    assert res.exit_code == 2, res.output
    assert bad in res.stderr and "invalid symbol" in res.stderr and "Traceback" not in res.output
    assert len(res.stderr.strip().splitlines()) == 1
    created = [p for p in _files(tmp_path) if p not in before and "__pycache__" not in p]
    outside = [p for p in created if not p.startswith("work/a/b/home") and p not in ("work/a", "work/a/b")]
    in_store = [p for p in created if p.startswith(("work/a/b/home/prices", "work/a/b/home/locks"))]
    assert outside == [] and in_store == []  # no lock file, no folder, no data file anywhere


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", "x\x00y", "A" * 41, "IWM\n", "", "C:\\x"])
def test_the_store_refuses_any_name_that_could_be_a_path(tmp_path, name):
    from r2k.data.errors import UsageError
    from r2k.data.store import Store

    store = Store(tmp_path / "home")
    with pytest.raises(UsageError, match="invalid symbol"):
        store.path("prices", name)
    with pytest.raises(UsageError, match="invalid symbol"):
        store.lock("prices", name)
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("name", ["IWM", "^RUT", "BRK-B", "BRK.B", "ES=F", "CPIAUCSL", "T10Y3M"])
def test_the_store_takes_real_tickers_and_series_ids(tmp_path, name):
    from r2k.data.store import Store

    assert Store(tmp_path).path("prices", name).name == f"{name}.parquet"


# --- point 10: future-dated rows; one bad file in a folder import --------------------------------


def _frame_through(end: str, n: int = 40) -> pd.DataFrame:
    from tests.util import random_walk

    days = pd.bdate_range(end=end, periods=n).astype("datetime64[ns]")
    f = random_walk(n, seed=5)
    f.index = pd.DatetimeIndex(days, name="date")
    return f


def test_future_dated_rows_are_dropped_with_a_line_and_do_not_block_refreshes(tmp_path, monkeypatch):
    import datetime as dt

    from r2k.data import loader
    from r2k.data.store import Store
    from tests.util import FakeProvider

    monkeypatch.setattr(loader, "exchange_today", lambda: dt.date(2024, 3, 6))  # a Wednesday
    full = _frame_through("2024-03-12", 45)  # the provider's clock is a week ahead: 4 rows after today
    prov = FakeProvider("yahoo", {"IWM": full})
    store = Store(tmp_path)
    said: list[str] = []
    got, _ = loader.fetch("IWM", series=False, store=store, providers={"prices": prov}, warn=said.append)
    assert got.meta.end == "2024-03-06" and got.data.index[-1] == pd.Timestamp("2024-03-06")
    assert said == ["IWM: dropped 4 rows dated after today (2024-03-06): 2024-03-07..2024-03-12"]

    # a store written before this fix holds future rows; a later day's refresh still happens
    store.write("prices", "IWM", full, store.read_meta("prices", "IWM"))
    monkeypatch.setattr(loader, "exchange_today", lambda: dt.date(2024, 3, 8))
    said.clear()
    n_calls = len(prov.calls)
    got = loader.get("IWM", series=False, store=store, offline=False, warn=said.append, providers={"prices": prov})
    assert len(prov.calls) == n_calls + 1  # fetched_at is minutes old, and still it asked
    assert got.data.index[-1] == pd.Timestamp("2024-03-08")
    assert store.read("prices", "IWM").meta.end == "2024-03-08"
    assert any("dated after today (2024-03-08)" in w for w in said)


def test_offline_a_stored_future_row_is_not_used(tmp_path, monkeypatch):
    import datetime as dt

    from r2k.data import loader
    from r2k.data.store import Meta, Store

    store = Store(tmp_path)
    meta = Meta(name="IWM", kind="prices", source="yahoo", fetched_at="2024-03-06T20:00:00+00:00",
                adjustment="", start="", end="", rows=0, sha256="")
    store.write("prices", "IWM", _frame_through("2024-03-12", 45), meta)
    monkeypatch.setattr(loader, "exchange_today", lambda: dt.date(2024, 3, 6))
    said: list[str] = []
    got = loader.get("IWM", series=False, store=store, offline=True, warn=said.append)
    assert got.data.index[-1] == pd.Timestamp("2024-03-06") and len(said) == 1


def test_one_bad_file_does_not_stop_a_folder_import_and_the_exit_says_so(tmp_path):
    from tests.util import random_walk, write_csv

    folder = tmp_path / "csv"
    write_csv(folder, "IWM", random_walk(30))
    write_csv(folder, "SPY", random_walk(30, seed=2))
    (folder / "my prices.csv").write_text((folder / "IWM.csv").read_text())  # not a symbol
    (folder / "AAA.csv").write_bytes(b"\xff\xfe\x00garbage\x00\x81")  # unreadable as CSV
    res = CliRunner().invoke(cli, ["data", "import", str(folder)], env={"R2K_HOME": str(tmp_path / "home")})
    assert res.exit_code == 1
    assert "IWM" in res.stdout and "SPY" in res.stdout and "imported 2 files" in res.stdout
    assert "my prices.csv" in res.stderr and "AAA.csv" in res.stderr
    assert "error: 2 of 4 files" in res.stderr and "Traceback" not in res.output
    assert sorted(p.name for p in (tmp_path / "home" / "prices").glob("*.parquet")) == ["IWM.parquet", "SPY.parquet"]
