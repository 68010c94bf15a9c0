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
